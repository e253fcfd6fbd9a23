/**
 * Notebook: ModelArts notebook instances (`/v1/{project_id}/notebooks`). Names may repeat at Huawei and
 * the body has no tags, so hwc-provisioner's ownership mark ends the description.
 */
import type { HuaweiTarget, HuaweiTransport } from '../../huaweicloud/client';
import { urlEncode } from '../../huaweicloud/signer';
import type { AdapterResource, KindAdapter, Observation, ResourceSpec } from '../adapter';
import { callBase, compareFields, createOnce, deleteOnce, list, obj, show, str, updateCall, type Json } from '../common';
import { notebookMarker } from '../ownership';
import { KIND, notebookManifestSchema, notebookWarnings, SUMMARY, TIMING } from './manifest';

const collection = (target: HuaweiTarget) => `/v1/${urlEncode(target.projectId)}/notebooks`;
const base = (target: HuaweiTarget) => callBase(KIND, 'modelarts', target);

const FAILED = new Set(['CREATE_FAILED', 'START_FAILED', 'ERROR', 'DELETE_FAILED', 'DELETED']);
/* FROZEN (e.g. account in arrears) and STOPPED cannot turn into RUNNING on their own; waiting would only time out. */
const STUCK = new Set(['FROZEN', 'STOPPED']);
const VOLUME_BUSY = new Set(['INITIALIZING', 'RESIZING', 'DELETING']);

function progress(show: Json): string | undefined {
  const steps = Array.isArray(show.action_progress) ? show.action_progress.map(obj) : [];
  const current = steps.find((s) => s.status === 'FAILED') ?? steps.find((s) => s.status === 'PROCESSING') ?? undefined;
  if (!current) return undefined;
  const label = str(current.description) ?? `step ${String(current.step ?? '?')}`;
  return `${label}: ${String(current.status)}`;
}

/** `status`: RUNNING is ready, but an EVS volume still initialising means not yet usable. */
export function notebookStatus(answer: unknown): Observation {
  const body = obj(answer);
  const value = str(body.status) ?? '';
  const message = [str(body.fail_reason), progress(body)].filter(Boolean).join('; ') || undefined;
  const at = (phase: Observation['phase'], reason?: string, detail?: string): Observation => ({
    phase,
    ...(reason ? { reason } : {}),
    ...(detail ? { message: detail } : {}),
    observed: answer,
  });
  if (value === 'RUNNING') {
    const volume = obj(body.volume);
    const volumeStatus = str(volume.status);
    if (volume.category === 'EVS' && volumeStatus && VOLUME_BUSY.has(volumeStatus))
      return at('InProgress', value, `volume ${volumeStatus}`);
    return at('Succeeded', value, message);
  }
  if (FAILED.has(value) || STUCK.has(value)) return at('Failed', value, message);
  // INIT, CREATING, STARTING, SNAPSHOTTING and values we have not seen: keep polling until the caller's deadline.
  return at('InProgress', value || undefined, message);
}

/**
 * NotebookUpdateRequest in Huawei's SDK. Name, description and storage growth apply to a running instance;
 * flavor, image and endpoints only to a stopped one (stop, update, start).
 */
export interface NotebookUpdate {
  name?: string;
  description?: string;
  flavor?: string;
  image_id?: string;
  endpoints?: unknown[];
  /** The volume's new size in GB: grow only, at most 4096. */
  storage_new_size?: number;
  [field: string]: unknown;
}

const instance = (target: HuaweiTarget, id: string) => `${collection(target)}/${urlEncode(id)}`;

/** `PUT /v1/{project_id}/notebooks/{id}`; the answer is the notebook as it is right after. */
export async function updateNotebook(cloud: HuaweiTransport, target: HuaweiTarget, id: string, body: NotebookUpdate): Promise<Observation> {
  return notebookStatus(await updateCall(cloud, base(target), { operation: 'update', method: 'PUT', path: instance(target, id), body }));
}

/**
 * `POST .../stop`: the answer says STOPPING; STOPPED follows. Refused unless the notebook is RUNNING, so a
 * refusal after a lost answer may mean the first attempt applied: observe before calling it a failure.
 */
export async function stopNotebook(cloud: HuaweiTransport, target: HuaweiTarget, id: string): Promise<Observation> {
  return notebookStatus(await updateCall(cloud, base(target), { operation: 'stop', method: 'POST', path: `${instance(target, id)}/stop` }));
}

/** `POST .../start`: the answer says STARTING; RUNNING follows. Refused unless the notebook is STOPPED (as for stop). */
export async function startNotebook(cloud: HuaweiTransport, target: HuaweiTarget, id: string): Promise<Observation> {
  return notebookStatus(
    await updateCall(cloud, base(target), { operation: 'start', method: 'POST', path: `${instance(target, id)}/start` }),
  );
}

const poolRefOf = (spec: ResourceSpec) => (typeof spec.poolRef === 'string' ? spec.poolRef : undefined);

export const notebook: KindAdapter<typeof KIND, ReturnType<typeof notebookManifestSchema>> = {
  kind: KIND,
  summary: SUMMARY,
  service: 'modelarts',
  get manifest() {
    return notebookManifestSchema();
  },
  timing: TIMING,
  uniqueNames: false,
  warnings: notebookWarnings,
  reference(spec) {
    const name = poolRefOf(spec);
    return name === undefined ? undefined : { kind: 'ResourcePool', name, path: ['spec', 'poolRef'] };
  },
  desired: ({ body, poolRef }) => ({ body, poolRef }),
  target: ({ projectId, region }) => ({ projectId, region }),
  huaweiName: (spec) => str(spec.body.name) ?? '',
  async find(cloud, target, name) {
    // 50 is the largest page the API accepts; names carry a unique mark, so one page suffices.
    const found = await list(cloud, base(target), collection(target), { name, limit: '50' }, 'data');
    return found.filter((item) => obj(item).name === name);
  },
  ownedId(found, { projectId, name, spec }) {
    const item = obj(found);
    const marker = notebookMarker(projectId, name).trim();
    return item.name === spec.body.name && (str(item.description) ?? '').endsWith(marker) ? str(item.id) : undefined;
  },
  create(cloud, resource: AdapterResource, target, poolId) {
    const { body } = resource.spec;
    const description = str(body.description) ?? '';
    const marked = {
      ...body,
      ...(poolId ? { pool_id: poolId } : {}),
      description: `${description}${notebookMarker(resource.projectId, resource.name)}`.trimStart(),
    };
    return createOnce(cloud, base(target), collection(target), marked, (answer) => obj(answer).id);
  },
  statusOf: notebookStatus,
  async observe(cloud: HuaweiTransport, target, id) {
    return notebookStatus(await show(cloud, base(target), instance(target, id)));
  },
  async delete(cloud, target, id) {
    await deleteOnce(cloud, base(target), instance(target, id));
  },
  compare(spec, observed) {
    // The description carries the ownership mark, and the pool id is filled from poolRef.
    return compareFields(spec.body, observed, { ignore: (path) => path === 'description' || path === 'pool_id' });
  },
};

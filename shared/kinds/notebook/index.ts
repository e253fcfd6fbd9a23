/**
 * Notebook: ModelArts notebook instances (`/v1/{project_id}/notebooks`). Names may repeat at Huawei and
 * the body has no tags, so hwc-provisioner's ownership mark ends the description.
 */
import type { HuaweiTarget, HuaweiTransport } from '../../huaweicloud/client';
import { urlEncode } from '../../huaweicloud/signer';
import type { AdapterResource, KindAdapter, Observation, PlannedChange, ResourceSpec, UpdateStep } from '../adapter';
import {
  callBase,
  changesOf,
  classifyChanges,
  compareFields,
  createOnce,
  deleteOnce,
  failed,
  fixedOf,
  type Json,
  list,
  num,
  obj,
  same,
  sent,
  show,
  str,
  under,
  updateCall,
  type Verdict,
  waiting,
} from '../common';
import { notebookMarker } from '../ownership';
import { KIND, notebookManifestSchema, notebookWarnings, SUMMARY, TIMING } from './manifest';
import { notebookPreflight } from './preflight';

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

/** Huawei grows an EVS volume up to this size (NotebookUpdateRequest.storage_new_size). */
const MAX_STORAGE_GB = 4096;
const RESTARTS = 'restarts the notebook (stop, update, start)';
/* Fields the update applies only to a stopped instance (the API page); Terraform stops, updates and starts for them. */
const RESTART_FIELDS = ['flavor', 'image_id', 'endpoints', 'custom_spec', 'affinity', 'data_volumes'] as const;

const sshKeys = (body: Json) =>
  (Array.isArray(body.endpoints) ? body.endpoints.map(obj) : []).filter((e) => e.service === 'SSH').map((e) => e.key_pair_names ?? []);
const capacityOf = (body: unknown) => num(obj(obj(body).volume).capacity);

/**
 * Which changes apply in place. Only NotebookUpdateRequest's fields can change; everything else (pool, workspace,
 * feature, run user, VPC, lease, and any field not listed here) is refused by default, as Terraform refuses its
 * non-updatable list: guessing wrong would be a failed update after the plan said it would work.
 */
function notebookVerdict(current: ResourceSpec, next: ResourceSpec, change: PlannedChange): Verdict {
  const { path } = change;
  const fixed = (reason: string): Verdict => ({ inPlace: false, reason });
  if (under(path, 'region')) return fixed('a notebook cannot move to another region');
  if (under(path, 'poolRef') || under(path, 'body.pool_id')) return fixed('a notebook cannot move to another dedicated pool');
  if (under(path, 'body.workspace_id')) return fixed('a notebook cannot move to another workspace');
  if (path === 'body.name' || path === 'body.description') return { inPlace: true };
  if (path === 'body.volume.capacity') {
    const [before, after] = [capacityOf(current.body) ?? 5, capacityOf(next.body) ?? 5];
    if (after < before) return fixed(`an EVS volume can only grow (${before} GB now, ${after} GB asked)`);
    if (after > MAX_STORAGE_GB) return fixed(`an EVS volume grows to at most ${MAX_STORAGE_GB} GB`);
    return { inPlace: true, effect: `grows the storage to ${after} GB` };
  }
  if (under(path, 'body.volume'))
    return fixed(`a notebook's storage ${path.slice('body.volume.'.length) || 'volume'} cannot change in place`);
  if (under(path, 'body.endpoints')) {
    // Terraform lists key_pair as non-updatable; the allowed IPs change with a restart.
    if (!same(sshKeys(current.body), sshKeys(next.body))) return fixed("a notebook's SSH key pair cannot change in place");
    return { inPlace: true, effect: RESTARTS };
  }
  if (RESTART_FIELDS.some((field) => under(path, `body.${field}`))) return { inPlace: true, effect: RESTARTS };
  if (under(path, 'body.hooks')) {
    return fixed("Huawei's notebook details do not return hooks, so a change to them could not be confirmed");
  }
  return fixed(`a notebook's ${path.replace(/^body\./, '')} cannot change in place (Huawei's notebook update does not take it)`);
}

const classify = (current: ResourceSpec, next: ResourceSpec) =>
  classifyChanges(current, next, {
    fields: ['region', 'poolRef', 'body'],
    keyOf: (path, item) => (path === 'body.endpoints' ? `service=${String(obj(item).service)}` : undefined),
    verdict: (change) => notebookVerdict(current, next, change),
  });

/** The description Huawei holds for this resource: the manifest's, with the ownership mark at its end. */
const markedDescription = (resource: Pick<AdapterResource, 'projectId' | 'name' | 'spec'>) =>
  `${str(resource.spec.body.description) ?? ''}${notebookMarker(resource.projectId, resource.name)}`.trimStart();
const MARK_AT_END = / ?hwcp-[0-9a-f]{12}$/;

const endpointKey = (_path: string, item: unknown) => str(obj(item).service);

/** The fields of `wanted` (an update body) whose value Huawei does not hold yet, as read in `observed`. */
function pendingFields(wanted: NotebookUpdate, observed: Json): NotebookUpdate {
  const pending: NotebookUpdate = {};
  for (const [field, value] of Object.entries(wanted)) {
    if (value === undefined) continue;
    const differs =
      field === 'image_id'
        ? value !== str(obj(observed.image).id)
        : field === 'storage_new_size'
          ? value !== capacityOf(observed)
          : compareFields(value, observed[field], { keyOf: field === 'endpoints' ? endpointKey : undefined }).length > 0;
    if (differs) pending[field] = value;
  }
  return pending;
}

/**
 * One step of a notebook update (Terraform's two paths): name, description and storage growth by a PUT while it
 * runs; the restart fields by stop, PUT while stopped, start. Each step is read off the notebook's status and
 * the fields it does not hold yet, so a repeated step after a lost answer sends nothing already applied.
 */
async function updateStep(
  cloud: HuaweiTransport,
  resource: AdapterResource,
  target: HuaweiTarget,
  id: string,
  observation: Observation,
): Promise<UpdateStep> {
  const observed = obj(observation.observed);
  const status = str(observed.status) ?? '';
  const { body } = resource.spec;
  if (FAILED.has(status) || status === 'FROZEN') {
    return failed(status, `the notebook is ${status}${str(observed.fail_reason) ? `: ${str(observed.fail_reason)}` : ''}`);
  }
  const running = pendingFields({ name: str(body.name), description: markedDescription(resource) }, observed);
  const restart = pendingFields(Object.fromEntries(RESTART_FIELDS.map((f) => [f, body[f]])), observed);
  const size = capacityOf(body);
  const observedSize = capacityOf(observed);
  if (size !== undefined && observedSize !== undefined && size < observedSize) {
    return failed('StorageShrink', `the EVS volume is ${observedSize} GB and can only grow, not shrink to ${size} GB`);
  }
  const grow = size !== undefined && size !== observedSize ? { storage_new_size: size } : {};
  const fields = (update: NotebookUpdate) => Object.keys(update).join(', ');

  if (status === 'STOPPED') {
    // Name and description go along: they apply to a stopped instance too. Storage waits for RUNNING (EVS grows attached).
    const update = { ...running, ...restart };
    if (Object.keys(update).length > 0) {
      await updateNotebook(cloud, target, id, update);
      return sent(`updated ${fields(update)} while stopped`);
    }
    await startNotebook(cloud, target, id);
    return sent('starting the notebook');
  }
  if (status !== 'RUNNING') return waiting(`the notebook is ${status || 'in an unknown state'}`);
  const volumeStatus = str(obj(observed.volume).status);
  if (observation.phase !== 'Succeeded') return waiting(observation.message ?? `volume ${volumeStatus ?? 'busy'}`);
  if (Object.keys(restart).length > 0) {
    await stopNotebook(cloud, target, id);
    return sent(`stopping the notebook to change ${fields(restart)}`);
  }
  const update = { ...running, ...grow };
  if (Object.keys(update).length > 0) {
    await updateNotebook(cloud, target, id, update);
    return sent(`updated ${fields(update)}`);
  }
  return { status: 'converged' };
}

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
    const shown = obj(observed);
    const {
      image_id: imageId,
      pool_id: _poolId,
      description,
      volume,
      hooks: _hooks,
      lease: _lease,
      duration: _duration,
      ...rest
    } = spec.body;
    // Huawei shows the image as image.id and upper-cases the storage codes; the pool id comes from poolRef, hooks are
    // not shown, and the lease is renewed (its duration moves) without any change of ours.
    const view = obj(volume);
    const desired = {
      ...rest,
      ...(imageId !== undefined ? { image: { id: imageId } } : {}),
      volume: {
        ...view,
        ...(typeof view.category === 'string' ? { category: view.category.toUpperCase() } : {}),
        ...(typeof view.ownership === 'string' ? { ownership: view.ownership.toUpperCase() } : {}),
      },
    };
    const diffs = compareFields(desired, shown, { keyOf: (path, item) => (path === 'endpoints' ? endpointKey(path, item) : undefined) });
    // The description ends with the ownership mark, which is not part of the manifest.
    const held = (str(shown.description) ?? '').replace(MARK_AT_END, '');
    const wanted = str(description) ?? '';
    return held === wanted ? diffs : [...diffs, { path: 'description', desired: wanted, observed: held }];
  },
  fixedChanges: (current, next) => fixedOf(classify(current, next)),
  changes: (current, next) => changesOf(classify(current, next)),
  update: updateStep,
  preflight: notebookPreflight,
};

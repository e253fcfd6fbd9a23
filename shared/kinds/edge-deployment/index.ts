/**
 * EdgeDeployment: IEF edge application deployments (`/v3/{project_id}/edgemgr/deployments`). The create
 * body takes tags, so the ownership mark is a tag; pods carry the health signal the deployment lacks.
 */
import type { HuaweiTarget, HuaweiTransport } from '../../huaweicloud/client';
import { urlEncode } from '../../huaweicloud/signer';
import type { AdapterResource, KindAdapter, Observation } from '../adapter';
import { callBase, compareFields, createOnce, deleteOnce, list, num, obj, show, str, updateCall, type Json } from '../common';
import { OWNERSHIP_TAG_KEY, ownershipId } from '../ownership';
import { edgeDeploymentManifestSchema, KIND, SUMMARY, TIMING } from './manifest';

const collection = (target: HuaweiTarget) => `/v3/${urlEncode(target.projectId)}/edgemgr/deployments`;
const base = (target: HuaweiTarget) => callBase(KIND, 'ief', target);

const POD_FAILED = new Set(['FAILED', 'CREATE_FAIL']);
const DEPLOYMENT_FAILED = new Set(['FREEZE', 'DELETE_FAILED']);

function podDetail(pod: Json): string {
  const containers = Array.isArray(pod.containers) ? pod.containers.map(obj) : [];
  const container = containers.find((c) => str(c.reason) || str(c.message));
  const parts = [
    `pod ${str(pod.name) ?? str(pod.id) ?? '?'} ${str(pod.state) ?? ''}`.trim(),
    str(pod.message),
    container ? [str(container.reason), str(container.message)].filter(Boolean).join(': ') : undefined,
  ];
  return parts.filter(Boolean).join('; ');
}

/**
 * `state` stays empty while healthy, so pods carry the failure signal; readiness is ready_replicas ==
 * replicas. Without pods a crash-looping app only shows as "not ready yet".
 */
export function edgeDeploymentStatus(deployment: unknown, pods: readonly unknown[] = []): Observation {
  const body = obj(deployment);
  const at = (phase: Observation['phase'], reason: string | undefined, message: string): Observation => ({
    phase,
    ...(reason ? { reason } : {}),
    message,
    observed: deployment,
  });
  const state = str(body.state);
  if (state && DEPLOYMENT_FAILED.has(state)) return at('Failed', state, `deployment ${state}`);
  const failedPod = pods.map(obj).find((pod) => POD_FAILED.has(str(pod.state) ?? ''));
  if (failedPod) return at('Failed', str(failedPod.reason) ?? str(failedPod.state), podDetail(failedPod));
  const replicas = num(body.replicas);
  const ready = num(body.ready_replicas) ?? 0;
  const message = `ready ${ready}/${replicas ?? '?'}`;
  // A body without `replicas` is not proof of readiness.
  if (replicas !== undefined && ready === replicas) return at('Succeeded', 'Ready', message);
  const waiting = pods.map(obj).find((pod) => str(pod.reason) || str(pod.message));
  return at('InProgress', state, waiting ? `${message}; ${podDetail(waiting)}` : message);
}

/**
 * UpdateDeployment in Huawei's SDK: the description alone, or the replicas and pod template, never both in one
 * request (IEF refuses it). Name, nodes or group, source and tags cannot change in place.
 */
export type DeploymentUpdate =
  | { description: string; deployment?: never }
  | { deployment: { replicas: number; template: Record<string, unknown> }; description?: never };

const instance = (target: HuaweiTarget, id: string) => `${collection(target)}/${urlEncode(id)}`;

/**
 * `PUT /v3/{project_id}/edgemgr/deployments/{deployment_id}`. A new template or replica count rolls the pods,
 * so the deployment is ready again only once ready_replicas equals replicas; the answer is the deployment.
 */
export async function updateDeployment(
  cloud: HuaweiTransport,
  target: HuaweiTarget,
  id: string,
  update: DeploymentUpdate,
): Promise<Observation> {
  return edgeDeploymentStatus(
    await updateCall(cloud, base(target), { operation: 'update', method: 'PUT', path: instance(target, id), body: update }),
  );
}

const mark = (resource: Pick<AdapterResource, 'projectId' | 'name'>) => ownershipId(resource.projectId, KIND, resource.name);

export const edgeDeployment: KindAdapter<typeof KIND, ReturnType<typeof edgeDeploymentManifestSchema>> = {
  kind: KIND,
  summary: SUMMARY,
  service: 'ief',
  get manifest() {
    return edgeDeploymentManifestSchema();
  },
  timing: TIMING,
  uniqueNames: true,
  warnings: () => [],
  reference: () => undefined,
  desired: ({ body, iefInstanceId }) => ({ body, iefInstanceId }),
  target({ projectId, region, spec }) {
    return { projectId, region, ...(typeof spec.iefInstanceId === 'string' ? { iefInstanceId: spec.iefInstanceId } : {}) };
  },
  huaweiName: (spec) => str(spec.body.name) ?? '',
  async find(cloud, target, name) {
    const found = await list(cloud, base(target), collection(target), { name, limit: '100' }, 'deployments');
    return found.filter((item) => obj(item).name === name);
  },
  ownedId(found, resource) {
    const item = obj(found);
    const tags = Array.isArray(item.tags) ? item.tags.map(obj) : [];
    const mine = tags.some((t) => t.key === OWNERSHIP_TAG_KEY && t.value === mark(resource));
    return item.name === resource.spec.body.name && mine ? str(item.id) : undefined;
  },
  create(cloud, resource, target) {
    const { body } = resource.spec;
    const tags = Array.isArray(body.tags) ? body.tags : [];
    const marked = { ...body, tags: [...tags, { key: OWNERSHIP_TAG_KEY, value: mark(resource) }] };
    return createOnce(cloud, base(target), collection(target), marked, (answer) => str(obj(answer).id) ?? obj(obj(answer).deployment).id);
  },
  statusOf: (answer: unknown) => edgeDeploymentStatus(answer),
  async observe(cloud: HuaweiTransport, target, id) {
    const deployment = await show(cloud, base(target), instance(target, id));
    const pods = await list(
      cloud,
      { ...base(target), kind: `${KIND} pods` },
      `/v3/${urlEncode(target.projectId)}/edgemgr/pods`,
      { deployment_id: id },
      'pods',
    );
    return edgeDeploymentStatus(deployment, pods);
  },
  async delete(cloud, target, id) {
    await deleteOnce(cloud, base(target), instance(target, id));
  },
  compare(spec, observed) {
    // The ownership tag is ours, not the manifest's; containers and envs are keyed by name.
    return compareFields(spec.body, observed, {
      ignore: (path) => path === 'tags',
      keyOf: (_path, item) => str(obj(item).name),
    });
  },
};

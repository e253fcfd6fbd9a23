/**
 * EdgeDeployment: IEF edge application deployments (`/v3/{project_id}/edgemgr/deployments`). The create
 * body takes tags, so the ownership mark is a tag; pods carry the health signal the deployment lacks.
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
  sent,
  show,
  str,
  under,
  updateCall,
  type Verdict,
  waiting,
} from '../common';
import { OWNERSHIP_TAG_KEY, ownershipId } from '../ownership';
import { edgeDeploymentManifestSchema, KIND, SUMMARY, TIMING } from './manifest';
import { edgeDeploymentPreflight } from './preflight';

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

/* Containers and their environment variables are keyed by name (as Terraform and IEF itself key them). */
const keyOf = (path: string, item: unknown) =>
  /(containers|envs)$/.test(path) && str(obj(item).name) !== undefined ? `name=${str(obj(item).name)}` : undefined;

const FIXED: readonly [string, string][] = [
  ['region', 'a deployment cannot move to another region'],
  ['iefInstanceId', 'a deployment cannot move to another IEF instance'],
  ['body.name', "a deployment's name cannot change in place"],
  ['body.node_ids', 'a deployment cannot move to another edge node'],
  ['body.group_id', 'a deployment cannot move to another node group'],
  ['body.source', "a deployment's source cannot change in place"],
  ['body.tags', "a deployment's tags cannot change in place (IEF's update does not take them)"],
];

/**
 * UpdateDeployment takes the description, or the replicas and pod template; everything else (name, placement,
 * source, tags, deployment annotations, and any field not listed here) is refused by default.
 */
function deploymentVerdict(change: PlannedChange): Verdict {
  const { path } = change;
  const fixed = FIXED.find(([prefix]) => under(path, prefix));
  if (fixed) return { inPlace: false, reason: fixed[1] };
  if (path === 'body.description') return { inPlace: true };
  if (path === 'body.deployment.replicas')
    return { inPlace: true, effect: `scales to ${String(change.desired)} replica(s); the pods restart` };
  if (under(path, 'body.deployment.template')) return { inPlace: true, effect: 'replaces the pods (rolling restart)' };
  return {
    inPlace: false,
    reason: `a deployment's ${path.replace(/^body\./, '')} cannot change in place (IEF's deployment update does not take it)`,
  };
}

const classify = (current: ResourceSpec, next: ResourceSpec) =>
  classifyChanges(current, next, { fields: ['region', 'iefInstanceId', 'body'], keyOf, verdict: deploymentVerdict });

/** The desired deployment in the shape IEF shows it: replicas and template at the top level, not under `deployment`. */
function shownShape(body: Json): Json {
  const { deployment, tags: _tags, ...rest } = body;
  const { replicas, template, ...extensions } = obj(deployment);
  return { ...rest, replicas, template, ...extensions };
}

/**
 * One step of a deployment update: the replicas and template first (one PUT, the pods roll), then the description
 * (another PUT: IEF refuses both in one request), then wait for ready_replicas == replicas.
 */
async function updateStep(
  cloud: HuaweiTransport,
  resource: AdapterResource,
  target: HuaweiTarget,
  id: string,
  observation: Observation,
): Promise<UpdateStep> {
  const shown = obj(observation.observed);
  const state = str(shown.state);
  if (state && (DEPLOYMENT_FAILED.has(state) || state === 'PENDING_DELETE')) return failed(state, `the deployment is ${state}`);
  const { body } = resource.spec;
  const { replicas, template } = obj(body.deployment);
  const rollout = compareFields({ replicas, template }, shown, { keyOf });
  if (rollout.length > 0) {
    await updateDeployment(cloud, target, id, { deployment: { replicas: replicas as number, template: obj(template) } });
    return sent(`updated ${rollout.map((d) => d.path).join(', ')}; the pods roll`);
  }
  const description = str(body.description) ?? '';
  if (description !== (str(shown.description) ?? '')) {
    await updateDeployment(cloud, target, id, { description });
    return sent('updated description');
  }
  // The template is Huawei's now: failing pods are the new template's, not a leftover of the old one.
  if (observation.phase === 'Failed') return failed(observation.reason ?? 'Failed', observation.message ?? 'the pods failed');
  if (observation.phase === 'Succeeded') return { status: 'converged' };
  return waiting(observation.message ?? 'pods not ready');
}

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
    const shown = obj(observed);
    // The ownership tag is ours, not the manifest's: the manifest's tags are compared with the others.
    const tags = (Array.isArray(shown.tags) ? shown.tags : []).filter((t) => obj(t).key !== OWNERSHIP_TAG_KEY);
    const wanted = spec.body.tags === undefined ? {} : { tags: spec.body.tags };
    return compareFields({ ...shownShape(spec.body), ...wanted }, { ...shown, tags }, { keyOf });
  },
  fixedChanges: (current, next) => fixedOf(classify(current, next)),
  changes: (current, next) => changesOf(classify(current, next)),
  update: updateStep,
  preflight: edgeDeploymentPreflight,
};

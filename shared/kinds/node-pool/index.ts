/**
 * NodePool: node pools inside a ModelArts pool (`/v2/{project_id}/pools/{pool_name}/nodepools`). Their
 * names are user-chosen and unique within the pool, so the name is the mark and a GET is the look-up.
 */
import type { HuaweiTarget, HuaweiTransport } from '../../huaweicloud/client';
import { HuaweiInvalidRequestError } from '../../huaweicloud/errors';
import { urlEncode } from '../../huaweicloud/signer';
import type { AdapterResource, KindAdapter, Observation, PlannedChange, ResourceSpec, UpdateStep } from '../adapter';
import {
  bucketCount,
  callBase,
  changesOf,
  classifyChanges,
  compareFields,
  createOnce,
  deleteOnce,
  failed,
  fixedOf,
  getOne,
  MERGE_PATCH,
  nodeCounts,
  nodesMoving,
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
import { KIND, nodePoolManifestSchema, SUMMARY, TIMING } from './manifest';
import { nodePoolPreflight } from './preflight';

function collection(target: HuaweiTarget): string {
  // A node pool exists only inside a pool: without one, no call can address it.
  if (!target.poolName) throw new HuaweiInvalidRequestError({ operation: KIND, errorMsg: 'target.poolName is required for NodePool' });
  return `/v2/${urlEncode(target.projectId)}/pools/${urlEncode(target.poolName)}/nodepools`;
}
const base = (target: HuaweiTarget) => callBase(KIND, 'modelarts', target);

/** Node pools have no phase: compare node counts under status.resources with the requested count. */
export function nodePoolStatus(answer: unknown): Observation {
  const body = obj(answer);
  const resources = obj(obj(body.status).resources);
  const creating = bucketCount(resources.creating);
  const available = bucketCount(resources.available);
  const abnormal = bucketCount(resources.abnormal);
  const specResources = obj(body.spec).resources;
  const requested = Array.isArray(specResources) ? bucketCount(specResources) : num(obj(specResources).count);
  const message = `available ${available}/${requested ?? '?'}, creating ${creating}, abnormal ${abnormal}`;
  if (requested !== undefined && available === requested && creating === 0)
    return { phase: 'Succeeded', reason: 'Available', message, observed: answer };
  if (abnormal > 0 && creating === 0) return { phase: 'Failed', reason: 'Abnormal', message, observed: answer };
  return { phase: 'InProgress', ...(creating > 0 ? { reason: 'Creating' } : {}), message, observed: answer };
}

/**
 * `PATCH /v2/{project_id}/pools/{pool_name}/nodepools/{nodepool_name}` as a JSON merge patch: `spec.resources`
 * is one object, so it merges; Huawei requires flavor, count and maxCount in it. The flavor cannot change in
 * place. The answer is the node pool, its node counts moving to the new count over time.
 */
export async function patchNodePool(
  cloud: HuaweiTransport,
  target: HuaweiTarget,
  name: string,
  patch: Record<string, unknown>,
): Promise<Observation> {
  const request = {
    operation: 'patch',
    method: 'PATCH',
    path: `${collection(target)}/${urlEncode(name)}`,
    body: patch,
    contentType: MERGE_PATCH,
  } as const;
  return nodePoolStatus(await updateCall(cloud, base(target), request));
}

const nameOf = (item: unknown) => str(obj(obj(item).metadata).name);

const RESOURCES = 'body.spec.resources';
const ANNOTATION = (key: string) => `body.metadata.annotations[${JSON.stringify(key)}]`;
/* What PatchNodePool takes besides flavor, count and maxCount (DOCS PatchNodePool), applied in place. */
const IN_PLACE = ['azs', 'taints', 'labels', 'tags'] as const;
const FIXED: readonly [string, string][] = [
  ['region', 'a node pool cannot move to another region'],
  ['poolName', 'a node pool cannot move to another pool'],
  ['poolRef', 'a node pool cannot move to another pool'],
  ['body.metadata.name', "a node pool's name cannot change in place"],
  [`${RESOURCES}.flavor`, "a node pool's flavor cannot change in place"],
  [`${RESOURCES}.nodePool`, "a node pool's name cannot change in place"],
  [ANNOTATION('os.modelarts/billing.mode'), "a node pool's billing mode cannot change in place"],
  [ANNOTATION('os.modelarts/period.num'), "a node pool's billing period cannot change in place"],
  [ANNOTATION('os.modelarts/period.type'), "a node pool's billing period cannot change in place"],
];

const countOfSpec = (spec: ResourceSpec) => num(obj(obj(spec.body.spec).resources).count) ?? 0;

/**
 * count and maxCount scale in place; azs, taints, labels and tags are in PatchNodePool's body. The nodes' OS,
 * volumes, network, extendParams and creatingStep are settled when a node is built (Huawei resizes only
 * hyper-instances in place), so they and any field not listed here are refused by default.
 */
function nodePoolVerdict(current: ResourceSpec, next: ResourceSpec, change: PlannedChange): Verdict {
  const { path } = change;
  const fixed = FIXED.find(([prefix]) => under(path, prefix));
  if (fixed) return { inPlace: false, reason: fixed[1] };
  if (path === `${RESOURCES}.count`) {
    const [before, after] = [countOfSpec(current), countOfSpec(next)];
    return {
      inPlace: true,
      effect: after > before ? `orders ${after - before} more node(s) (billed)` : `releases ${before - after} node(s)`,
    };
  }
  if (path === `${RESOURCES}.maxCount` || IN_PLACE.some((field) => under(path, `${RESOURCES}.${field}`))) return { inPlace: true };
  if (under(path, 'body.metadata.annotations')) return { inPlace: true, effect: 'used by the next order only' };
  return {
    inPlace: false,
    reason: `a node pool's ${path.replace(/^body\./, '')} cannot change in place (Huawei's node pool patch does not take it)`,
  };
}

const classify = (current: ResourceSpec, next: ResourceSpec) =>
  classifyChanges(current, next, {
    fields: ['region', 'poolName', 'poolRef', 'body'],
    verdict: (change) => nodePoolVerdict(current, next, change),
  });

/**
 * One step of a node pool update: wait for steady nodes, then one merge-patch of `spec.resources` (one object,
 * so it merges; flavor, count and maxCount are required in it) with the fields that differ.
 */
async function updateStep(
  cloud: HuaweiTransport,
  resource: AdapterResource,
  target: HuaweiTarget,
  id: string,
  observation: Observation,
): Promise<UpdateStep> {
  const counts = nodeCounts(observation.observed);
  if (counts.abnormal > 0 && counts.creating === 0) return failed('Abnormal', `${counts.abnormal} node(s) of the node pool are abnormal`);
  const moving = nodesMoving(observation.observed);
  if (moving) return waiting(moving);
  const desired = obj(obj(resource.spec.body.spec).resources);
  const wanted = {
    count: desired.count,
    maxCount: desired.maxCount ?? desired.count,
    ...Object.fromEntries(IN_PLACE.filter((f) => desired[f] !== undefined).map((f) => [f, desired[f]])),
  };
  const held = obj(obj(obj(observation.observed).spec).resources);
  const diffs = compareFields(wanted, held);
  if (diffs.length === 0) return { status: 'converged' };
  const changed = Object.fromEntries(Object.entries(wanted).filter(([k]) => diffs.some((d) => under(d.path, k))));
  const patch = { spec: { resources: { flavor: desired.flavor, count: wanted.count, maxCount: wanted.maxCount, ...changed } } };
  await patchNodePool(cloud, target, id, patch);
  return sent(`patched spec.resources ${diffs.map((d) => d.path).join(', ')}`);
}

export const nodePool: KindAdapter<typeof KIND, ReturnType<typeof nodePoolManifestSchema>> = {
  kind: KIND,
  summary: SUMMARY,
  service: 'modelarts',
  get manifest() {
    return nodePoolManifestSchema();
  },
  timing: TIMING,
  uniqueNames: true,
  warnings: () => [],
  reference(spec) {
    return typeof spec.poolRef === 'string' ? { kind: 'ResourcePool', name: spec.poolRef, path: ['spec', 'poolRef'] } : undefined;
  },
  desired: ({ body, poolName, poolRef }) => ({ body, poolName, poolRef }),
  target({ projectId, region, spec }, poolId) {
    const poolName = typeof spec.poolName === 'string' ? spec.poolName : poolId;
    return { projectId, region, ...(poolName ? { poolName } : {}) };
  },
  huaweiName: (spec) => str(obj(spec.body.metadata).name) ?? '',
  async find(cloud, target, name) {
    const found = await getOne(cloud, base(target), `${collection(target)}/${urlEncode(name)}`, `find ${KIND}`);
    return found === undefined ? [] : [found];
  },
  ownedId: (found, { spec }) => (nameOf(found) === nodePool.huaweiName(spec) ? nameOf(found) : undefined),
  // async: a missing pool must reject the promise, not throw before there is one.
  create: async (cloud, { spec }, target) => createOnce(cloud, base(target), collection(target), spec.body, nameOf),
  statusOf: nodePoolStatus,
  async observe(cloud, target, id) {
    return nodePoolStatus(await show(cloud, base(target), `${collection(target)}/${urlEncode(id)}`));
  },
  async delete(cloud, target, id) {
    await deleteOnce(cloud, base(target), `${collection(target)}/${urlEncode(id)}`);
  },
  // Billing annotations describe the purchase, not the node pool.
  compare: (spec, observed) => compareFields(spec.body, observed, { ignore: (path) => path.startsWith('metadata.annotations') }),
  fixedChanges: (current, next) => fixedOf(classify(current, next)),
  changes: (current, next) => changesOf(classify(current, next)),
  update: updateStep,
  preflight: nodePoolPreflight,
};

/**
 * NodePool: node pools inside a ModelArts pool (`/v2/{project_id}/pools/{pool_name}/nodepools`). Their
 * names are user-chosen and unique within the pool, so the name is the mark and a GET is the look-up.
 */
import type { HuaweiTarget, HuaweiTransport } from '../../huaweicloud/client';
import { HuaweiInvalidRequestError } from '../../huaweicloud/errors';
import { urlEncode } from '../../huaweicloud/signer';
import type { KindAdapter, Observation } from '../adapter';
import { callBase, compareFields, createOnce, deleteOnce, getOne, MERGE_PATCH, num, obj, show, str, updateCall } from '../common';
import { KIND, nodePoolManifestSchema, SUMMARY, TIMING } from './manifest';

function collection(target: HuaweiTarget): string {
  // A node pool exists only inside a pool: without one, no call can address it.
  if (!target.poolName) throw new HuaweiInvalidRequestError({ operation: KIND, errorMsg: 'target.poolName is required for NodePool' });
  return `/v2/${urlEncode(target.projectId)}/pools/${urlEncode(target.poolName)}/nodepools`;
}
const base = (target: HuaweiTarget) => callBase(KIND, 'modelarts', target);

/* The SDK types each bucket as one object, older Terraform reads arrays; accept both. */
function countOf(bucket: unknown): number {
  const items = Array.isArray(bucket) ? bucket : bucket === undefined || bucket === null ? [] : [bucket];
  return items.reduce<number>((sum, item) => sum + (num(obj(item).count) ?? 0), 0);
}

/** Node pools have no phase: compare node counts under status.resources with the requested count. */
export function nodePoolStatus(answer: unknown): Observation {
  const body = obj(answer);
  const resources = obj(obj(body.status).resources);
  const creating = countOf(resources.creating);
  const available = countOf(resources.available);
  const abnormal = countOf(resources.abnormal);
  const specResources = obj(body.spec).resources;
  const requested = Array.isArray(specResources) ? countOf(specResources) : num(obj(specResources).count);
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
  compare: (spec, observed) => compareFields(spec.body, observed, { ignore: (path) => path.startsWith('metadata.annotations') }),
};

/**
 * ResourcePool: ModelArts dedicated resource pools (`/v2/{project_id}/pools`). Huawei names a pool itself;
 * the display name label `os.modelarts/name` (required by the validator) is what recognises it again.
 */
import type { HuaweiTarget, HuaweiTransport } from '../../huaweicloud/client';
import { urlEncode } from '../../huaweicloud/signer';
import type { KindAdapter, Observation } from '../adapter';
import { callBase, compareFields, createOnce, deleteOnce, list, MERGE_PATCH, obj, show, str, updateCall } from '../common';
import { KIND, resourcePoolManifestSchema, SUMMARY, TIMING } from './manifest';

const POOL_NAME_LABEL = 'os.modelarts/name';
const collection = (target: HuaweiTarget) => `/v2/${urlEncode(target.projectId)}/pools`;
const base = (target: HuaweiTarget) => callBase(KIND, 'modelarts', target);
const displayName = (pool: unknown) => obj(obj(obj(pool).metadata).labels)[POOL_NAME_LABEL];

const FAILED = new Set(['Abnormal', 'Error', 'CreationFailed', 'ScalingFailed']);

/** `status.phase`: Running is ready; Creating, Waiting (unpaid order) and empty are still pending. */
export function resourcePoolStatus(answer: unknown): Observation {
  const st = obj(obj(answer).status);
  const phase = str(st.phase) ?? '';
  const message = str(st.message);
  const verdict: Observation['phase'] = phase === 'Running' ? 'Succeeded' : FAILED.has(phase) ? 'Failed' : 'InProgress';
  return { phase: verdict, ...(phase ? { reason: phase } : {}), ...(message ? { message } : {}), observed: answer };
}

const instance = (target: HuaweiTarget, poolName: string) => `${collection(target)}/${urlEncode(poolName)}`;

/**
 * `PATCH /v2/{project_id}/pools/{pool_name}` as a JSON merge patch. Arrays are replaced whole, so a patch that
 * touches `spec.resources` must carry every entry: one left out is a node pool scaled away. A count change
 * is asynchronous (an order, named in the answer's `os.modelarts/order.name` label); the answer is the pool.
 */
export async function patchPool(
  cloud: HuaweiTransport,
  target: HuaweiTarget,
  poolName: string,
  patch: Record<string, unknown>,
): Promise<Observation> {
  const request = { operation: 'patch', method: 'PATCH', path: instance(target, poolName), body: patch, contentType: MERGE_PATCH } as const;
  return resourcePoolStatus(await updateCall(cloud, base(target), request));
}

export const resourcePool: KindAdapter<typeof KIND, ReturnType<typeof resourcePoolManifestSchema>> = {
  kind: KIND,
  summary: SUMMARY,
  service: 'modelarts',
  get manifest() {
    return resourcePoolManifestSchema();
  },
  timing: TIMING,
  uniqueNames: true,
  warnings: () => [],
  reference: () => undefined,
  desired: ({ body }) => ({ body }),
  target: ({ projectId, region }) => ({ projectId, region }),
  huaweiName: (spec) => str(obj(obj(spec.body.metadata).labels)[POOL_NAME_LABEL]) ?? '',
  async find(cloud, target, name) {
    // Without `status` the list hides failed pools, yet a failed pool an earlier attempt created is still
    // ours (and billed): creating again would make a second one. Failed pools stay failed, so asking for
    // the valid ones first and then the failed ones cannot miss a pool that changes state in between.
    const items: unknown[] = [];
    for (const status of [undefined, 'failed']) {
      const query = { labelSelector: `${POOL_NAME_LABEL}=${name}`, ...(status ? { status } : {}) };
      items.push(...(await list(cloud, base(target), collection(target), query, 'items')));
    }
    return items.filter((item) => displayName(item) === name);
  },
  // The display name is unique among a project's pools, so it is the mark.
  ownedId: (found, { spec }) => (displayName(found) === resourcePool.huaweiName(spec) ? str(obj(obj(found).metadata).name) : undefined),
  create: (cloud, { spec }, target) =>
    createOnce(cloud, base(target), collection(target), spec.body, (answer) => obj(obj(answer).metadata).name),
  statusOf: resourcePoolStatus,
  async observe(cloud, target, id) {
    return resourcePoolStatus(await show(cloud, base(target), instance(target, id)));
  },
  async delete(cloud, target, id) {
    await deleteOnce(cloud, base(target), instance(target, id));
  },
  compare(spec, observed) {
    // Billing and order annotations describe the purchase, not the pool; resources are keyed by flavor, node pool and step.
    return compareFields(spec.body, observed, {
      ignore: (path) => path.startsWith('metadata.annotations'),
      keyOf: (path, item) => {
        if (path !== 'spec.resources') return undefined;
        const r = obj(item);
        return `${String(r.flavor)}/${String(r.nodePool ?? '')}/${String(obj(r.creatingStep).index ?? '')}`;
      },
    });
  },
};

/**
 * ResourcePool: ModelArts dedicated resource pools (`/v2/{project_id}/pools`). Huawei names a pool itself;
 * the display name label `os.modelarts/name` (required by the validator) is what recognises it again.
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
  nodeCounts,
  nodesMoving,
  MERGE_PATCH,
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
import { KIND, resourcePoolManifestSchema, SUMMARY, TIMING } from './manifest';
import { resourcePoolPreflight } from './preflight';

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

const LABEL = (key: string) => `body.metadata.labels[${JSON.stringify(key)}]`;
const ANNOTATION = (key: string) => `body.metadata.annotations[${JSON.stringify(key)}]`;
const DESCRIPTION = 'os.modelarts/description';
const AUTO_RENEW = 'os.modelarts/auto.renew';
/* Purchase details of an order (Terraform strips them from a patch unless nodes are added): not pool settings. */
const ORDER_ANNOTATIONS = [
  'os.modelarts/auto.pay',
  'os.modelarts/promotion.info',
  'os.modelarts/service.console.url',
  'os.modelarts/order.id',
  'os.modelarts/flavor.resource.ids',
];
/* Terraform's ForceNew list, by manifest path: identity, placement and purchase terms. */
const FIXED: readonly [string, string][] = [
  ['region', 'a pool cannot move to another region'],
  [LABEL(POOL_NAME_LABEL), "a pool's name (os.modelarts/name) cannot change in place"],
  [LABEL('os.modelarts/workspace.id'), 'a pool cannot move to another workspace'],
  [LABEL('os.modelarts/node.prefix'), "a pool's node name prefix cannot change in place"],
  [ANNOTATION('os.modelarts/billing.mode'), "a pool's billing mode cannot change in place"],
  [ANNOTATION('os.modelarts/period.num'), "a pool's billing period cannot change in place"],
  [ANNOTATION('os.modelarts/period.type'), "a pool's billing period cannot change in place"],
  ['body.spec.network', 'a pool cannot move to another network'],
  ['body.spec.type', "a pool's type (Dedicate or Logical) cannot change in place"],
];

/**
 * `spec.resources` entries are matched by (flavor, nodePool, creatingStep), as Terraform matches them: Huawei
 * returns them in its own order. An entry without a node pool is the flavor's default one, which Huawei may show
 * as `<flavor>-default` (Terraform's match; UNVERIFIED).
 */
function resourceKey(item: unknown): string {
  const r = obj(item);
  const flavor = String(r.flavor);
  const nodePool = str(r.nodePool) === `${flavor}-default` ? undefined : str(r.nodePool);
  const step = r.creatingStep === undefined ? undefined : JSON.stringify(r.creatingStep);
  return [`flavor=${flavor}`, ...(nodePool ? [`nodePool=${nodePool}`] : []), ...(step ? [`creatingStep=${step}`] : [])].join(',');
}
const keyOf = (path: string, item: unknown) => (path.endsWith('spec.resources') ? resourceKey(item) : undefined);

const countsOf = (spec: ResourceSpec) => {
  const resources = obj(spec.body.spec).resources;
  return new Map((Array.isArray(resources) ? resources : []).map((r) => [resourceKey(r), num(obj(r).count) ?? 0]));
};

function countEffect(current: ResourceSpec, next: ResourceSpec, path: string): string | undefined {
  const entry = /^body\.spec\.resources\[([^\]]+)\](\.count)?$/.exec(path);
  if (!entry) return undefined;
  const before = countsOf(current).get(entry[1]!) ?? 0;
  const after = countsOf(next).get(entry[1]!) ?? 0;
  if (after > before) return `orders ${after - before} more node(s) (billed)`;
  if (after < before) return `releases ${before - after} node(s)`;
  return undefined;
}

/**
 * In place (the patch body of Huawei's SDK): the description and renewal annotations, scope, resources, job
 * flavors and driver. Any other field is refused by default: Huawei's patch has no place for it.
 */
function poolVerdict(current: ResourceSpec, next: ResourceSpec, change: PlannedChange): Verdict {
  const { path } = change;
  const fixed = FIXED.find(([prefix]) => under(path, prefix));
  if (fixed) return { inPlace: false, reason: fixed[1] };
  if (path === ANNOTATION(DESCRIPTION) || path === ANNOTATION(AUTO_RENEW)) return { inPlace: true };
  if (ORDER_ANNOTATIONS.some((key) => path === ANNOTATION(key))) return { inPlace: true, effect: 'used by the next order only' };
  if (under(path, 'body.spec.resources')) {
    const effect = countEffect(current, next, path);
    return effect ? { inPlace: true, effect } : { inPlace: true };
  }
  if (['body.spec.scope', 'body.spec.jobFlavors', 'body.spec.driver'].some((prefix) => under(path, prefix))) return { inPlace: true };
  return {
    inPlace: false,
    reason: `a pool's ${path.replace(/^body\./, '')} cannot change in place (Huawei's pool patch does not take it)`,
  };
}

const classify = (current: ResourceSpec, next: ResourceSpec) =>
  classifyChanges(current, next, { fields: ['region', 'body'], keyOf, verdict: (change) => poolVerdict(current, next, change) });

/** What a patch may change, in the shape the pool has: compared with the pool Huawei shows, and sent when it differs. */
function patchable(body: Json): Json {
  const annotations = obj(obj(body.metadata).annotations);
  const spec = obj(body.spec);
  const kept = Object.fromEntries([DESCRIPTION, AUTO_RENEW].filter((k) => annotations[k] !== undefined).map((k) => [k, annotations[k]]));
  const specPart = Object.fromEntries(
    ['scope', 'resources', 'jobFlavors', 'driver'].filter((k) => spec[k] !== undefined).map((k) => [k, spec[k]]),
  );
  return { ...(Object.keys(kept).length > 0 ? { metadata: { annotations: kept } } : {}), spec: specPart };
}

/**
 * One step of a pool update: wait until the pool is Running with its nodes steady, then one merge-patch with
 * whatever differs. Merge-patch replaces arrays, so `spec.resources` goes whole: an entry left out would be
 * scaled away. Once Huawei holds the desired spec, only the nodes are awaited, so nothing is patched twice.
 */
async function updateStep(
  cloud: HuaweiTransport,
  resource: AdapterResource,
  target: HuaweiTarget,
  id: string,
  observation: Observation,
): Promise<UpdateStep> {
  const { phase, reason, message } = observation;
  if (phase === 'Failed') return failed(reason ?? 'Failed', `the pool is ${reason ?? 'failed'}${message ? `: ${message}` : ''}`);
  if (reason === 'Deleting') return failed('Deleting', 'the pool is being deleted');
  if (phase !== 'Succeeded') return waiting(`the pool is ${reason ?? 'not Running yet'}`);
  const counts = nodeCounts(observation.observed);
  if (counts.abnormal > 0 && counts.creating === 0) return failed('Abnormal', `${counts.abnormal} node(s) of the pool are abnormal`);
  const moving = nodesMoving(observation.observed);
  if (moving) return waiting(moving);
  const wanted = patchable(resource.spec.body);
  const diffs = compareFields(wanted, observation.observed, {
    keyOf: (path, item) => (path === 'spec.resources' ? resourceKey(item) : undefined),
  });
  if (diffs.length === 0) return { status: 'converged' };
  const touches = (prefix: string) => diffs.some((d) => under(d.path, prefix));
  const wantedSpec = obj(wanted.spec);
  const spec = Object.fromEntries(Object.entries(wantedSpec).filter(([k]) => touches(`spec.${k}`)));
  const patch = { ...(touches('metadata') ? { metadata: wanted.metadata } : {}), ...(Object.keys(spec).length > 0 ? { spec } : {}) };
  await patchPool(cloud, target, id, patch);
  return sent(`patched ${diffs.map((d) => d.path).join(', ')}`);
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
    // Billing and order annotations describe the purchase, not the pool (the billing mode excepted); resources are keyed.
    const keep = new Set([DESCRIPTION, 'os.modelarts/billing.mode']);
    return compareFields(spec.body, observed, {
      ignore: (path) =>
        path.startsWith('metadata.annotations[') && ![...keep].some((k) => path === `metadata.annotations[${JSON.stringify(k)}]`),
      keyOf: (path, item) => (path === 'spec.resources' ? resourceKey(item) : undefined),
    });
  },
  fixedChanges: (current, next) => fixedOf(classify(current, next)),
  changes: (current, next) => changesOf(classify(current, next)),
  update: updateStep,
  preflight: resourcePoolPreflight,
};

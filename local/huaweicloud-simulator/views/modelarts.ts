/** ModelArts response bodies (notebook, pool, node pool) rendered from a stored resource at a given instant. */
import { SIMULATED_DOMAIN_ID, SIMULATED_REGION } from '../defaults';
import { arr, isoSeconds, obj, str, type JsonObject } from '../json';
import { NOTEBOOK_STEPS, type FlavorCounts, nodePoolProgress, notebookProgress, poolProgress } from '../progress';
import type { SimResource } from '../state';

const DEFAULT_LEASE_MS = 3_600_000;

export function renderNotebook(r: SimResource, now: number): JsonObject {
  const b = r.body;
  const p = notebookProgress(r, now);
  const running = p.status === 'RUNNING';
  const imageId = str(b.image_id) ?? str(obj(b.image)?.id) ?? '';
  const lease = obj(b.lease);
  const leaseDuration =
    typeof lease?.duration === 'number' ? lease.duration : typeof b.duration === 'number' ? b.duration : DEFAULT_LEASE_MS;
  const volumeIn = obj(b.volume) ?? {};
  const volume: JsonObject = {
    category: (str(volumeIn.category) ?? 'EVS').toUpperCase(),
    ownership: (str(volumeIn.ownership) ?? 'MANAGED').toUpperCase(),
    capacity: typeof volumeIn.capacity === 'number' ? volumeIn.capacity : 5,
    mount_path: str(volumeIn.mount_path) ?? '/home/ma-user/work/',
  };
  // The volume reports INITIALIZING until the instance first comes up, RESIZING while it grows; Terraform waits on both.
  const firstStart = r.power === undefined && ['INIT', 'CREATING', 'STARTING'].includes(p.status);
  if (firstStart) volume.status = 'INITIALIZING';
  else if (r.resizeUntil !== undefined && now < r.resizeUntil) volume.status = 'RESIZING';
  const body: JsonObject = {
    id: r.id,
    name: r.name,
    description: str(b.description) ?? '',
    feature: str(b.feature) ?? 'NOTEBOOK',
  };
  if (b.flavor !== undefined) body.flavor = b.flavor;
  if (b.custom_spec !== undefined) body.custom_spec = b.custom_spec;
  Object.assign(body, {
    image: {
      id: imageId,
      name: 'sim-notebook-image',
      swr_path: `swr.${SIMULATED_REGION}.myhuaweicloud.com/atelier/sim-notebook-image:1.0.0`,
      tag: '1.0.0',
      type: 'BUILD_IN',
    },
    lease: { create_at: r.createdAt, duration: leaseDuration, enable: leaseDuration > 0, type: 'TIMING', update_at: r.createdAt },
    status: p.status,
    fail_reason: p.failReason,
    action_progress: NOTEBOOK_STEPS.map((description, i) => ({ step: i + 1, status: p.steps[i], description })),
    volume,
    // The endpoint settings are the instance's whether it runs or not; only the address needs it running.
    endpoints: (arr(b.endpoints) ?? []).map((e) => ({ ...obj(e), ...(running ? { uri: `192.168.0.${10 + (r.createdAt % 200)}` } : {}) })),
    url: running ? `https://notebook.${SIMULATED_REGION}.sim.invalid/${r.id}/lab` : '',
    token: r.token ?? '',
    workspace_id: str(b.workspace_id) ?? '0',
    billing_items: ['STORAGE', 'COMPUTE'],
    tags: [],
  });
  for (const field of ['affinity', 'data_volumes', 'run_user', 'user_vpc'] as const) if (b[field] !== undefined) body[field] = b[field];
  const poolId = str(b.pool_id);
  if (poolId) body.pool = { id: poolId, name: poolId };
  return body;
}

/**
 * One object per bucket (`PoolResourceFlavorCount` in Huawei's SDK, and the create-pool API page): the nodes in
 * that state, with their flavor and node pool when they share one. How Huawei fills one object for nodes of
 * several flavors is not documented; here the count is their total and `flavor` is left out. An empty bucket
 * is left out, as the SDK's models omit unset fields.
 */
function statusResources(flavors: FlavorCounts[], nodePoolName?: string): JsonObject {
  const resources: JsonObject = {};
  for (const k of ['creating', 'available', 'abnormal', 'deleting'] as const) {
    const members = flavors.filter((c) => c[k] > 0);
    if (members.length === 0) continue;
    const entry: JsonObject = { count: members.reduce((n, c) => n + c[k], 0) };
    const flavorsIn = new Set(members.map((c) => c.flavor));
    if (flavorsIn.size === 1) entry.flavor = members[0]!.flavor;
    const nodePools = new Set(members.map((c) => nodePoolName ?? c.nodePool));
    const nodePool = nodePools.size === 1 ? [...nodePools][0] : undefined;
    if (nodePool !== undefined) entry.nodePool = nodePool;
    resources[k] = entry;
  }
  return resources;
}

function driverFor(flavors: FlavorCounts[], phase: string, spec: JsonObject): JsonObject {
  const driverSpec = obj(spec.driver) ?? {};
  const state = phase === 'Running' ? 'Running' : phase === 'Abnormal' ? 'Abnormal' : 'Creating';
  const driver: JsonObject = {};
  if (flavors.some((f) => /gpu/i.test(f.flavor))) driver.gpu = { version: str(driverSpec.gpuVersion) ?? '', state };
  if (flavors.some((f) => /npu|snt|ascend/i.test(f.flavor))) driver.npu = { version: str(driverSpec.npuVersion) ?? '', state };
  return driver;
}

export function renderPool(r: SimResource, now: number): JsonObject {
  const metadataIn = obj(r.body.metadata) ?? {};
  const specIn = obj(r.body.spec) ?? {};
  const p = poolProgress(r, now);
  const scopes = (arr(specIn.scope) ?? ['Train']).filter((s): s is string => typeof s === 'string');
  const scopeState =
    p.phase === 'Running' ? 'Enabled' : p.phase === 'Abnormal' ? 'Disabled' : p.phase === 'Deleting' ? 'Disabling' : 'Enabling';
  return {
    apiVersion: 'v2',
    kind: 'Pool',
    metadata: {
      name: r.id,
      creationTimestamp: isoSeconds(r.createdAt),
      labels: {
        'os.modelarts/workspace.id': '0',
        ...(obj(metadataIn.labels) ?? {}),
        'os.modelarts/resource.id': `${r.id}-res`,
        'os.modelarts/tenant.domain.id': SIMULATED_DOMAIN_ID,
        'os.modelarts/tenant.project.id': r.projectId,
        'os.modelarts/order.name': r.orderName ?? '',
      },
      annotations: {
        'os.modelarts/billing.mode': '0',
        'os.modelarts/tms.tags': '[]',
        ...(obj(metadataIn.annotations) ?? {}),
      },
    },
    spec: {
      ...specIn,
      type: str(specIn.type) ?? 'Dedicate',
      scope: scopes,
      resources: (arr(specIn.resources) ?? []).map((res) => {
        const o = obj(res) ?? {};
        return { ...o, maxCount: o.maxCount ?? o.count };
      }),
    },
    status: {
      phase: p.phase,
      message: p.message,
      resources: statusResources(p.flavors),
      scope: scopes.map((scopeType) => ({ scopeType, state: scopeState })),
      driver: driverFor(p.flavors, p.phase, specIn),
      parent: '',
      root: r.id,
    },
  };
}

/** The create answer: the request echoed back, with no status (the documented 200 body). */
export function renderNodePoolCreated(r: SimResource): JsonObject {
  const metadataIn = obj(r.body.metadata) ?? {};
  return {
    apiVersion: 'v2',
    kind: 'NodePool',
    metadata: { name: r.name, annotations: obj(metadataIn.annotations) ?? {} },
    spec: obj(r.body.spec) ?? {},
  };
}

export function renderNodePool(r: SimResource, now: number): JsonObject {
  return {
    ...renderNodePoolCreated(r),
    status: { resources: statusResources(nodePoolProgress(r, now), r.name) },
  };
}

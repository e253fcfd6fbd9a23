/** ModelArts v2 pool and node-pool routes under /v2/{pid}/pools: create, list, show, merge-patch and delete. */
import { Hono } from 'hono';
import { huaweiError, jsonObjectBody, modelartsBadRequest, type SimContext, type SimEnv } from '../http';
import { arr, int, isObject, mergePatch, obj, str, type JsonObject } from '../json';
import { nodePoolProgress, poolProgress, requestedFlavors } from '../progress';
import type { SimResource, SimulatorState } from '../state';
import { renderNodePool, renderNodePoolCreated, renderPool } from '../views/modelarts';
import { hex, matchesLabelSelector, newResource } from './shared';

const NAME_LABEL = 'os.modelarts/name';
/** Kubernetes-style object name; node pools become Kubernetes objects on the pool's cluster. */
const NODE_POOL_NAME = /^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/;

function checkFlavorEntry(entry: unknown, where: string): string | undefined {
  if (!isObject(entry)) return `${where} must be an object`;
  if (!str(entry.flavor)) return `${where}.flavor is required`;
  const count = int(entry.count);
  if (count === undefined || count < 1) return `${where}.count must be an integer of at least 1`;
  return undefined;
}

function checkPool(body: JsonObject): string | undefined {
  const name = str(obj(obj(body.metadata)?.labels)?.[NAME_LABEL]);
  if (!name) return `metadata.labels["${NAME_LABEL}"] is required`;
  const resources = arr(obj(body.spec)?.resources);
  if (!resources || resources.length === 0) return 'spec.resources must be a non-empty array';
  for (const [i, entry] of resources.entries()) {
    const problem = checkFlavorEntry(entry, `spec.resources[${i}]`);
    if (problem) return problem;
  }
  return undefined;
}

function checkNodePool(body: JsonObject): string | undefined {
  const name = str(obj(body.metadata)?.name);
  if (name === undefined) return 'metadata.name is required';
  if (!NODE_POOL_NAME.test(name)) return 'invalid nodepool name';
  const resources = obj(body.spec)?.resources;
  if (resources === undefined) return 'spec.resources is required';
  const entries = Array.isArray(resources) ? resources : [resources];
  if (entries.length === 0) return 'spec.resources must not be empty';
  for (const [i, entry] of entries.entries()) {
    const problem = checkFlavorEntry(entry, Array.isArray(resources) ? `spec.resources[${i}]` : 'spec.resources');
    if (problem) return problem;
  }
  return undefined;
}

/** The list's `status` filter: empty means valid pools only (creating + created); failed ones need `failed`. */
function poolStatusBucket(r: SimResource, now: number): 'creating' | 'created' | 'failed' | 'deleting' {
  const phase = poolProgress(r, now).phase;
  if (phase === 'Running') return 'created';
  if (phase === 'Abnormal') return 'failed';
  if (phase === 'Deleting') return 'deleting';
  return 'creating';
}

const MERGE_PATCH = 'application/merge-patch+json';

/** Identity and placement a pool keeps for life (Terraform's ForceNew list): a patch changing one is refused. */
const POOL_FIXED: readonly [string, (body: JsonObject) => unknown][] = [
  [`metadata.labels["${NAME_LABEL}"]`, (b) => obj(obj(b.metadata)?.labels)?.[NAME_LABEL]],
  ['metadata.labels["os.modelarts/workspace.id"]', (b) => obj(obj(b.metadata)?.labels)?.['os.modelarts/workspace.id']],
  ['metadata.labels["os.modelarts/node.prefix"]', (b) => obj(obj(b.metadata)?.labels)?.['os.modelarts/node.prefix']],
  ['metadata.annotations["os.modelarts/billing.mode"]', (b) => obj(obj(b.metadata)?.annotations)?.['os.modelarts/billing.mode']],
  ['spec.type', (b) => obj(b.spec)?.type],
  ['spec.network', (b) => obj(b.spec)?.network],
];
const NODE_POOL_FIXED: readonly [string, (body: JsonObject) => unknown][] = [
  ['metadata.name', (b) => obj(b.metadata)?.name],
  ['spec.resources.flavor', (b) => obj(obj(b.spec)?.resources)?.flavor],
];

function fixedChange(before: JsonObject, after: JsonObject, fixed: readonly [string, (body: JsonObject) => unknown][]): string | undefined {
  const field = fixed.find(([, read]) => JSON.stringify(read(before)) !== JSON.stringify(read(after)));
  return field && `${field[0]} cannot be changed`;
}

/** Whether any flavor entry's node count differs, counting entries added or dropped by the patch. */
function countsDiffer(before: SimResource, after: SimResource): boolean {
  const tally = (r: SimResource) =>
    JSON.stringify(
      requestedFlavors(r)
        .map((f) => `${f.flavor}/${f.nodePool ?? ''}=${f.count}`)
        .sort(),
    );
  return tally(before) !== tally(after);
}

export function poolRoutes(state: SimulatorState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  const poolNotFound = (c: SimContext, name: string) => huaweiError(c, 404, 'ModelArts.50015001', `pool ${name} not found`);
  const livePool = (name: string): SimResource | undefined => {
    const pool = state.find('ResourcePool', name);
    return pool && pool.deletedAt === undefined ? pool : undefined;
  };

  app.post('/v2/:project_id/pools', (c) => {
    const body = jsonObjectBody(c);
    if (!body) return modelartsBadRequest(c, 'the request body must be a JSON object');
    const problem = checkPool(body);
    if (problem) return modelartsBadRequest(c, problem);
    const name = str(obj(obj(body.metadata)?.labels)?.[NAME_LABEL])!;
    const now = state.now();
    // The pool API documents 409 "already exists"; the display name is the only identity a caller controls.
    const clash = state.visible(
      'ResourcePool',
      (r) => r.name === name && r.deletedAt === undefined && poolStatusBucket(r, now) !== 'failed',
    );
    if (clash.length > 0) return huaweiError(c, 409, 'ModelArts.50015000', `pool ${name} already exists (${clash[0]!.id})`);
    const resource = newResource(state, c, { kind: 'ResourcePool', id: `pool-${hex(4)}-${hex(16)}`, name, body });
    resource.orderName = `order-${hex(8)}`;
    state.add(resource);
    return c.json(renderPool(resource, now), 200);
  });

  app.get('/v2/:project_id/pools', (c) => {
    const now = state.now();
    const status = c.req.query('status') ?? '';
    if (!['', 'creating', 'created', 'failed'].includes(status))
      return modelartsBadRequest(c, 'status must be creating, created or failed');
    const workspaceId = c.req.query('workspaceId');
    const items = state
      .visible('ResourcePool')
      .sort((a, b) => a.createdAt - b.createdAt)
      .filter((r) => {
        const bucket = poolStatusBucket(r, now);
        return status === '' ? bucket !== 'failed' : bucket === status;
      })
      .map((r) => renderPool(r, now))
      .filter((pool) => {
        const labels = (obj(pool.metadata)?.labels ?? {}) as Record<string, unknown>;
        if (workspaceId && labels['os.modelarts/workspace.id'] !== workspaceId) return false;
        return matchesLabelSelector(labels, c.req.query('labelSelector'));
      });
    return c.json({ apiVersion: 'v2', kind: 'PoolList', metadata: {}, items });
  });

  app.get('/v2/:project_id/pools/:pool_name', (c) => {
    const pool = state.find('ResourcePool', c.req.param('pool_name'));
    if (!pool) return poolNotFound(c, c.req.param('pool_name'));
    return c.json(renderPool(pool, state.now()));
  });

  app.delete('/v2/:project_id/pools/:pool_name', (c) => {
    const pool = state.find('ResourcePool', c.req.param('pool_name'));
    if (!pool) return poolNotFound(c, c.req.param('pool_name'));
    state.markDeleted(pool, c.get('requestId'));
    // Node pools live on the pool's nodes, so they go with it.
    for (const np of state.visible('NodePool', (r) => r.parentId === pool.id)) state.markDeleted(np, c.get('requestId'));
    return c.json(renderPool(pool, state.now()));
  });

  /**
   * The merge-patch both PATCH routes share: the merged body must still be valid, keep its fixed fields, and
   * may change node counts only once earlier nodes have settled; a count change starts a scaling period.
   */
  const patch = (
    c: SimContext,
    resource: SimResource,
    check: (body: JsonObject) => string | undefined,
    fixed: readonly [string, (body: JsonObject) => unknown][],
    settled: boolean,
  ): Response | undefined => {
    // ModelArts answers a PATCH sent as plain JSON (what the Python SDK declares) with this code.
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith(MERGE_PATCH)) {
      return huaweiError(c, 415, 'ModelArts.50004100', `Content type not supported; use ${MERGE_PATCH}`);
    }
    if (resource.deletedAt !== undefined) return modelartsBadRequest(c, `${resource.id} is being deleted`);
    const changes = jsonObjectBody(c);
    if (!changes) return modelartsBadRequest(c, 'the request body must be a JSON object');
    const merged = mergePatch(resource.body, changes) as JsonObject;
    const problem = check(merged) ?? fixedChange(resource.body, merged, fixed);
    if (problem) return modelartsBadRequest(c, problem);
    const now = state.now();
    const before = requestedFlavors(resource);
    const scales = countsDiffer(resource, { ...resource, body: merged });
    if (scales && !settled)
      return modelartsBadRequest(c, 'nodes are still being created or scaled; change the count when they have settled');
    resource.body = merged;
    if (scales) {
      resource.scaling = { at: now, durationMs: state.config.durations[resource.kind], previous: before };
      if (resource.kind === 'ResourcePool') resource.orderName = `order-${hex(8)}`;
    }
    state.recordOperation(resource, { op: 'update', requestId: c.get('requestId'), body: changes });
    return undefined;
  };

  const settledNodes = (r: SimResource, now: number) => {
    const counts = r.kind === 'NodePool' ? nodePoolProgress(r, now) : poolProgress(r, now).flavors;
    return counts.every((f) => f.creating === 0 && f.deleting === 0);
  };

  app.patch('/v2/:project_id/pools/:pool_name', (c) => {
    const pool = state.find('ResourcePool', c.req.param('pool_name'));
    if (!pool) return poolNotFound(c, c.req.param('pool_name'));
    const now = state.now();
    const settled = poolProgress(pool, now).phase === 'Running' && settledNodes(pool, now);
    return patch(c, pool, checkPool, POOL_FIXED, settled) ?? c.json(renderPool(pool, now));
  });

  app.post('/v2/:project_id/pools/:pool_name/nodepools', (c) => {
    const pool = livePool(c.req.param('pool_name'));
    if (!pool) return poolNotFound(c, c.req.param('pool_name'));
    const body = jsonObjectBody(c);
    if (!body) return modelartsBadRequest(c, 'the request body must be a JSON object');
    const problem = checkNodePool(body);
    if (problem) return modelartsBadRequest(c, problem);
    const name = str(obj(body.metadata)?.name)!;
    const id = `${pool.id}/${name}`;
    // The name is the caller's key within the pool; answered like the pool API's "already exists".
    if (state.find('NodePool', id)) return huaweiError(c, 409, 'ModelArts.50015000', `nodepool ${name} already exists in pool ${pool.id}`);
    const resource = newResource(state, c, { kind: 'NodePool', id, name, body, parentId: pool.id });
    state.add(resource);
    return c.json(renderNodePoolCreated(resource), 200);
  });

  app.get('/v2/:project_id/pools/:pool_name/nodepools', (c) => {
    const pool = state.find('ResourcePool', c.req.param('pool_name'));
    if (!pool) return poolNotFound(c, c.req.param('pool_name'));
    const now = state.now();
    const items = state
      .visible('NodePool', (r) => r.parentId === pool.id)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((r) => renderNodePool(r, now));
    return c.json({ apiVersion: 'v2', kind: 'NodePoolList', items });
  });

  const nodePoolOr404 = (c: SimContext): SimResource | Response => {
    const poolName = c.req.param('pool_name') ?? '';
    const pool = state.find('ResourcePool', poolName);
    if (!pool) return poolNotFound(c, poolName);
    const name = c.req.param('name') ?? '';
    const np = state.find('NodePool', `${pool.id}/${name}`);
    return np ?? huaweiError(c, 404, 'ModelArts.50015001', `nodepool ${name} not found in pool ${pool.id}`);
  };

  app.get('/v2/:project_id/pools/:pool_name/nodepools/:name', (c) => {
    const np = nodePoolOr404(c);
    return np instanceof Response ? np : c.json(renderNodePool(np, state.now()));
  });

  app.patch('/v2/:project_id/pools/:pool_name/nodepools/:name', (c) => {
    const np = nodePoolOr404(c);
    if (np instanceof Response) return np;
    const now = state.now();
    return patch(c, np, checkNodePool, NODE_POOL_FIXED, settledNodes(np, now)) ?? c.json(renderNodePool(np, now));
  });

  app.delete('/v2/:project_id/pools/:pool_name/nodepools/:name', (c) => {
    const np = nodePoolOr404(c);
    if (np instanceof Response) return np;
    state.markDeleted(np, c.get('requestId'));
    return c.json(renderNodePool(np, state.now()));
  });

  return app;
}

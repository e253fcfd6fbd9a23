/**
 * Read-only catalog routes a preflight asks before creating: ModelArts notebook flavors, resource flavors,
 * images and quotas; IEF edge nodes and groups. Answers come from the catalog (catalog.ts) and what the
 * simulator holds; they sit behind the same gateway (signature, rate limit, faults) as every other route.
 */
import { Hono } from 'hono';
import { NETWORK_QUOTA_VIEW } from '../catalog';
import { huaweiError, iefBadRequest, modelartsBadRequest, type SimEnv } from '../http';
import { arr, str } from '../json';
import type { SimulatorState } from '../state';
import { renderEdgeGroup, renderEdgeNode, renderImage, renderNotebookFlavor, renderResourceFlavor } from '../views/catalog';
import { matchesLabelSelector, paging } from './shared';

/** When the catalog's entries were "created": fixed, so that repeated reads agree. */
const CATALOG_EPOCH = Date.UTC(2025, 0, 1);
const RESOURCE_FLAVOR_PAGE_MAX = 500;

/** The `continue` token of the resource flavor list: opaque to clients, an offset here. */
const continueToken = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');
function offsetOf(token: string | undefined): number | undefined {
  if (token === undefined || token === '') return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

function oneOfQuery(value: string | undefined, allowed: readonly string[]): boolean {
  return value === undefined || value === '' || allowed.includes(value);
}

/** ModelArts' catalog routes; mounted before the notebook routes, whose `/notebooks/:id` would take `flavors` for an id. */
export function modelartsCatalogRoutes(state: SimulatorState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.get('/v1/:project_id/notebooks/flavors', (c) => {
    const category = c.req.query('category');
    if (!oneOfQuery(category, ['CPU', 'GPU', 'ASCEND'])) return modelartsBadRequest(c, 'category must be CPU, GPU or ASCEND');
    if (!oneOfQuery(c.req.query('type'), ['MANAGED', 'DEDICATED'])) return modelartsBadRequest(c, 'type must be MANAGED or DEDICATED');
    if (!oneOfQuery(c.req.query('feature'), ['NOTEBOOK', 'DEFAULT'])) return modelartsBadRequest(c, 'feature must be NOTEBOOK or DEFAULT');
    const view = state.catalogView();
    const all = view
      .flavorIds()
      .map((flavor) => renderNotebookFlavor(flavor, view))
      .filter((f) => !category || f.category === category);
    // No limit means the whole list (the API's default).
    const page = paging(c, { limit: Math.max(all.length, 1), maxLimit: 1000 });
    if (!page.ok) return modelartsBadRequest(c, page.error);
    const data = all.slice(page.offset, page.offset + page.limit);
    return c.json({
      current: Math.floor(page.offset / page.limit),
      data,
      pages: Math.ceil(all.length / page.limit),
      size: page.limit,
      total: all.length,
    });
  });

  app.get('/v1/:project_id/resourceflavors', (c) => {
    const rawLimit = c.req.query('limit');
    const limit = rawLimit === undefined || rawLimit === '' ? RESOURCE_FLAVOR_PAGE_MAX : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > RESOURCE_FLAVOR_PAGE_MAX) {
      return modelartsBadRequest(c, `limit must be an integer from 1 to ${RESOURCE_FLAVOR_PAGE_MAX}`);
    }
    const offset = offsetOf(c.req.query('continue'));
    if (offset === undefined) return modelartsBadRequest(c, 'continue is not a token this list gave out');
    const view = state.catalogView();
    const items = view
      .flavorIds()
      .map((flavor) => renderResourceFlavor(flavor, view))
      .filter((item) => {
        const labels = ((item.metadata as { labels?: Record<string, unknown> }).labels ?? {}) as Record<string, unknown>;
        return matchesLabelSelector(labels, c.req.query('labelSelector'));
      });
    const next = offset + limit;
    return c.json({
      apiVersion: 'v1',
      kind: 'ResourceFlavorList',
      metadata: next < items.length ? { continue: continueToken(next) } : {},
      items: items.slice(offset, next),
    });
  });

  app.get('/v1/:project_id/images/:id', (c) => {
    const id = c.req.param('id');
    const image = state.catalogView().image(id);
    // Chosen here: the image API page documents no code for an unknown image.
    if (!image) return huaweiError(c, 404, 'ModelArts.6701', `image ${id} does not exist`);
    return c.json(renderImage(id, image, CATALOG_EPOCH));
  });

  // The API page's example: string numbers, a pool and a network entry.
  app.get('/v1/:project_id/quotas', (c) => {
    const pool = state.catalogView().poolQuota();
    return c.json({
      quotas: {
        resources: [
          { type: 'pool', quota: String(pool.quota), used: String(pool.used) },
          { type: 'network', quota: String(NETWORK_QUOTA_VIEW.quota), used: String(NETWORK_QUOTA_VIEW.used) },
        ],
      },
    });
  });

  return app;
}

/** IEF's edge node and group reads, under /v2 (deployments are under /v3). */
export function iefCatalogRoutes(state: SimulatorState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  // Chosen here: IEF documents no code for an unknown node or group.
  const notFound = (what: string, id: string) => `${what} ${id} not found`;

  app.get('/v2/:project_id/edgemgr/nodes/:id', (c) => {
    const id = c.req.param('id');
    const nodeState = state.catalogView().node(id);
    if (!nodeState) return huaweiError(c, 404, 'IEF.100011', notFound('edge node', id));
    // Unlike the group, a node comes wrapped.
    return c.json({ node: renderEdgeNode(id, nodeState, CATALOG_EPOCH) });
  });

  app.get('/v2/:project_id/edgemgr/groups/:id', (c) => {
    const id = c.req.param('id');
    if (id.length > 64) return iefBadRequest(c, 'group_id must be at most 64 characters');
    const view = state.catalogView();
    const nodeIds = view.groupNodes(id);
    if (!nodeIds) return huaweiError(c, 404, 'IEF.100011', notFound('edge group', id));
    const nodes = nodeIds.map((nodeId) => renderEdgeNode(nodeId, view.node(nodeId) ?? 'UNCONNECTED', CATALOG_EPOCH));
    const deployments = state
      .visible(
        'EdgeDeployment',
        (r) => str(r.body.group_id) === id || (arr(r.body.node_ids) ?? []).some((n) => nodeIds.includes(String(n))),
      )
      .map((r) => r.id);
    return c.json(renderEdgeGroup(id, nodes, deployments, CATALOG_EPOCH));
  });

  return app;
}

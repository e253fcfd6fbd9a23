/**
 * IEF routes: deployments under /v3/{pid}/edgemgr/deployments (create, list, show, update, delete) and their pods;
 * the edge node and group reads under /v2 (routes/catalog.ts).
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { FAIL_MARKER } from '../defaults';
import { huaweiError, iefBadRequest, jsonObjectBody, type SimContext, type SimEnv } from '../http';
import { arr, findString, int, isObject, obj, str, type JsonObject } from '../json';
import type { SimResource, SimulatorState } from '../state';
import { renderDeployment, renderPods } from '../views/ief';
import { iefCatalogRoutes } from './catalog';
import { fuzzyMatch, hex, newResource, newestFirst, paging, requireProject } from './shared';

/** Lower-case letters, digits and hyphens, at most 32, starting and ending with a letter or digit. */
const DNS_NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

function checkDeployment(body: JsonObject): string | undefined {
  const name = str(body.name);
  if (name === undefined) return 'name is required';
  if (!DNS_NAME.test(name)) return 'name must be 1-32 lower-case letters, digits or hyphens, starting and ending with a letter or digit';
  const deployment = obj(body.deployment);
  if (!deployment) return 'deployment is required';
  return checkTemplate(deployment);
}

function checkTemplate(deployment: JsonObject): string | undefined {
  const replicas = int(deployment.replicas);
  if (replicas === undefined || replicas < 1) return 'deployment.replicas must be an integer of at least 1';
  const containers = arr(obj(deployment.template)?.containers);
  if (!containers || containers.length === 0) return 'deployment.template.containers must be a non-empty array';
  for (const [i, container] of containers.entries()) {
    if (!isObject(container)) return `deployment.template.containers[${i}] must be an object`;
    if (!str(container.image_url)) return `deployment.template.containers[${i}].image_url is required`;
  }
  return undefined;
}

/** UpdateDeployment in the official SDK: `{description}` or `{deployment: {replicas, template}}`, never both. */
function checkUpdate(body: JsonObject): string | undefined {
  const fixed = Object.keys(body).filter((k) => k !== 'description' && k !== 'deployment');
  if (fixed.length > 0) return `${fixed.join(', ')} cannot be updated`;
  if (body.description !== undefined && body.deployment !== undefined) {
    return 'description and deployment cannot be updated in one request; to change only the description, do not send deployment';
  }
  if (body.description !== undefined) return typeof body.description === 'string' ? undefined : 'description must be a string';
  const deployment = obj(body.deployment);
  if (!deployment) return 'either description or deployment is required';
  const extra = Object.keys(deployment).filter((k) => k !== 'replicas' && k !== 'template');
  if (extra.length > 0) return `deployment.${extra.join(', deployment.')} cannot be updated`;
  return checkTemplate(deployment);
}

/** One pod per replica, named as IEF names them: deployment name, a suffix per rollout, a per-pod tail. */
function newPods(resource: SimResource): SimResource['pods'] {
  const deployment = obj(resource.body.deployment)!;
  const containerCount = arr(obj(deployment.template)?.containers)!.length;
  const podSuffix = hex(5);
  return Array.from({ length: int(deployment.replicas)! }, (_, i) => ({
    id: randomUUID(),
    name: `${resource.name}-${podSuffix}-${hex(3)}${i}`,
    containerIds: Array.from({ length: containerCount }, () => hex(32)),
  }));
}

export function iefRoutes(state: SimulatorState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  // IEF documents a foreign project as a 400 rather than a 404.
  const wrongProject = requireProject(state, (c) => huaweiError(c, 400, 'IEF.100001', 'PROJECT_ID not found'));
  app.use('/v3/:project_id/edgemgr/*', wrongProject);
  app.use('/v2/:project_id/edgemgr/*', wrongProject);
  app.route('/', iefCatalogRoutes(state));

  const notFound = (c: SimContext, id: string) => huaweiError(c, 404, 'IEF.100012', `deployment ${id} not found`);

  // Name uniqueness is not documented, so duplicates are accepted: a client that creates twice shows up in /__sim/resources.
  app.post('/v3/:project_id/edgemgr/deployments', (c) => {
    const body = jsonObjectBody(c);
    if (!body) return iefBadRequest(c, 'the request body must be a JSON object');
    const problem = checkDeployment(body);
    if (problem) return iefBadRequest(c, problem);
    const resource = newResource(state, c, { kind: 'EdgeDeployment', id: randomUUID(), name: str(body.name)!, body });
    resource.pods = newPods(resource);
    state.add(resource);
    return c.json(renderDeployment(resource, state.now()), 201);
  });

  app.get('/v3/:project_id/edgemgr/deployments', (c) => {
    const page = paging(c, { limit: 10, maxLimit: 100 });
    if (!page.ok) return iefBadRequest(c, page.error);
    const now = state.now();
    const nodeId = c.req.query('node_id');
    const groupId = c.req.query('group_id');
    const matches = state
      .visible('EdgeDeployment', (r) => fuzzyMatch(r.name, c.req.query('name')))
      .filter((r) => !nodeId || (arr(r.body.node_ids) ?? []).includes(nodeId))
      .filter((r) => !groupId || r.body.group_id === groupId)
      .sort(newestFirst);
    return c.json({
      count: matches.length,
      deployments: matches.slice(page.offset, page.offset + page.limit).map((r) => renderDeployment(r, now)),
    });
  });

  app.get('/v3/:project_id/edgemgr/deployments/:id', (c) => {
    const resource = state.find('EdgeDeployment', c.req.param('id'));
    if (!resource) return notFound(c, c.req.param('id'));
    return c.json(renderDeployment(resource, state.now()));
  });

  app.put('/v3/:project_id/edgemgr/deployments/:id', (c) => {
    const resource = state.find('EdgeDeployment', c.req.param('id'));
    if (!resource) return notFound(c, c.req.param('id'));
    const body = jsonObjectBody(c);
    if (!body) return iefBadRequest(c, 'the request body must be a JSON object');
    const problem = checkUpdate(body);
    if (problem) return iefBadRequest(c, problem);
    // Chosen here: IEF documents no code for changing a deployment that is being deleted.
    if (resource.deletedAt !== undefined) return huaweiError(c, 409, 'IEF.100013', `deployment ${resource.id} is being deleted`);
    const now = state.now();
    if (typeof body.description === 'string') resource.body.description = body.description;
    const deployment = obj(body.deployment);
    if (deployment) {
      resource.body.deployment = { ...obj(resource.body.deployment), replicas: deployment.replicas, template: deployment.template };
      // A new template or replica count rolls the pods: readiness starts again from zero.
      resource.pods = newPods(resource);
      resource.restartedAt = now;
      const failure = findString(resource.body, FAIL_MARKER);
      if (failure) resource.failure = failure;
      else delete resource.failure;
    }
    state.recordOperation(resource, { op: 'update', requestId: c.get('requestId'), body });
    return c.json(renderDeployment(resource, now));
  });

  app.delete('/v3/:project_id/edgemgr/deployments/:id', (c) => {
    const resource = state.find('EdgeDeployment', c.req.param('id'));
    if (!resource) return notFound(c, c.req.param('id'));
    state.markDeleted(resource, c.get('requestId'));
    return c.body(null, 204);
  });

  app.get('/v3/:project_id/edgemgr/pods', (c) => {
    const page = paging(c, { limit: 100, maxLimit: 1000 });
    if (!page.ok) return iefBadRequest(c, page.error);
    const ids = [c.req.query('deployment_id'), ...(c.req.query('deployment_ids') ?? '').split(',')].filter((s): s is string => !!s);
    const nodeId = c.req.query('node_id');
    const now = state.now();
    const deployments: SimResource[] = state.visible('EdgeDeployment', (r) => ids.length === 0 || ids.includes(r.id)).sort(newestFirst);
    const pods = deployments.flatMap((r) => renderPods(r, now)).filter((p) => !nodeId || p.node_id === nodeId);
    return c.json({ count: pods.length, pods: pods.slice(page.offset, page.offset + page.limit) });
  });

  return app;
}

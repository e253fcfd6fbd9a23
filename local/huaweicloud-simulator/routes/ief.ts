/** IEF routes: deployments under /v3/{pid}/edgemgr/deployments and their pods under /v3/{pid}/edgemgr/pods. */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { huaweiError, iefBadRequest, jsonObjectBody, type SimContext, type SimEnv } from '../http';
import { arr, int, isObject, obj, str, type JsonObject } from '../json';
import type { SimResource, SimulatorState } from '../state';
import { renderDeployment, renderPods } from '../views/ief';
import { fuzzyMatch, hex, newResource, newestFirst, paging, requireProject } from './shared';

/** Lower-case letters, digits and hyphens, at most 32, starting and ending with a letter or digit. */
const DNS_NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

function checkDeployment(body: JsonObject): string | undefined {
  const name = str(body.name);
  if (name === undefined) return 'name is required';
  if (!DNS_NAME.test(name)) return 'name must be 1-32 lower-case letters, digits or hyphens, starting and ending with a letter or digit';
  const deployment = obj(body.deployment);
  if (!deployment) return 'deployment is required';
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

export function iefRoutes(state: SimulatorState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  // IEF documents a foreign project as a 400 rather than a 404.
  app.use(
    '/v3/:project_id/edgemgr/*',
    requireProject(state, (c) => huaweiError(c, 400, 'IEF.100001', 'PROJECT_ID not found')),
  );

  const notFound = (c: SimContext, id: string) => huaweiError(c, 404, 'IEF.100012', `deployment ${id} not found`);

  // Name uniqueness is not documented, so duplicates are accepted: a client that creates twice shows up in /__sim/resources.
  app.post('/v3/:project_id/edgemgr/deployments', (c) => {
    const body = jsonObjectBody(c);
    if (!body) return iefBadRequest(c, 'the request body must be a JSON object');
    const problem = checkDeployment(body);
    if (problem) return iefBadRequest(c, problem);
    const resource = newResource(state, c, { kind: 'EdgeDeployment', id: randomUUID(), name: str(body.name)!, body });
    const deployment = obj(body.deployment)!;
    const containerCount = arr(obj(deployment.template)?.containers)!.length;
    const podSuffix = hex(5);
    resource.pods = Array.from({ length: int(deployment.replicas)! }, (_, i) => ({
      id: randomUUID(),
      name: `${resource.name}-${podSuffix}-${hex(3)}${i}`,
      containerIds: Array.from({ length: containerCount }, () => hex(32)),
    }));
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

  app.delete('/v3/:project_id/edgemgr/deployments/:id', (c) => {
    const resource = state.find('EdgeDeployment', c.req.param('id'));
    if (!resource) return notFound(c, c.req.param('id'));
    state.markDeleted(resource);
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

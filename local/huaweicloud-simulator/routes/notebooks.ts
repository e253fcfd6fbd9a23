/** ModelArts notebook routes: POST/GET(list) /v1/{pid}/notebooks and GET/DELETE /v1/{pid}/notebooks/{id}. */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { huaweiError, jsonObjectBody, modelartsBadRequest, type SimContext, type SimEnv } from '../http';
import { isObject, obj, str } from '../json';
import type { SimulatorState } from '../state';
import { renderNotebook } from '../views/modelarts';
import { fuzzyMatch, newResource, newestFirst, paging } from './shared';

const NOTEBOOK_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** Only what the simulator needs to run the instance; the manifest schema does the full validation. */
function checkNotebook(body: Record<string, unknown>): string | undefined {
  const name = str(body.name);
  if (name === undefined) return 'name is required';
  if (!NOTEBOOK_NAME.test(name)) return 'name must be 1-128 letters, digits, hyphens or underscores';
  const imageId = str(body.image_id) ?? str(obj(body.image)?.id);
  if (!imageId) return 'image_id is required';
  if (str(body.flavor) === undefined && !isObject(body.custom_spec)) return 'either flavor or custom_spec must be set';
  return undefined;
}

export function notebookRoutes(state: SimulatorState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  // Names may repeat (documented), so there is deliberately no duplicate check here.
  app.post('/v1/:project_id/notebooks', (c) => {
    const body = jsonObjectBody(c);
    if (!body) return modelartsBadRequest(c, 'the request body must be a JSON object');
    const problem = checkNotebook(body);
    if (problem) return modelartsBadRequest(c, problem);
    const resource = newResource(state, c, { kind: 'Notebook', id: randomUUID(), name: str(body.name)!, body });
    resource.token = randomUUID();
    state.add(resource);
    return c.json(renderNotebook(resource, state.now()), 200);
  });

  app.get('/v1/:project_id/notebooks', (c) => {
    const page = paging(c, { limit: 10, maxLimit: 1000 });
    if (!page.ok) return modelartsBadRequest(c, page.error);
    const now = state.now();
    const status = c.req.query('status');
    const matches = state
      .visible('Notebook', (r) => fuzzyMatch(r.name, c.req.query('name')))
      .sort(newestFirst)
      .map((r) => renderNotebook(r, now))
      .filter((nb) => !status || nb.status === status);
    return c.json({
      current: Math.floor(page.offset / page.limit),
      data: matches.slice(page.offset, page.offset + page.limit),
      pages: Math.ceil(matches.length / page.limit),
      size: page.limit,
      total: matches.length,
    });
  });

  // A missing notebook is a 400 with a "does not exist" code, which Terraform maps to 404 itself.
  const notFound = (c: SimContext, id: string) => huaweiError(c, 400, 'ModelArts.6309', `Notebook instance ${id} does not exist`);

  app.get('/v1/:project_id/notebooks/:id', (c) => {
    const resource = state.find('Notebook', c.req.param('id'));
    if (!resource) return notFound(c, c.req.param('id'));
    return c.json(renderNotebook(resource, state.now()));
  });

  app.delete('/v1/:project_id/notebooks/:id', (c) => {
    const resource = state.find('Notebook', c.req.param('id'));
    if (!resource) return notFound(c, c.req.param('id'));
    state.markDeleted(resource);
    return c.json(renderNotebook(resource, state.now()));
  });

  return app;
}

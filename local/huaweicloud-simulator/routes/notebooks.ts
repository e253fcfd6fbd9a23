/**
 * ModelArts notebook routes: POST/GET(list) /v1/{pid}/notebooks, GET/PUT/DELETE /v1/{pid}/notebooks/{id} and
 * POST .../{id}/stop and .../{id}/start.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { TRANSITION_DURATION_SHARE } from '../defaults';
import { huaweiError, jsonObjectBody, modelartsBadRequest, type SimContext, type SimEnv } from '../http';
import { int, isObject, obj, str, type JsonObject } from '../json';
import { notebookProgress } from '../progress';
import type { SimResource, SimulatorState } from '../state';
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

/** NotebookUpdateRequest's fields in the official SDK; anything else (pool_id, volume, workspace_id) cannot change. */
const UPDATABLE = new Set([
  'name',
  'description',
  'flavor',
  'image_id',
  'endpoints',
  'storage_new_size',
  'custom_spec',
  'hooks',
  'affinity',
  'dew_secret_name',
  'data_volumes',
]);
/** The API page says the instance must be stopped for these; Terraform stops it, updates and starts it again. */
const NEEDS_STOPPED = ['flavor', 'image_id', 'endpoints', 'custom_spec'] as const;
const MAX_EVS_GB = 4096;

/** Chosen here (the reference documents none): a request the notebook's current state does not allow. */
const WRONG_STATE = 'ModelArts.6410';

const imageIdOf = (body: JsonObject) => str(body.image_id) ?? str(obj(body.image)?.id);
const capacityOf = (body: JsonObject) => int(obj(body.volume)?.capacity) ?? 5;

/** Why this update cannot be applied to the notebook as it is now, or undefined. */
function checkUpdate(r: SimResource, update: JsonObject): string | undefined {
  const fixed = Object.keys(update).filter((k) => !UPDATABLE.has(k));
  if (fixed.length > 0) return `${fixed.join(', ')} cannot be updated`;
  if (Object.keys(update).length === 0) return 'the request body has no field to update';
  if (update.name !== undefined && !NOTEBOOK_NAME.test(str(update.name) ?? '')) {
    return 'name must be 1-128 letters, digits, hyphens or underscores';
  }
  if (update.storage_new_size !== undefined) {
    const size = int(update.storage_new_size);
    if (size === undefined || size > MAX_EVS_GB) return `storage_new_size must be an integer of at most ${MAX_EVS_GB}`;
    // The same size again is accepted, so that a repeated request is harmless.
    if (size < capacityOf(r.body))
      return `storage_new_size ${size} is smaller than the volume (${capacityOf(r.body)} GB): EVS can only grow`;
  }
  return undefined;
}

function changed(r: SimResource, update: JsonObject, field: (typeof NEEDS_STOPPED)[number]): boolean {
  if (update[field] === undefined) return false;
  const current = field === 'image_id' ? imageIdOf(r.body) : r.body[field];
  return JSON.stringify(update[field]) !== JSON.stringify(current);
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
    state.markDeleted(resource, c.get('requestId'));
    return c.json(renderNotebook(resource, state.now()));
  });

  const wrongState = (c: SimContext, detail: string) => huaweiError(c, 400, WRONG_STATE, detail);

  app.put('/v1/:project_id/notebooks/:id', (c) => {
    const resource = state.find('Notebook', c.req.param('id'));
    if (!resource) return notFound(c, c.req.param('id'));
    const update = jsonObjectBody(c);
    if (!update) return modelartsBadRequest(c, 'the request body must be a JSON object');
    const problem = checkUpdate(resource, update);
    if (problem) return modelartsBadRequest(c, problem);
    const now = state.now();
    const status = notebookProgress(resource, now).status;
    if (status !== 'RUNNING' && status !== 'STOPPED')
      return wrongState(c, `the notebook is ${status}; it can be updated when RUNNING or STOPPED`);
    const restarting = NEEDS_STOPPED.filter((field) => changed(resource, update, field));
    if (restarting.length > 0 && status !== 'STOPPED') {
      return wrongState(c, `the notebook instance must be stopped to change ${restarting.join(', ')}`);
    }
    const grows = update.storage_new_size !== undefined && int(update.storage_new_size)! > capacityOf(resource.body);
    // Terraform starts a stopped notebook before resizing it: the EVS volume grows while attached.
    if (grows && status !== 'RUNNING') return wrongState(c, 'the notebook must be RUNNING to grow its storage');

    const { storage_new_size: size, image_id: imageId, ...rest } = update;
    Object.assign(resource.body, rest);
    if (imageId !== undefined) {
      resource.body.image_id = imageId;
      delete resource.body.image;
    }
    if (grows) {
      resource.body.volume = { ...obj(resource.body.volume), capacity: size };
      resource.resizeUntil = now + Math.round(resource.durationMs * TRANSITION_DURATION_SHARE);
    }
    if (str(update.name)) resource.name = str(update.name)!;
    state.recordOperation(resource, { op: 'update', requestId: c.get('requestId'), body: update });
    return c.json(renderNotebook(resource, now));
  });

  /** Stop and start: each allowed from one settled state only, like the console's buttons. */
  const power = (action: 'stop' | 'start') => (c: SimContext) => {
    const resource = state.find('Notebook', c.req.param('id') ?? '');
    if (!resource) return notFound(c, c.req.param('id') ?? '');
    const now = state.now();
    const status = notebookProgress(resource, now).status;
    const from = action === 'stop' ? 'RUNNING' : 'STOPPED';
    if (status !== from)
      return wrongState(c, `the notebook is ${status}; only a ${from} notebook can be ${action === 'stop' ? 'stopped' : 'started'}`);
    resource.power = { action, at: now, durationMs: Math.round(resource.durationMs * TRANSITION_DURATION_SHARE) };
    state.recordOperation(resource, { op: action, requestId: c.get('requestId') });
    return c.json(renderNotebook(resource, now));
  };
  app.post('/v1/:project_id/notebooks/:id/stop', power('stop'));
  // `duration` and `type` (the new lease) are accepted and not modelled.
  app.post('/v1/:project_id/notebooks/:id/start', power('start'));

  return app;
}

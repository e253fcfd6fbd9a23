/** Unsigned admin API under /__sim: faults, run-time config, the catalog, the created-resources ledger and reset. */
import { Hono } from 'hono';
import { isKind } from '../../../shared/kinds/registry';
import { applyCatalogPatch, catalogJson } from '../catalog';
import { resolveDurations, type Durations } from '../defaults';
import { parseFaultSettings } from '../faults';
import { adminBody, type SimContext, type SimEnv } from '../http';
import { isObject } from '../json';
import { summarize } from '../progress';
import type { SimulatorConfig, SimulatorState } from '../state';

function adminError(c: SimContext, message: string): Response {
  return c.json({ error: message }, 400);
}

function parseConfig(input: unknown, current: SimulatorConfig): { ok: true; value: SimulatorConfig } | { ok: false; error: string } {
  if (!isObject(input)) return { ok: false, error: 'body must be a JSON object' };
  const unknown = Object.keys(input).filter((k) => k !== 'durations' && k !== 'rateLimitPerSecond');
  if (unknown.length > 0) return { ok: false, error: `unknown field(s): ${unknown.join(', ')}` };
  let durations: Durations = current.durations;
  const d = input.durations;
  if (d === 'fast' || d === 'realistic') durations = resolveDurations(d);
  else if (isObject(d)) {
    for (const [kind, ms] of Object.entries(d)) {
      if (!isKind(kind)) return { ok: false, error: `durations: unknown kind ${kind}` };
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
        return { ok: false, error: `durations.${kind} must be a non-negative number of milliseconds` };
    }
    durations = resolveDurations(d as Partial<Durations>, current.durations);
  } else if (d !== undefined) return { ok: false, error: 'durations must be "fast", "realistic" or an object of milliseconds per kind' };
  let rateLimitPerSecond = current.rateLimitPerSecond;
  const r = input.rateLimitPerSecond;
  if (r === null || r === 0) rateLimitPerSecond = undefined;
  else if (typeof r === 'number' && Number.isFinite(r) && r > 0) rateLimitPerSecond = r;
  else if (r !== undefined) return { ok: false, error: 'rateLimitPerSecond must be a positive number, or 0/null to turn it off' };
  return { ok: true, value: { durations, rateLimitPerSecond } };
}

export function adminRoutes(state: SimulatorState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  const faultView = () => ({ settings: state.faults.settings, counts: state.faults.counts });
  const configView = () => ({ durations: state.config.durations, rateLimitPerSecond: state.config.rateLimitPerSecond ?? null });

  app.get('/health', (c) => c.json({ ok: true, projectId: state.projectId }));

  app.get('/faults', (c) => c.json(faultView()));
  app.post('/faults', async (c) => {
    const body = await adminBody(c);
    if (!body.ok) return adminError(c, 'body is not valid JSON');
    const parsed = parseFaultSettings(body.value, state.seed);
    if (!parsed.ok) return adminError(c, parsed.error);
    state.faults.configure(parsed.value);
    return c.json(faultView());
  });

  app.get('/config', (c) => c.json(configView()));
  app.post('/config', async (c) => {
    const body = await adminBody(c);
    if (!body.ok) return adminError(c, 'body is not valid JSON');
    const parsed = parseConfig(body.value, state.config);
    if (!parsed.ok) return adminError(c, parsed.error);
    state.setConfig(parsed.value);
    return c.json(configView());
  });

  const catalogView = () => catalogJson(state.catalog, state.catalogView());
  app.get('/catalog', (c) => c.json(catalogView()));
  app.put('/catalog', async (c) => {
    const body = await adminBody(c);
    if (!body.ok) return adminError(c, 'body is not valid JSON');
    const applied = applyCatalogPatch(state.catalog, body.value);
    if (!applied.ok) return adminError(c, applied.error);
    state.catalog = applied.value;
    return c.json(catalogView());
  });

  app.get('/resources', (c) => {
    const kind = c.req.query('kind');
    const name = c.req.query('name');
    // What Huawei holds now by default; the whole ledger (deleted ones too, for counting creates) on request.
    const withDeleted = c.req.query('include') === 'deleted';
    const now = state.now();
    const resources = state
      .all()
      .filter((r) => (!kind || r.kind === kind) && (!name || r.name === name) && (withDeleted || !state.isGone(r)))
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((r) => ({
        kind: r.kind,
        id: r.id,
        name: r.name,
        project: r.projectId,
        ...(r.parentId !== undefined ? { parent: r.parentId } : {}),
        createdAt: new Date(r.createdAt).toISOString(),
        ...summarize(r, now, state.isGone(r)),
        deleted: r.deletedAt !== undefined,
        requestId: r.requestId,
        body: r.body,
        operations: (r.operations ?? []).map((o) => ({ ...o, at: new Date(o.at).toISOString() })),
      }));
    return c.json({ count: resources.length, resources });
  });

  app.post('/reset', (c) => {
    state.reset();
    return c.json({ ok: true });
  });

  return app;
}

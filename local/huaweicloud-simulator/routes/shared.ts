/** Helpers the service route modules share: project check, paging and create bookkeeping. */
import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Kind } from '../../../shared/kinds/registry';
import { FAIL_MARKER } from '../defaults';
import type { SimEnv, SimContext } from '../http';
import { findString, type JsonObject } from '../json';
import type { SimResource, SimulatorState } from '../state';

/** Each service answers a foreign project id in its own documented way. */
export function requireProject(state: SimulatorState, reject: (c: SimContext, pid: string) => Response): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const pid = c.req.param('project_id');
    if (pid !== state.projectId) return reject(c, pid ?? '');
    await next();
  };
}

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export function newResource(
  state: SimulatorState,
  c: SimContext,
  fields: { kind: Kind; id: string; name: string; body: JsonObject; parentId?: string },
): SimResource {
  const resource: SimResource = {
    ...fields,
    projectId: state.projectId,
    createdAt: state.now(),
    durationMs: state.config.durations[fields.kind],
    requestId: c.get('requestId'),
  };
  const failure = findString(fields.body, FAIL_MARKER);
  if (failure) resource.failure = failure;
  return resource;
}

export type Paging = { ok: true; limit: number; offset: number } | { ok: false; error: string };

export function paging(c: SimContext, defaults: { limit: number; maxLimit: number }): Paging {
  const parse = (name: string, fallback: number, min: number, max: number): number | string => {
    const raw = c.req.query(name);
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) return `${name} must be an integer from ${min} to ${max}`;
    return n;
  };
  const limit = parse('limit', defaults.limit, 1, defaults.maxLimit);
  const offset = parse('offset', 0, 0, Number.MAX_SAFE_INTEGER);
  if (typeof limit === 'string') return { ok: false, error: limit };
  if (typeof offset === 'string') return { ok: false, error: offset };
  return { ok: true, limit, offset };
}

/** Fuzzy name match as the list APIs document it: a case-insensitive substring. */
export function fuzzyMatch(name: string, query: string | undefined): boolean {
  return query === undefined || query === '' || name.toLowerCase().includes(query.toLowerCase());
}

export function newestFirst(a: SimResource, b: SimResource): number {
  return b.createdAt - a.createdAt;
}

/** Kubernetes equality-based selector: `k=v`, `k==v`, `k!=v` or a bare `k`, comma-separated (all must hold). */
export function matchesLabelSelector(labels: Record<string, unknown>, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector
    .split(',')
    .map((term) => term.trim())
    .filter(Boolean)
    .every((term) => {
      const ne = term.indexOf('!=');
      if (ne >= 0) return labels[term.slice(0, ne).trim()] !== term.slice(ne + 2).trim();
      const eq = term.indexOf('=');
      if (eq < 0) return term in labels;
      const value = term.slice(eq + (term[eq + 1] === '=' ? 2 : 1)).trim();
      return labels[term.slice(0, eq).trim()] === value;
    });
}

/** Small helpers the kind adapters share: reading Huawei's JSON, the create, update and delete calls, and the field comparison. */
import { isNotFoundError, type HuaweiCall, type HuaweiTarget, type HuaweiTransport } from '../huaweicloud/client';
import { HuaweiPermanentError, HuaweiUnknownOutcomeError } from '../huaweicloud/errors';
import type { HuaweiService } from '../huaweicloud/endpoints';
import type { FieldDiff, FixedField, PlannedChange, ResourceSpec, UpdateStep } from './adapter';

export type Json = Record<string, unknown>;

export const obj = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
export const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
export const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const arrayAt = (value: unknown, key: string): unknown[] => {
  const items = obj(value)[key];
  return Array.isArray(items) ? items : [];
};

type CallBase = Pick<HuaweiCall, 'service' | 'target'> & { kind: string };

/** A list call whose answer is filtered to exact matches by the caller. */
export async function list(
  cloud: HuaweiTransport,
  base: CallBase,
  path: string,
  query: Record<string, string>,
  key: string,
): Promise<unknown[]> {
  const result = await cloud.send({ operation: `find ${base.kind}`, callKind: 'read', method: 'GET', ...base, path, query });
  return arrayAt(result.body, key);
}

/** A GET of one resource; undefined when Huawei says it does not exist (a look-up's normal answer). */
export async function getOne(cloud: HuaweiTransport, base: CallBase, path: string, operation: string): Promise<unknown | undefined> {
  try {
    return (await cloud.send({ operation, callKind: 'read', method: 'GET', ...base, path, notFoundIsNormal: true })).body;
  } catch (error) {
    if (error instanceof HuaweiPermanentError && error.status === 404) return undefined;
    throw error;
  }
}

export async function show(cloud: HuaweiTransport, base: CallBase, path: string): Promise<unknown> {
  return (await cloud.send({ operation: `show ${base.kind}`, callKind: 'read', method: 'GET', ...base, path })).body;
}

/**
 * Sends a create once. Huawei accepting it without an id in the answer leaves the outcome unknown: the
 * resource can only be found again by its mark, so the caller must look it up before any repeat.
 */
export async function createOnce(
  cloud: HuaweiTransport,
  base: CallBase,
  path: string,
  body: unknown,
  idOf: (answer: unknown) => unknown,
): Promise<{ id: string }> {
  const operation = `create ${base.kind}`;
  const result = await cloud.send({ operation, callKind: 'create', method: 'POST', ...base, path, body });
  const id = idOf(result.body);
  if (typeof id === 'string' && id) return { id };
  throw new HuaweiUnknownOutcomeError({
    operation,
    status: result.status,
    errorMsg: 'response carried no resource id',
    ...(result.requestId ? { requestId: result.requestId } : {}),
  });
}

/**
 * Sends one change to an existing resource and returns Huawei's answer. A PUT or merge-patch carries the whole
 * desired value of what it changes, so the transport may repeat it after a lost answer without applying
 * anything twice; a repeated stop or start is refused instead (the state moved), which the caller must observe.
 */
export async function updateCall(
  cloud: HuaweiTransport,
  base: CallBase,
  request: { operation: string; method: 'PUT' | 'PATCH' | 'POST'; path: string; body?: unknown; contentType?: string },
): Promise<unknown> {
  const { operation, method, path, body, contentType } = request;
  const call: HuaweiCall = {
    operation: `${operation} ${base.kind}`,
    callKind: 'update',
    method,
    ...base,
    path,
    ...(body !== undefined ? { body } : {}),
    ...(contentType ? { contentType } : {}),
  };
  return (await cloud.send(call)).body;
}

/** Asks Huawei to remove a resource. "Not found" is success: an earlier attempt, or someone else, removed it already. */
export async function deleteOnce(cloud: HuaweiTransport, base: CallBase, path: string): Promise<void> {
  try {
    await cloud.send({ operation: `delete ${base.kind}`, callKind: 'delete', method: 'DELETE', ...base, path, notFoundIsNormal: true });
  } catch (error) {
    if (isNotFoundError(error)) return;
    throw error;
  }
}

/** The media type ModelArts' PATCH routes require (RFC 7396): objects merge, arrays are replaced whole. */
export const MERGE_PATCH = 'application/merge-patch+json';

export function callBase(kind: string, service: HuaweiService, target: HuaweiTarget): CallBase {
  return { kind, service, target };
}

/**
 * Desired against observed over the keys the desired value holds: what Huawei adds (server-set fields,
 * defaults) is not a difference. Lists of objects are matched by `keyOf` when given (a keyed list), else
 * position; lists of scalars are compared as sets.
 */
export function compareFields(
  desired: unknown,
  observed: unknown,
  options: { ignore?: (path: string) => boolean; keyOf?: (path: string, item: unknown) => string | undefined } = {},
  path = '',
): FieldDiff[] {
  if (options.ignore?.(path)) return [];
  if (Array.isArray(desired)) {
    if (!Array.isArray(observed)) return [{ path, desired, observed }];
    if (desired.every((d) => d === null || typeof d !== 'object')) {
      const seen = new Set(observed.map((o) => JSON.stringify(o)));
      const matches = desired.length === observed.length && desired.every((d) => seen.has(JSON.stringify(d)));
      return matches ? [] : [{ path, desired, observed }];
    }
    if (desired.length !== observed.length) return [{ path, desired, observed }];
    if (desired.every((item) => options.keyOf?.(path, item) !== undefined)) {
      return desired.flatMap((item) => {
        const key = options.keyOf!(path, item)!;
        const match = observed.find((o) => options.keyOf!(path, o) === key);
        return compareFields(item, match, options, `${path}[${key}]`);
      });
    }
    // An unkeyed list of objects is a set (taints, volumes): each desired entry must match a distinct observed one.
    const left = [...observed];
    for (const item of desired) {
      const at = left.findIndex((o) => compareFields(item, o, options, path).length === 0);
      if (at < 0) return [{ path, desired, observed }];
      left.splice(at, 1);
    }
    return [];
  }
  if (desired && typeof desired === 'object') {
    if (!observed || typeof observed !== 'object' || Array.isArray(observed)) return [{ path, desired, observed }];
    return Object.entries(desired as Json).flatMap(([key, value]) =>
      value === undefined ? [] : compareFields(value, (observed as Json)[key], options, childPath(path, key)),
    );
  }
  return desired === observed ? [] : [{ path, desired, observed }];
}

/* ---------- Changes between two specs: what a plan shows, what is refused, what an update sends ---------- */

/** Stable JSON (object keys sorted), so that equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Json).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

export const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/** `a.b`, or `a["os.modelarts/name"]` for a key that is not a plain identifier. */
function childPath(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/**
 * The identity of an entry of a keyed list at `path` (`flavor=X`, `name=app`), or undefined when the list at
 * `path` is not keyed (then its object entries are compared as a set, scalars always are).
 */
export type KeyOf = (path: string, item: unknown) => string | undefined;

function isPlainObject(value: unknown): value is Json {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Every leaf where `next` differs from `current` (keys of either side), as the plan lists them: keyed lists
 * matched by key (an entry only on one side is one change at `path[key]`), other lists as sets.
 */
function diffSpecs(current: unknown, next: unknown, keyOf: KeyOf = () => undefined, path = ''): PlannedChange[] {
  if (isPlainObject(current) && isPlainObject(next)) {
    const keys = [...new Set([...Object.keys(current), ...Object.keys(next)])];
    return keys.flatMap((key) => diffSpecs(current[key], next[key], keyOf, childPath(path, key)));
  }
  if (Array.isArray(current) && Array.isArray(next)) {
    const keyed = [...current, ...next].every((item) => keyOf(path, item) !== undefined);
    if (keyed && current.length + next.length > 0) {
      const labels = [...new Set([...current, ...next].map((item) => keyOf(path, item)!))];
      const find = (list: unknown[], label: string) => list.find((item) => keyOf(path, item) === label);
      return labels.flatMap((label) => diffSpecs(find(current, label), find(next, label), keyOf, `${path}[${label}]`));
    }
    const bag = (list: unknown[]) => list.map(canonical).sort().join('\u0000');
    return bag(current) === bag(next) ? [] : [{ path, desired: next, observed: current }];
  }
  return same(current, next) ? [] : [{ path, desired: next, observed: current }];
}

/** How one changed path applies: in place (with what that does), or not at all. */
export type Verdict = { inPlace: true; effect?: string } | { inPlace: false; reason: string };

/**
 * A kind's changes and refusals from one classification of each changed path. Paths are relative to the spec
 * (`body.flavor`) and reported from the manifest root (`spec.body.flavor`).
 */
export function classifyChanges(
  current: ResourceSpec,
  next: ResourceSpec,
  options: { keyOf?: KeyOf; fields: readonly string[]; verdict: (change: PlannedChange) => Verdict },
): { change: PlannedChange; verdict: Verdict }[] {
  const pick = (spec: ResourceSpec) => Object.fromEntries(options.fields.map((f) => [f, spec[f]]));
  return diffSpecs(pick(current), pick(next), options.keyOf).map((change) => ({
    change: { ...change, path: `spec.${change.path}` },
    verdict: options.verdict(change),
  }));
}

export function fixedOf(classified: { change: PlannedChange; verdict: Verdict }[]): FixedField[] {
  return classified.flatMap(({ change, verdict }) => (verdict.inPlace ? [] : [{ path: change.path, reason: verdict.reason }]));
}

export function changesOf(classified: { change: PlannedChange; verdict: Verdict }[]): PlannedChange[] {
  return classified.map(({ change, verdict }) => (verdict.inPlace && verdict.effect ? { ...change, effect: verdict.effect } : change));
}

/** Whether `path` is `prefix` or lies under it (`body.volume` covers `body.volume.capacity` and `body.volume[…]`). */
export const under = (path: string, prefix: string): boolean =>
  path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);

/**
 * Node counts in one `status.resources` bucket. Huawei's SDK models and API pages declare each bucket as one
 * object; Huawei's Terraform provider reads lists. Both are read.
 */
export function bucketCount(bucket: unknown): number {
  const items = Array.isArray(bucket) ? bucket : bucket === undefined || bucket === null ? [] : [bucket];
  return items.reduce<number>((sum, item) => sum + (num(obj(item).count) ?? 0), 0);
}

/** Node counts across the pool (or a node pool): status.resources buckets against the counts its spec asks for. */
export function nodeCounts(observed: unknown): Record<'requested' | 'creating' | 'available' | 'abnormal' | 'deleting', number> {
  const body = obj(observed);
  const buckets = obj(obj(body.status).resources);
  const specResources = obj(body.spec).resources;
  return {
    requested: bucketCount(specResources),
    creating: bucketCount(buckets.creating),
    available: bucketCount(buckets.available),
    abnormal: bucketCount(buckets.abnormal),
    deleting: bucketCount(buckets.deleting),
  };
}

/** Nodes still joining or leaving (or not all there), as a waiting message; undefined when the counts are steady. */
export function nodesMoving(observed: unknown): string | undefined {
  const n = nodeCounts(observed);
  if (n.creating === 0 && n.deleting === 0 && n.available === n.requested) return undefined;
  return `nodes: available ${n.available}/${n.requested}, creating ${n.creating}, deleting ${n.deleting}, abnormal ${n.abnormal}`;
}

/* Shorthands for the update step results, so each kind's decision table reads as one. */
export const sent = (message: string): UpdateStep => ({ status: 'sent', message });
export const waiting = (message: string): UpdateStep => ({ status: 'waiting', message });
export const failed = (reason: string, message: string): UpdateStep => ({ status: 'failed', reason, message });

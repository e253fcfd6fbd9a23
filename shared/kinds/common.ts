/** Small helpers the kind adapters share: reading Huawei's JSON, the create, update and delete calls, and the field comparison. */
import { isNotFoundError, type HuaweiCall, type HuaweiTarget, type HuaweiTransport } from '../huaweicloud/client';
import { HuaweiPermanentError, HuaweiUnknownOutcomeError } from '../huaweicloud/errors';
import type { HuaweiService } from '../huaweicloud/endpoints';
import type { FieldDiff } from './adapter';

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
      const same = desired.length === observed.length && desired.every((d) => seen.has(JSON.stringify(d)));
      return same ? [] : [{ path, desired, observed }];
    }
    if (desired.length !== observed.length) return [{ path, desired, observed }];
    return desired.flatMap((item, i) => {
      const key = options.keyOf?.(path, item);
      const match = key === undefined ? observed[i] : observed.find((o) => options.keyOf?.(path, o) === key);
      return compareFields(item, match, options, `${path}[${key ?? i}]`);
    });
  }
  if (desired && typeof desired === 'object') {
    if (!observed || typeof observed !== 'object' || Array.isArray(observed)) return [{ path, desired, observed }];
    return Object.entries(desired as Json).flatMap(([key, value]) =>
      value === undefined ? [] : compareFields(value, (observed as Json)[key], options, path ? `${path}.${key}` : key),
    );
  }
  return desired === observed ? [] : [{ path, desired, observed }];
}

/** Hono typing, request ids and the Huawei-shaped error answers shared by every route. */
import { randomBytes } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isObject, type JsonObject } from './json';

export type SimEnv = {
  /** Partial: under app.request() (no Node server) there is no socket to drop. */
  Bindings: Partial<HttpBindings>;
  Variables: { requestId: string; rawBody: Uint8Array; fault?: string };
};

export type SimContext = Context<SimEnv>;

export type Service = 'ModelArts' | 'IEF';

/** 32 hex characters, the shape of Huawei's X-Request-Id. */
export function newRequestId(): string {
  return randomBytes(16).toString('hex');
}

export function serviceOf(path: string): Service {
  // IEF's deployments are under /v3, its nodes and groups under /v2.
  return /^\/v[23]\/[^/]+\/edgemgr(\/|$)/.test(path) ? 'IEF' : 'ModelArts';
}

export function huaweiError(c: SimContext, status: ContentfulStatusCode, errorCode: string, errorMsg: string): Response {
  return c.json({ error_code: errorCode, error_msg: errorMsg }, status);
}

/** API Gateway errors carry the request id in the body as well as in the header. */
export function gatewayError(c: SimContext, status: ContentfulStatusCode, errorCode: string, errorMsg: string): Response {
  return c.json({ error_code: errorCode, error_msg: errorMsg, request_id: c.get('requestId') }, status);
}

export function modelartsBadRequest(c: SimContext, detail: string): Response {
  return huaweiError(c, 400, 'ModelArts.50004000', `Bad request. ${detail}`);
}

export function iefBadRequest(c: SimContext, detail: string): Response {
  return huaweiError(c, 400, 'IEF.100020', `Invalid request parameters: ${detail}`);
}

/** The body bytes were read (and signed over) by the gateway layer; parse them once here. */
export function jsonObjectBody(c: SimContext): JsonObject | undefined {
  const raw = c.get('rawBody');
  if (!raw || raw.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** For admin routes, which skip the gateway layer and may be sent with no body at all. */
export async function adminBody(c: SimContext): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const text = await c.req.text();
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

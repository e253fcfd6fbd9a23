/**
 * The API's one error shape, `{ error: { code, message, details } }`, for every status; configuration errors
 * (503) add `ok: false` and the variable, as /healthz reports them.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ConfigError } from '../config';

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** An HTTPException that carries a stable code and details into the JSON body. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(status, { message });
    this.name = 'ApiError';
  }
}

/** An invalid configuration, on /healthz and every route alike: the variable's name, never its value. */
interface ConfigErrorBody {
  ok: false;
  error: { code: ConfigError['code']; variable: string; message: string };
}

export const unauthorized = () => new ApiError(401, 'UNAUTHORIZED', 'missing or invalid credentials');

export function errorResponse(c: Context, error: Error, log: (message: string, extra: Record<string, unknown>) => void) {
  if (error instanceof ApiError) {
    const body: ErrorBody = {
      error: { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) },
    };
    return c.json(body, error.status);
  }
  if (error instanceof ConfigError) {
    // Logged on every request it refuses: a secret read at run time can turn invalid long after the cold start.
    log('configuration invalid', { code: error.code, variable: error.variable, errorMessage: error.message });
    return c.json(
      { ok: false, error: { code: error.code, variable: error.variable, message: error.message } } satisfies ConfigErrorBody,
      503,
    );
  }
  if (error instanceof HTTPException) {
    // Hono's own exceptions (e.g. from body-limit) keep their status; the code is derived from it.
    const status = error.status as ContentfulStatusCode;
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : `HTTP_${status}`;
    return c.json({ error: { code, message: error.message || 'request rejected' } } satisfies ErrorBody, status);
  }
  log('unhandled error', { errorName: error.name, errorMessage: error.message });
  return c.json({ error: { code: 'INTERNAL', message: 'internal error; the request was not processed' } } satisfies ErrorBody, 500);
}

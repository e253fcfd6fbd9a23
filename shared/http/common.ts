/**
 * What the HTTP apps share: their services' shape, the error handling, the configuration check before each route,
 * and reading a body. The routes are in deliveries.ts (the providers' webhooks: functions/webhook.ts) and api.ts
 * (the API: functions/api.ts); app.ts serves both on one server for the local stack, tests and benchmarks.
 */
import { Hono, type Context } from 'hono';
import type { SecretsEnv } from '../config';
import type { IntakeDeps } from '../intake/submit';
import type { PlanServices } from '../intake/plan-jobs';
import type { QueueRef } from '../queue/messages';
import { ApiError, errorResponse } from './errors';

export interface AppLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/**
 * What the routes need. `services()` throws a ConfigError when the configuration is invalid: every route, /healthz
 * included, then answers 503 naming the variable (errors.ts).
 */
export interface AppServices {
  intake: IntakeDeps;
  intakeQueue: QueueRef;
  trackedBranches: readonly string[];
  /** Plan pull and merge requests from forks too (PLAN_FORK_PULL_REQUESTS); off when absent. */
  planForkPullRequests?: boolean;
  /** The look-ups of a dry run (the pull-request plan's); absent, the intake table alone answers "exists". */
  plan?: Pick<PlanServices, 'store' | 'defaults' | 'cloud' | 'ownerGroups'>;
  /** The policy (and where Huawei credentials exist, the preflight) intake applies; absent, neither is. */
  governance?: () => Promise<Pick<IntakeDeps, 'policy' | 'preflight'>>;
  /** A Jira transition into this status approves the ticket's pending request (JIRA_APPROVAL_STATUS). */
  jiraApprovalStatus?: string;
}

export interface AppDeps {
  logger: AppLogger;
  secrets: () => Promise<SecretsEnv>;
  services: () => AppServices;
}

/** 202 with where to follow the request (GET /requests/{id}). */
export function accepted(c: Context, requestId: string, body: Record<string, unknown>) {
  c.header('Location', `/requests/${requestId}`);
  return c.json(body, 202);
}

export const tooLarge = (limit: number) => () => {
  throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`);
};

export async function rawBody(c: Context): Promise<Uint8Array> {
  return new Uint8Array(await c.req.arrayBuffer());
}

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, 'INVALID_ENCODING', 'request body is not valid UTF-8');
  }
}

export function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decodeUtf8(bytes));
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(400, 'INVALID_JSON', 'request body is not valid JSON');
  }
}

export function requireJson(c: Context): void {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'content type must be application/json (set the webhook to send JSON)');
  }
}

/** Undefined when the body is not JSON: for GitLab, which must never see a 4xx for a body it sent, and optional bodies. */
export function tryParseJson(bytes: Uint8Array): unknown {
  try {
    return parseJson(bytes);
  } catch {
    return undefined;
  }
}

/** The one error shape for every app serving these routes (the webhooks', the API's and the pages'). */
export function withErrorHandling(app: Hono, logger: AppLogger): Hono {
  app.onError((error, c) => errorResponse(c, error, (message, extra) => logger.error(message, extra)));
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  return app;
}

/**
 * An app with the error handling and, before every route, the configuration check: an invalid configuration
 * answers 503 naming the variable, never half-works.
 */
export function baseApp(deps: AppDeps): Hono {
  const app = withErrorHandling(new Hono(), deps.logger);
  app.use(async (_c, next) => {
    deps.services();
    await next();
  });
  return app;
}

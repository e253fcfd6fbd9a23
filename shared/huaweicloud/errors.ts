/** The three outcomes the Huawei Cloud client's errors stand for: retry later, give up, or reconcile first. */

export interface HuaweiErrorDetails {
  /** Which call failed, e.g. `create Notebook` or `show ResourcePool`. */
  operation: string;
  status?: number;
  /** Huawei's `error_code`, e.g. `ModelArts.50004000` or `APIGW.0308`. */
  errorCode?: string;
  errorMsg?: string;
  /** The X-Request-Id response header: what Huawei support asks for. */
  requestId?: string;
  cause?: unknown;
}

/*
 * Messages are built only from the operation, status and Huawei's error body, never from request
 * headers, so credentials cannot leak into logs or DynamoDB records through an error.
 */
function describe(kind: string, d: HuaweiErrorDetails): string {
  const parts = [`${d.operation}: ${kind}`];
  if (d.status !== undefined) parts.push(`HTTP ${d.status}`);
  if (d.errorCode) parts.push(d.errorCode);
  if (d.errorMsg) parts.push(d.errorMsg);
  if (d.requestId) parts.push(`request ${d.requestId}`);
  return parts.join(' | ');
}

export abstract class HuaweiError extends Error {
  abstract readonly code: string;
  readonly operation: string;
  readonly status?: number;
  readonly errorCode?: string;
  readonly errorMsg?: string;
  readonly requestId?: string;

  constructor(kind: string, details: HuaweiErrorDetails) {
    super(describe(kind, details), details.cause === undefined ? undefined : { cause: sanitizeCause(details.cause) });
    this.operation = details.operation;
    if (details.status !== undefined) this.status = details.status;
    if (details.errorCode !== undefined) this.errorCode = details.errorCode;
    if (details.errorMsg !== undefined) this.errorMsg = details.errorMsg;
    if (details.requestId !== undefined) this.requestId = details.requestId;
  }

  /** Plain fields for structured logs and stored failure records. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      operation: this.operation,
      status: this.status,
      errorCode: this.errorCode,
      errorMsg: this.errorMsg,
      requestId: this.requestId,
      message: this.message,
    };
  }
}

/** Throttled (429), or a read that hit a 5xx or the network: the same call may succeed later. */
export class HuaweiRetryableError extends HuaweiError {
  readonly code = 'HUAWEI_RETRYABLE';
  constructor(details: HuaweiErrorDetails) {
    super('retryable', details);
    this.name = 'HuaweiRetryableError';
  }
}

/** Huawei rejected the request (400 with error_code, 401/403, 404): repeating it will not help. */
export class HuaweiPermanentError extends HuaweiError {
  readonly code = 'HUAWEI_PERMANENT';
  constructor(details: HuaweiErrorDetails) {
    super('rejected', details);
    this.name = 'HuaweiPermanentError';
  }
}

/**
 * The client could not build the request (a header value fetch refuses, a path segment that would change
 * the path, a region with no known endpoint), so nothing was sent. Permanent, and keeps the permanent
 * `code` so every caller that handles a rejection handles this too; `reason` says what a record should show.
 */
export class HuaweiInvalidRequestError extends HuaweiPermanentError {
  readonly reason = 'InvalidRequest';
  constructor(details: HuaweiErrorDetails) {
    super({ ...details, errorMsg: ['request not sent', details.errorMsg].filter(Boolean).join(': ') });
    this.name = 'HuaweiInvalidRequestError';
  }
}

/**
 * A create timed out, lost its connection or got a 5xx: the resource may or may not exist, so the
 * caller must look it up by its marker before creating again (there is no idempotency token).
 */
export class HuaweiUnknownOutcomeError extends HuaweiError {
  readonly code = 'HUAWEI_UNKNOWN_OUTCOME';
  constructor(details: HuaweiErrorDetails) {
    super('outcome unknown', details);
    this.name = 'HuaweiUnknownOutcomeError';
  }
}

export function isHuaweiError(error: unknown): error is HuaweiError {
  return error instanceof HuaweiError;
}

/*
 * Network errors from fetch can carry the request (and so its Authorization header) in nested
 * properties; keep only the name, message and code of the chain.
 */
function sanitizeCause(cause: unknown, depth = 0): unknown {
  if (!(cause instanceof Error) || depth > 3) return typeof cause === 'string' ? cause : undefined;
  const copy = new Error(cause.message);
  copy.name = cause.name;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') (copy as Error & { code?: string }).code = code;
  if (cause.cause !== undefined) (copy as Error).cause = sanitizeCause(cause.cause, depth + 1);
  return copy;
}

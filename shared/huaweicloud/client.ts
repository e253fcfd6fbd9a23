/**
 * The signed, retrying, paced transport to Huawei Cloud's APIs (ModelArts, IEF). It knows calls, not kinds:
 * what to call for a resource, and what the answer means, is each kind's adapter (shared/kinds/).
 */
import { huaweiConfig } from '../config';
import { loadHuaweiCredentials } from './credentials';
import { defaultEndpoint, isKnownRegion, SERVICE_LABEL, type HuaweiService } from './endpoints';
import {
  HuaweiInvalidRequestError,
  HuaweiPermanentError,
  HuaweiRetryableError,
  HuaweiUnknownOutcomeError,
  isHuaweiError,
  type HuaweiError,
} from './errors';
import { httpFetch, refusedHeaderName, type HttpAnswer, type HttpFetch } from './http';
import { signRequest, urlEncode, type Credentials } from './signer';
import { backoffDelay } from '../retry';

export interface HuaweiTarget {
  projectId: string;
  /** The resource's region, which picks the endpoint; omitted, the client's own region. */
  region?: string;
  /** The parent pool's `metadata.name` (server-generated id); NodePool only. */
  poolName?: string;
  /** IEF Platinum/Enterprise instance; omit for the Professional edition. */
  iefInstanceId?: string;
}

/** Same shape as the app logger and Powertools, so either can be passed straight in. */
export interface HuaweiLogger {
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface HuaweiClientOptions {
  credentials: Credentials | (() => Promise<Credentials>);
  /**
   * The region the two endpoints below serve. A target in another region goes to that region's public
   * endpoint (or is refused when none is known), so an override (a simulator, a private endpoint) never
   * receives another region's resources: it would create them in the wrong region. Unset, the endpoints
   * serve every region: a simulator or a test double that stands for all of Huawei Cloud.
   */
  region?: string;
  modelartsEndpoint: string;
  iefEndpoint: string;
  /** Budget for reaching the server and getting response headers, added to readTimeoutMs (one timer covers both). */
  connectTimeoutMs?: number;
  /** Budget for the server to answer, and again for reading the body. */
  readTimeoutMs?: number;
  /** Total time one call may spend across attempts and backoff sleeps. */
  retryBudgetMs?: number;
  /** First backoff step; doubles per attempt up to retryMaxDelayMs. */
  retryBaseMs?: number;
  retryMaxDelayMs?: number;
  /**
   * Client-side pacing: at most this many requests per second from this client (every attempt counts, as
   * at Huawei's API gateway). Unset: no pacing, 429s alone slow the client down.
   */
  maxRequestsPerSecond?: number;
  logger?: HuaweiLogger;
  /** Defaults to node:http (./http.ts); a fetch works too. */
  fetch?: HttpFetch;
  /** Defaults to Math.random; injectable so backoff tests are deterministic. */
  random?: () => number;
}

const DEFAULTS = {
  connectTimeoutMs: 5_000,
  readTimeoutMs: 15_000,
  retryBudgetMs: 20_000,
  // Huawei's guidance for APIGW.0308 is to come back after 2-5 s; equal jitter on 1 s doubling lands there by attempt two.
  retryBaseMs: 1_000,
  retryMaxDelayMs: 8_000,
};

const SILENT: HuaweiLogger = { warn() {}, error() {} };

type Service = HuaweiService;

/**
 * One API call. `callKind` decides what a lost answer means: only a create's outcome can be unknown. An update
 * sends the whole desired value (PUT, or a merge-patch whose arrays replace whole) and a delete of a resource
 * already gone answers "not found", so repeating either after a 5xx or a lost answer cannot apply it twice.
 */
export interface HuaweiCall {
  operation: string;
  callKind: 'create' | 'read' | 'update' | 'delete';
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  service: Service;
  path: string;
  query?: Record<string, string>;
  target: HuaweiTarget;
  body?: unknown;
  /** Defaults to application/json; ModelArts' PATCH routes refuse anything but `application/merge-patch+json`. */
  contentType?: string;
  /** Look-ups and deletes expect "not found" as a normal answer; don't log it as a failure. */
  notFoundIsNormal?: boolean;
}
type Call = HuaweiCall;

export interface HuaweiResponse {
  status: number;
  body: unknown;
  requestId?: string;
}
type HttpResult = HuaweiResponse;

/** What the adapters call; the client is one, and tests wrap one to inject faults. */
export interface HuaweiTransport {
  send(call: HuaweiCall): Promise<HuaweiResponse>;
}

/** Why one attempt failed, before deciding between retry and the three public errors. */
type AttemptFailure =
  | { type: 'http'; status: number; errorCode?: string; errorMsg?: string; requestId?: string; retryAfterMs?: number }
  | { type: 'network'; detail: string; cause?: unknown }
  | { type: 'timeout'; phase: 'response' | 'body' }
  | { type: 'garbled'; status: number; requestId?: string }
  /** The transport would refuse the request before sending it (a header value or the URL): nothing left this process. */
  | { type: 'invalid'; detail: string };

class AttemptError extends Error {
  constructor(readonly failure: AttemptFailure) {
    super(failure.type);
  }
}

class TimeoutSignal extends Error {
  constructor(readonly phase: 'response' | 'body') {
    super(`timeout:${phase}`);
  }
}

export class HuaweiCloudClient implements HuaweiTransport {
  private readonly opts: Required<
    Omit<HuaweiClientOptions, 'credentials' | 'logger' | 'fetch' | 'random' | 'maxRequestsPerSecond' | 'region'>
  >;
  private readonly region: string | undefined;
  private readonly pacer: Pacer | undefined;
  private readonly logger: HuaweiLogger;
  private readonly fetchImpl: HttpFetch;
  private readonly random: () => number;
  private readonly credentials: () => Promise<Credentials>;

  constructor(options: HuaweiClientOptions) {
    this.opts = {
      modelartsEndpoint: options.modelartsEndpoint.replace(/\/+$/, ''),
      iefEndpoint: options.iefEndpoint.replace(/\/+$/, ''),
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      readTimeoutMs: options.readTimeoutMs ?? DEFAULTS.readTimeoutMs,
      retryBudgetMs: options.retryBudgetMs ?? DEFAULTS.retryBudgetMs,
      retryBaseMs: options.retryBaseMs ?? DEFAULTS.retryBaseMs,
      retryMaxDelayMs: options.retryMaxDelayMs ?? DEFAULTS.retryMaxDelayMs,
    };
    this.region = options.region;
    this.pacer = options.maxRequestsPerSecond ? new Pacer(options.maxRequestsPerSecond) : undefined;
    this.logger = options.logger ?? SILENT;
    this.fetchImpl = options.fetch ?? httpFetch;
    this.random = options.random ?? Math.random;
    const creds = options.credentials;
    this.credentials = typeof creds === 'function' ? creds : () => Promise.resolve(creds);
  }

  /** Built from HUAWEICLOUD_* variables; credentials are resolved lazily, on the first call. */
  static fromConfig(
    extra: { env?: Record<string, string | undefined>; logger?: HuaweiLogger; fetch?: HttpFetch; retryBudgetMs?: number } = {},
  ): HuaweiCloudClient {
    const cfg = huaweiConfig(extra.env);
    return new HuaweiCloudClient({
      credentials: () => loadHuaweiCredentials(cfg.credentials),
      region: cfg.region,
      modelartsEndpoint: cfg.modelartsEndpoint,
      iefEndpoint: cfg.iefEndpoint,
      connectTimeoutMs: cfg.connectTimeoutMs,
      readTimeoutMs: cfg.readTimeoutMs,
      ...(cfg.maxRequestsPerSecond ? { maxRequestsPerSecond: cfg.maxRequestsPerSecond } : {}),
      ...(extra.retryBudgetMs !== undefined ? { retryBudgetMs: extra.retryBudgetMs } : {}),
      ...(extra.logger ? { logger: extra.logger } : {}),
      ...(extra.fetch ? { fetch: extra.fetch } : {}),
    });
  }

  /**
   * Sends one call, retrying what is safe to retry within the budget: 429 always (the gateway refused it),
   * 5xx and transport failures unless it is a create (then the outcome is unknown: look up before again).
   */
  send(call: HuaweiCall): Promise<HuaweiResponse> {
    return this.call(call);
  }

  private async call(call: Call): Promise<HttpResult> {
    const started = Date.now();
    const deadline = started + this.opts.retryBudgetMs;
    const refusal = dotSegmentIn(call.path);
    if (refusal) throw this.report(new HuaweiInvalidRequestError({ operation: call.operation, errorMsg: refusal }));
    const base = this.endpointFor(call.service, call.target.region);
    if (typeof base !== 'string') throw this.report(new HuaweiInvalidRequestError({ operation: call.operation, errorMsg: base.refusal }));
    let credentials: Credentials;
    try {
      credentials = await this.credentials();
    } catch (error) {
      const isConfig = (error as { code?: unknown } | null)?.code === 'CONFIG_INVALID';
      const details = { operation: call.operation, errorMsg: 'Huawei credentials unavailable', cause: error };
      throw this.report(isConfig ? new HuaweiPermanentError(details) : new HuaweiRetryableError(details));
    }
    for (let attempt = 0; ; attempt++) {
      let failure: AttemptFailure;
      try {
        await this.pacer?.wait();
        return await this.attempt(call, base, credentials);
      } catch (error) {
        if (!(error instanceof AttemptError)) throw this.report(unexpected(call.operation, error));
        failure = error.failure;
      }
      const verdict = classify(call, failure);
      if (verdict !== 'retry') throw call.notFoundIsNormal && isNotFoundError(verdict) ? verdict : this.report(verdict);
      // Retry-After is a floor, not a replacement: "0" must not turn throttling into a busy loop.
      const delay = Math.max(this.backoff(attempt), failure.type === 'http' ? (failure.retryAfterMs ?? 0) : 0);
      if (Date.now() + delay > deadline) {
        throw this.report(toError(call, failure, HuaweiRetryableError, `gave up after ${attempt + 1} attempts`));
      }
      this.logger.warn('huawei call retrying', { ...logFields(call, failure), attempt: attempt + 1, delayMs: delay });
      await sleep(delay);
    }
  }

  private backoff(attempt: number): number {
    // Equal jitter: spreads concurrent Lambdas apart but still always waits at least half the step.
    return backoffDelay({ base: this.opts.retryBaseMs, max: this.opts.retryMaxDelayMs, jitter: 'equal', random: this.random }, attempt);
  }

  /** The configured endpoint for the client's own region, Huawei's public one for another known region. */
  private endpointFor(service: Service, region: string | undefined): string | { refusal: string } {
    if (this.region === undefined || region === undefined || region === this.region) {
      return service === 'ief' ? this.opts.iefEndpoint : this.opts.modelartsEndpoint;
    }
    if (!isKnownRegion(service, region)) return { refusal: `no known ${SERVICE_LABEL[service]} endpoint for region ${region}` };
    return defaultEndpoint(service, region);
  }

  private async attempt(call: Call, base: string, credentials: Credentials): Promise<HttpResult> {
    const url = `${base}${call.path}${queryString(call.query)}`;
    if (!URL.canParse(url)) throw new AttemptError({ type: 'invalid', detail: 'the URL is not valid' });
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const unsigned: Record<string, string> = {
      'content-type': call.contentType ?? 'application/json',
      'X-Project-Id': call.target.projectId,
    };
    if (call.service === 'ief' && call.target.iefInstanceId) unsigned['ief-instance-id'] = call.target.iefInstanceId;
    const headers = signRequest({ method: call.method, url, headers: unsigned, ...(body !== undefined ? { body } : {}) }, credentials);
    // The transport sets Host from the URL (the signed value); fetch refuses to let callers override it.
    delete headers['host'];
    headers['accept'] = 'application/json';
    // Checked here, not left to the transport: its error for a bad header looks like a network failure,
    // and a create that was never sent must not be reported as one whose outcome is unknown.
    const invalid = refusedHeader(headers);
    if (invalid) throw new AttemptError({ type: 'invalid', detail: invalid });

    const controller = new AbortController();
    let timer = setTimeout(() => controller.abort(new TimeoutSignal('response')), this.opts.connectTimeoutMs + this.opts.readTimeoutMs);
    try {
      let response: HttpAnswer;
      try {
        response = await this.fetchImpl(url, {
          method: call.method,
          headers,
          ...(body !== undefined ? { body } : {}),
          signal: controller.signal,
        });
      } catch (error) {
        throw new AttemptError(transportFailure(error, controller.signal));
      }
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new TimeoutSignal('body')), this.opts.readTimeoutMs);
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        throw new AttemptError(transportFailure(error, controller.signal));
      }
      const requestId = response.headers.get('x-request-id') ?? undefined;
      const parsed = parseJson(text);
      if (response.status >= 200 && response.status < 300) {
        if (parsed === INVALID) throw new AttemptError({ type: 'garbled', status: response.status, ...(requestId ? { requestId } : {}) });
        return { status: response.status, body: parsed, ...(requestId ? { requestId } : {}) };
      }
      const err = errorBody(parsed === INVALID ? undefined : parsed);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      throw new AttemptError({
        type: 'http',
        status: response.status,
        ...err,
        ...((requestId ?? err.bodyRequestId) ? { requestId: requestId ?? err.bodyRequestId } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private report(error: HuaweiError): HuaweiError {
    this.logger.error('huawei call failed', {
      operation: error.operation,
      code: error.code,
      status: error.status,
      errorCode: error.errorCode,
      errorMsg: error.errorMsg,
      requestId: error.requestId,
    });
    return error;
  }
}

/** True for 404 and for the 400 codes ModelArts uses to say a notebook or pool does not exist. */
export function isNotFoundError(error: unknown): boolean {
  if (!isHuaweiError(error) || error.code !== 'HUAWEI_PERMANENT') return false;
  if (error.status === 404) return true;
  return error.errorCode !== undefined && NOT_FOUND_CODES.has(error.errorCode);
}

const NOT_FOUND_CODES = new Set(['ModelArts.6309', 'ModelArts.6357', 'ModelArts.6404', 'ModelArts.50015001']);

function classify(call: Call, failure: AttemptFailure): 'retry' | HuaweiError {
  if (failure.type === 'invalid') return toError(call, failure, HuaweiInvalidRequestError);
  if (failure.type === 'http') {
    // APIG throttles before the service sees the request, so even a create is safe to resend.
    if (failure.status === 429) return 'retry';
    if (failure.status >= 500) {
      if (call.callKind === 'create') return toError(call, failure, HuaweiUnknownOutcomeError);
      return 'retry';
    }
    return toError(call, failure, HuaweiPermanentError);
  }
  if (call.callKind === 'create') return toError(call, failure, HuaweiUnknownOutcomeError);
  return 'retry';
}

type ErrorClass =
  | typeof HuaweiRetryableError
  | typeof HuaweiPermanentError
  | typeof HuaweiUnknownOutcomeError
  | typeof HuaweiInvalidRequestError;

function toError(call: Call, failure: AttemptFailure, Class: ErrorClass, note?: string): HuaweiError {
  switch (failure.type) {
    case 'http':
      return new Class({
        operation: call.operation,
        status: failure.status,
        ...(failure.errorCode ? { errorCode: failure.errorCode } : {}),
        ...(failure.errorMsg || note ? { errorMsg: [failure.errorMsg, note].filter(Boolean).join('; ') } : {}),
        ...(failure.requestId ? { requestId: failure.requestId } : {}),
      });
    case 'garbled':
      return new Class({
        operation: call.operation,
        status: failure.status,
        errorMsg: ['response body is not JSON', note].filter(Boolean).join('; '),
        ...(failure.requestId ? { requestId: failure.requestId } : {}),
      });
    case 'timeout':
      return new Class({
        operation: call.operation,
        errorMsg: [failure.phase === 'response' ? 'timed out waiting for the response' : 'timed out reading the response body', note]
          .filter(Boolean)
          .join('; '),
      });
    case 'network':
      return new Class({ operation: call.operation, errorMsg: [failure.detail, note].filter(Boolean).join('; '), cause: failure.cause });
    case 'invalid':
      return new Class({ operation: call.operation, errorMsg: [failure.detail, note].filter(Boolean).join('; ') });
  }
}

/**
 * Every path segment is percent-encoded whole, so splitting the path gives back the values; but "." and
 * ".." survive encoding and the URL parser resolves them (`/pools/../nodepools` is `/nodepools`), and an
 * empty value turns a show into a list. Any of them means the request would go to another resource.
 */
function dotSegmentIn(path: string): string | undefined {
  const bad = path
    .split('/')
    .slice(1)
    .find((segment) => segment === '' || segment === '.' || segment === '..');
  return bad === undefined
    ? undefined
    : `path ${path} has ${bad === '' ? 'an empty' : `a "${bad}"`} segment, which would address another resource`;
}

/** Why the transport would refuse these headers, naming the header but never its value (it may be a secret). */
function refusedHeader(headers: Record<string, string>): string | undefined {
  const name = refusedHeaderName(headers);
  if (name === undefined) return undefined;
  return (
    `header ${/^[A-Za-z0-9-]+$/.test(name) ? name : '(unprintable name)'} has a value HTTP ` +
    'does not allow (control characters such as CR, LF or NUL, or characters beyond Latin-1)'
  );
}

function unexpected(operation: string, error: unknown): HuaweiError {
  if (isHuaweiError(error)) return error;
  return new HuaweiPermanentError({ operation, errorMsg: 'unexpected client failure', cause: error });
}

function transportFailure(error: unknown, signal: AbortSignal): AttemptFailure {
  if (signal.aborted && signal.reason instanceof TimeoutSignal) return { type: 'timeout', phase: signal.reason.phase };
  // node:http's error carries the socket's code (ECONNRESET...); undici (a fetch passed in) wraps it in `cause`.
  const cause = (error as { cause?: unknown } | null)?.cause;
  const code = (cause as { code?: unknown } | null)?.code ?? (error as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? `network error ${code}` : 'network error';
  return { type: 'network', detail, cause: error };
}

function logFields(call: Call, failure: AttemptFailure): Record<string, unknown> {
  return {
    operation: call.operation,
    failure: failure.type,
    ...(failure.type === 'http' || failure.type === 'garbled' ? { status: failure.status, requestId: failure.requestId } : {}),
    ...(failure.type === 'http' ? { errorCode: failure.errorCode } : {}),
  };
}

const INVALID = Symbol('invalid-json');

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID;
  }
}

/** ModelArts and IEF use error_code/error_msg; APIG adds request_id; some services use code/message. */
function errorBody(body: unknown): { errorCode?: string; errorMsg?: string; bodyRequestId?: string } {
  const nested = field(body, 'error');
  const source = nested && typeof nested === 'object' ? nested : body;
  const code = field(source, 'error_code') ?? field(source, 'errorCode') ?? field(source, 'code');
  const msg = field(source, 'error_msg') ?? field(source, 'errorMsg') ?? field(source, 'message');
  const rid = field(body, 'request_id');
  return {
    ...(typeof code === 'string' && code ? { errorCode: code } : {}),
    ...(typeof msg === 'string' && msg ? { errorMsg: msg.slice(0, 500) } : {}),
    ...(typeof rid === 'string' && rid ? { bodyRequestId: rid } : {}),
  };
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function queryString(query: Record<string, string> | undefined): string {
  if (!query) return '';
  const parts = Object.entries(query).map(([k, v]) => `${urlEncode(k)}=${urlEncode(v)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function field(value: unknown, key: string): unknown {
  return value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * Spaces requests evenly at a fixed rate, with no burst. Why: against the simulator's limit of R = 20/s, 50
 * concurrent creates relying on 429 backoff alone kept APIG throttling a large share of the calls (see
 * reports/bench.json, rate); the gateway counts throttled attempts too, so pacing below the limit is both
 * faster and quieter. Shared by every call of one client, i.e. one Lambda container.
 */
class Pacer {
  private next = 0;
  private readonly intervalMs: number;

  constructor(perSecond: number) {
    this.intervalMs = 1000 / perSecond;
  }

  async wait(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    if (at > now) await sleep(at - now);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

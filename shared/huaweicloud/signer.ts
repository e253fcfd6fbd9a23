/** Huawei Cloud APIG request signing (SDK-HMAC-SHA256) and its verification, on node:crypto alone. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
const SDK_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export interface Credentials {
  ak: string;
  sk: string;
  /** Present for temporary AK/SK (STS); sent and signed as X-Security-Token. */
  securityToken?: string;
}

export interface SignableRequest {
  method: string;
  url: string | URL;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface VerifiableRequest {
  method: string;
  url: string | URL;
  headers: Record<string, string | undefined>;
  body: string | Uint8Array;
}

export type VerifyResult = { ok: true; ak: string } | { ok: false; reason: string };

/** RFC 3986 percent-encoding: only unreserved characters pass, which is what the gateway expects. */
export function urlEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape is signed as it appears; the server will see the same bytes.
    return segment;
  }
}

/**
 * Each path segment is decoded then re-encoded so `/a%20b` and `/a b` sign alike (as the gateway
 * sees the decoded path); the trailing slash is part of the algorithm even though it is never sent.
 */
export function canonicalUri(pathname: string): string {
  const path = pathname
    .split('/')
    .map((segment) => urlEncode(decodeSegment(segment)))
    .join('/');
  return path.endsWith('/') ? path : `${path}/`;
}

/** Keys sorted, repeated keys emitted once per value with values sorted. */
function canonicalQueryString(search: URLSearchParams): string {
  const grouped = new Map<string, string[]>();
  for (const [key, value] of search) {
    const values = grouped.get(key);
    if (values) values.push(value);
    else grouped.set(key, [value]);
  }
  const parts: string[] = [];
  for (const key of [...grouped.keys()].sort()) {
    for (const value of grouped.get(key)!.sort()) parts.push(`${urlEncode(key)}=${urlEncode(value)}`);
  }
  return parts.join('&');
}

/** Lower-cased names; values trimmed because the gateway trims them before comparing. */
function canonicalHeaders(headers: Record<string, string>, signedNames: readonly string[]): string {
  const lower = lowerCaseHeaders(headers);
  return signedNames.map((name) => `${name}:${(lower[name] ?? '').trim()}\n`).join('');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface CanonicalRequestParts {
  method: string;
  url: URL;
  headers: Record<string, string>;
  signedHeaders: readonly string[];
  payloadHash: string;
}

export function buildCanonicalRequest(parts: CanonicalRequestParts): string {
  return [
    parts.method.toUpperCase(),
    canonicalUri(parts.url.pathname),
    canonicalQueryString(parts.url.searchParams),
    canonicalHeaders(parts.headers, parts.signedHeaders),
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

export function buildStringToSign(sdkDate: string, canonicalRequest: string): string {
  return [SIGNING_ALGORITHM, sdkDate, sha256Hex(canonicalRequest)].join('\n');
}

function computeSignature(sk: string, stringToSign: string): string {
  return createHmac('sha256', sk).update(stringToSign).digest('hex');
}

function formatSdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function parseSdkDate(value: string): Date | undefined {
  const m = SDK_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function lowerCaseHeaders(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

function findHeader(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function payloadHashOf(body: string | Uint8Array | undefined): string {
  if (body === undefined || body.length === 0) return EMPTY_BODY_SHA256;
  return sha256Hex(body);
}

/**
 * Returns the headers to send: the caller's, plus X-Sdk-Date, host, X-Security-Token (temporary
 * credentials) and Authorization. Every header passed in is signed, so callers add unsigned ones
 * (User-Agent, Accept) afterwards. `host` is included for completeness; fetch derives it from the URL.
 */
export function signRequest(req: SignableRequest, creds: Credentials, now: Date = new Date()): Record<string, string> {
  const url = typeof req.url === 'string' ? new URL(req.url) : req.url;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.toLowerCase() !== 'authorization') headers[name] = value;
  }
  let sdkDate = findHeader(headers, 'x-sdk-date');
  if (sdkDate === undefined) {
    sdkDate = formatSdkDate(now);
    headers['X-Sdk-Date'] = sdkDate;
  }
  if (findHeader(headers, 'host') === undefined) headers['host'] = url.host;
  if (creds.securityToken && findHeader(headers, 'x-security-token') === undefined) {
    headers['X-Security-Token'] = creds.securityToken;
  }
  const signedHeaders = Object.keys(lowerCaseHeaders(headers)).sort();
  const canonical = buildCanonicalRequest({
    method: req.method,
    url,
    headers,
    signedHeaders,
    payloadHash: payloadHashOf(req.body),
  });
  const signature = computeSignature(creds.sk, buildStringToSign(sdkDate, canonical));
  headers['Authorization'] = `${SIGNING_ALGORITHM} Access=${creds.ak}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return headers;
}

interface ParsedAuthorization {
  ak: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const prefix = `${SIGNING_ALGORITHM} `;
  if (!value.startsWith(prefix)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(prefix.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const ak = fields.get('Access');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!ak || !signed || !signature) return undefined;
  return { ak, signedHeaders: signed.split(';').filter(Boolean), signature };
}

/**
 * Server-side check used by the simulator: recompute with the header list the client named,
 * compare in constant time, and reject stale or future X-Sdk-Date values like APIG does.
 */
export function verifySignature(
  req: VerifiableRequest,
  lookupSk: (ak: string) => string | undefined,
  opts: { now?: Date; maxSkewMs?: number } = {},
): VerifyResult {
  const authorization = findHeader(req.headers, 'authorization');
  if (!authorization) return { ok: false, reason: 'missing Authorization header' };
  const parsed = parseAuthorization(authorization);
  if (!parsed) return { ok: false, reason: 'malformed Authorization header' };
  if (!parsed.signedHeaders.includes('x-sdk-date')) return { ok: false, reason: 'x-sdk-date is not signed' };

  const headers = lowerCaseHeaders(req.headers);
  for (const name of parsed.signedHeaders) {
    if (name !== name.toLowerCase()) return { ok: false, reason: `signed header ${name} is not lower case` };
    if (headers[name] === undefined) return { ok: false, reason: `signed header ${name} is missing` };
  }
  const sdkDate = headers['x-sdk-date']!;
  const signedAt = parseSdkDate(sdkDate);
  if (!signedAt) return { ok: false, reason: 'malformed X-Sdk-Date' };
  const now = opts.now ?? new Date();
  if (Math.abs(now.getTime() - signedAt.getTime()) > (opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) {
    return { ok: false, reason: 'X-Sdk-Date is outside the allowed clock skew' };
  }
  const sk = lookupSk(parsed.ak);
  if (sk === undefined) return { ok: false, reason: 'unknown access key' };

  const url = typeof req.url === 'string' ? new URL(req.url) : req.url;
  const canonical = buildCanonicalRequest({
    method: req.method,
    url,
    headers,
    signedHeaders: parsed.signedHeaders,
    payloadHash: payloadHashOf(req.body),
  });
  const expected = Buffer.from(computeSignature(sk, buildStringToSign(sdkDate, canonical)), 'utf8');
  const given = Buffer.from(parsed.signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'signature mismatch' };
  }
  return { ok: true, ak: parsed.ak };
}

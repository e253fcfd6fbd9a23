/**
 * Signed, expiring, read-only links to one request's page: what statuses and comments point at, so a reviewer who
 * clicks "Details" sees the page without an account. The token names the request and its expiry and is signed with
 * HMAC-SHA256 under a key derived from UI_SIGNING_KEY; nothing is stored, so a link cannot be revoked one by one
 * (rotating UI_SIGNING_KEY revokes them all).
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const DEFAULT_LINK_TTL_DAYS = 30;
const DAY_SECONDS = 86_400;
const MAC_BYTES = 32;
/** Request ids hold none of the token's separator; the MAC, not this pattern, is what makes a token trustworthy. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Why a link token was refused: `code` is stable, the message never repeats the token. */
export class LinkTokenError extends Error {
  constructor(
    readonly code: 'LINK_MALFORMED' | 'LINK_TAMPERED' | 'LINK_EXPIRED' | 'LINK_WRONG_REQUEST',
    message: string,
  ) {
    super(message);
    this.name = 'LinkTokenError';
  }
}

/**
 * One key per purpose from the one secret, so a link's signature can never pass for a session's or the reverse.
 * HKDF rather than the secret itself: UI_SIGNING_KEY is a string of any alphabet, the MAC wants uniform bytes.
 */
export function deriveKey(secret: string, purpose: 'link' | 'session' | 'oidc-transaction'): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, '', `hwc-provisioner ui ${purpose} v1`, 32));
}

const linkKeys = new Map<string, Uint8Array>();
function linkKey(secret: string): Uint8Array {
  let key = linkKeys.get(secret);
  if (!key) {
    // A rotation leaves one stale entry per container: bounded by how often the secret changes, i.e. not at all.
    key = deriveKey(secret, 'link');
    linkKeys.set(secret, key);
  }
  return key;
}

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', linkKey(secret)).update(payload).digest();
}

/**
 * `<requestId>.<expiry in epoch seconds, base 36>.<base64url MAC>`: only URL-safe characters, about 80 of them.
 * The request id is in the clear (it is in the link's path anyway); the MAC covers it and the expiry.
 */
export function signLink(requestId: string, secret: string, now: Date, ttlDays = DEFAULT_LINK_TTL_DAYS): string {
  if (!ID.test(requestId)) throw new TypeError(`not a request id: ${requestId.slice(0, 64)}`);
  const expires = Math.floor(now.getTime() / 1000) + Math.round(ttlDays * DAY_SECONDS);
  const payload = `${requestId}.${expires.toString(36)}`;
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

export interface LinkGrant {
  requestId: string;
  /** ISO 8601. */
  expiresAt: string;
}

/**
 * Checks a token in this order: its shape, its signature (compared in constant time), its expiry, and, when
 * `requestId` is given, that it is for that request. Throws LinkTokenError naming which failed.
 */
export function verifyLink(token: string, secret: string, now: Date, requestId?: string): LinkGrant {
  const match = /^([A-Za-z0-9_-]{1,64})\.([0-9a-z]{1,11})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) throw new LinkTokenError('LINK_MALFORMED', 'the link token is not one this service issues');
  const [, id = '', expiry = '', signature = ''] = match;
  const presented = Buffer.from(signature, 'base64url');
  const expected = mac(secret, `${id}.${expiry}`);
  if (presented.length !== MAC_BYTES || !timingSafeEqual(presented, expected))
    throw new LinkTokenError('LINK_TAMPERED', 'the link token was not signed by this service (or the signing key changed)');
  const expiresAt = new Date(Number.parseInt(expiry, 36) * 1000);
  if (now.getTime() >= expiresAt.getTime()) throw new LinkTokenError('LINK_EXPIRED', `the link expired at ${expiresAt.toISOString()}`);
  if (requestId !== undefined && requestId !== id) throw new LinkTokenError('LINK_WRONG_REQUEST', 'the link token is for another request');
  return { requestId: id, expiresAt: expiresAt.toISOString() };
}

/**
 * The page of a request as statuses and comments link it: with a token when a key is configured, else the bare
 * page (which then asks to sign in).
 */
export function requestLink(
  baseUrl: string,
  requestId: string,
  key: string | undefined,
  now: Date,
  ttlDays = DEFAULT_LINK_TTL_DAYS,
): string {
  const page = `${baseUrl.replace(/\/+$/, '')}/ui/requests/${requestId}`;
  return key ? `${page}?t=${signLink(requestId, key, now, ttlDays)}` : page;
}

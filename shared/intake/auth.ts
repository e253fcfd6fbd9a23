/** Constant-time secret checks for every way a caller authenticates. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiRole, ApiToken } from '../config';

export type { ApiToken };

function digest(value: string | Uint8Array): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Hashing first makes the comparison length-independent, so not even the secret's length leaks. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * `sha256=<hex HMAC-SHA256(secret, body)>` as GitHub (X-Hub-Signature-256) and Jira (X-Hub-Signature) send it.
 * Written with node:crypto rather than @octokit/webhooks-methods because the same check serves Jira,
 * and the library's verify() rejects by throwing on malformed input that we must answer with 401.
 */
export function verifyHubSignature(secret: string, body: Uint8Array, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return safeEqual(expected, header.trim().toLowerCase());
}

/**
 * Whether a delivery verifies against the current secret or, during a rotation, the previous one. Both are always
 * checked, so timing does not reveal which one matched; an unset current secret accepts nothing.
 */
export function verifyCurrentOrPrevious(
  current: string | undefined,
  previous: string | undefined,
  verify: (secret: string) => boolean,
): boolean {
  if (!current) return false;
  const viaCurrent = verify(current);
  const viaPrevious = previous ? verify(previous) : false;
  return viaCurrent || viaPrevious;
}

/** Checks every configured token, never stopping early, so timing does not reveal which one nearly matched. */
export function authenticateBearer(header: string | undefined, tokens: readonly ApiToken[]): ApiToken | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const presented = match?.[1] ?? '';
  let found: ApiToken | undefined;
  for (const candidate of tokens) {
    if (safeEqual(candidate.token, presented) && presented !== '') found ??= candidate;
  }
  return found;
}

export function hasRole(caller: ApiToken, role: ApiRole): boolean {
  return caller.roles.includes(role);
}

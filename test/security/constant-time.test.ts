/**
 * Every secret is compared in constant time: a source check of the code paths that see webhook secrets,
 * webhook tokens, signatures and API tokens, plus the behaviour timingSafeEqual needs (equal-length inputs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authenticateBearer, safeEqual, verifyHubSignature, type ApiToken } from '../../shared/intake/auth';

const AUTH = readFileSync('shared/intake/auth.ts', 'utf8');
const FILES = [
  'shared/http/deliveries.ts',
  'shared/http/api.ts',
  'shared/http/common.ts',
  ...readdirSync('shared/intake')
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join('shared/intake', f)),
];
/** Names of values that hold or derive from a secret in these files. */
const SECRETISH = /secret|token|signature|\bsig\b|hmac|digest|expected|presented|authorization|candidate/i;
/** Comparing against these reveals nothing about a secret. */
const HARMLESS = /^(''|""|undefined|null|true|false|\d+|typeof .*|'[a-z]+'(\s*\|\|.*)?)$/;

/** `a === b` and `a !== b` on one line: the operands' nearest expression text on each side. */
function comparisons(source: string): { line: number; left: string; right: string; text: string }[] {
  const found: { line: number; left: string; right: string; text: string }[] = [];
  source.split('\n').forEach((text, i) => {
    if (/^\s*(\/\/|\*|\/\*\*)/.test(text)) return;
    for (const m of text.matchAll(/([\w.$?'"[\]-]+)\s*(===|!==)\s*([\w.$?'"[\]-]+)/g)) {
      found.push({ line: i + 1, left: m[1]!, right: m[3]!, text: text.trim() });
    }
  });
  return found;
}

describe('constant-time comparison of secrets', () => {
  it('shared/intake/auth.ts compares through crypto.timingSafeEqual, on fixed-length digests', () => {
    expect(AUTH).toMatch(/import \{[^}]*\btimingSafeEqual\b[^}]*\} from 'node:crypto'/);
    const safeEqualBody = /export function safeEqual\([^)]*\): boolean \{([\s\S]*?)\n\}/.exec(AUTH)?.[1] ?? '';
    expect(safeEqualBody).toMatch(/timingSafeEqual\(digest\(a\), digest\(b\)\)/);
    // The signature check and the bearer check both end in safeEqual, never in ===.
    expect(/export function verifyHubSignature[\s\S]*?\n\}/.exec(AUTH)![0]).toMatch(/return safeEqual\(expected, /);
    expect(/export function authenticateBearer[\s\S]*?\n\}/.exec(AUTH)![0]).toMatch(/safeEqual\(candidate\.token, presented\)/);
  });

  it('every route authenticates through auth.ts: the webhook secrets, the GitLab token and the API tokens', () => {
    const deliveries = readFileSync('shared/http/deliveries.ts', 'utf8');
    const api = readFileSync('shared/http/api.ts', 'utf8');
    // Each webhook checks the current secret and, during a rotation, the previous one, both through auth.ts.
    expect(
      deliveries.match(/verifyCurrentOrPrevious\(secret, previous, \(s\) => verifyHubSignature\(s, body, signature\)\)/g),
    ).toHaveLength(2);
    expect(deliveries).toMatch(/const signature = c\.req\.header\('x-hub-signature-256'\)/);
    expect(deliveries).toMatch(/const signature = c\.req\.header\('x-hub-signature'\)/);
    expect(deliveries).toMatch(/verifyCurrentOrPrevious\(token, previous, \(t\) => safeEqual\(t, presented\)\)/);
    expect(api).toMatch(/authenticateBearer\(c\.req\.header\('authorization'\), \(await deps\.secrets\(\)\)\.API_TOKENS\)/);
  });

  it.each(FILES)('%s compares no secret, token or signature with === or !==', (file) => {
    const offending = comparisons(readFileSync(file, 'utf8')).filter(
      (c) => (SECRETISH.test(c.left) || SECRETISH.test(c.right)) && !HARMLESS.test(c.left) && !HARMLESS.test(c.right),
    );
    expect(offending.map((c) => `${file}:${c.line}: ${c.text}`)).toEqual([]);
  });

  it('the scan would catch a plain comparison (the check is not vacuous)', () => {
    const sample =
      "if (header === expected) return true;\nconst ok = token !== c.req.header('x-gitlab-token');\nif (presented !== '') x();";
    const hits = comparisons(sample).filter(
      (c) => (SECRETISH.test(c.left) || SECRETISH.test(c.right)) && !HARMLESS.test(c.left) && !HARMLESS.test(c.right),
    );
    expect(hits.map((h) => h.line)).toEqual([1, 2]);
  });

  it('never throws on inputs of different lengths (timingSafeEqual would) and still decides correctly', () => {
    expect(safeEqual('a', 'a much longer value')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    const body = new TextEncoder().encode('{"a":1}');
    expect(verifyHubSignature('s3cret', body, 'sha256=00')).toBe(false);
    expect(verifyHubSignature('s3cret', body, `sha256=${'ab'.repeat(500)}`)).toBe(false);
    const tokens: ApiToken[] = [
      { caller: 'ci', token: 'tok-1'.padEnd(32, '1'), roles: ['submit'] },
      { caller: 'two', token: 'tok-2'.padEnd(32, '2'), roles: ['submit'] },
    ];
    expect(authenticateBearer(`Bearer ${'tok-2'.padEnd(32, '2')}`, tokens)?.caller).toBe('two');
    expect(authenticateBearer('Bearer tok-', tokens)).toBeUndefined();
    expect(authenticateBearer('Bearer ', tokens)).toBeUndefined();
  });
});

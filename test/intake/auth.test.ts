import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authenticateBearer, parseApiTokens, safeEqual, verifyHubSignature } from '../../shared/intake/auth';

describe('verifyHubSignature', () => {
  it("reproduces GitHub's documented test vector", () => {
    const body = new TextEncoder().encode('Hello, World!');
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifyHubSignature("It's a Secret to Everybody", body, header)).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['sha1 legacy form', 'sha1=0123'],
    ['wrong digest', `sha256=${'0'.repeat(64)}`],
    ['truncated digest', 'sha256=757107ea'],
  ])('rejects a %s signature', (_label, header) => {
    expect(verifyHubSignature("It's a Secret to Everybody", new TextEncoder().encode('Hello, World!'), header)).toBe(false);
  });

  it('covers the exact bytes: one changed byte fails', () => {
    const body = Buffer.from('{"a":1}');
    const header = `sha256=${createHmac('sha256', 's').update(body).digest('hex')}`;
    expect(verifyHubSignature('s', body, header)).toBe(true);
    expect(verifyHubSignature('s', Buffer.from('{"a":2}'), header)).toBe(false);
  });
});

describe('bearer tokens', () => {
  const tokens = parseApiTokens(['ci=tok-ci-123', 'bare-token-456']);

  it('names callers by configured name or by fingerprint, never by the token', () => {
    expect(tokens[0]).toEqual({ caller: 'ci', token: 'tok-ci-123' });
    expect(tokens[1]!.caller).toMatch(/^token-[0-9a-f]{8}$/);
    expect(tokens[1]!.caller).not.toContain('456');
  });

  it.each([
    ['Bearer tok-ci-123', 'ci'],
    ['bearer tok-ci-123', 'ci'],
    ['Bearer bare-token-456', tokens[1]!.caller],
    ['Bearer tok-ci-12', undefined],
    ['Basic tok-ci-123', undefined],
    ['Bearer ', undefined],
    [undefined, undefined],
  ])('%s → %s', (header, caller) => {
    expect(authenticateBearer(header, tokens)?.caller).toBe(caller);
  });

  it('compares secrets of different lengths without throwing', () => {
    expect(safeEqual('a', 'abc')).toBe(false);
    expect(safeEqual('abc', 'abc')).toBe(true);
  });
});

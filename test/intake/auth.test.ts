import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, MIN_API_TOKEN_LENGTH, parseEnv, SecretsEnvSchema } from '../../shared/config';
import { authenticateBearer, safeEqual, verifyHubSignature } from '../../shared/intake/auth';

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
  const CI = 'tok-ci-123-0123456789abcdef0123456789';
  const READER = 'tok-reader-0123456789abcdef0123456789==';
  const tokens = SecretsEnvSchema.parse({ API_TOKENS: `ci=${CI}, audit:read-all=${READER}` }).API_TOKENS;

  it('names callers by the configured name, with submit as the default role', () => {
    expect(tokens[0]).toEqual({ caller: 'ci', token: CI, roles: ['submit'] });
    expect(tokens[1]).toEqual({ caller: 'audit', token: READER, roles: ['read-all'] });
  });

  it('keeps base64 padding in the token: the first = ends the name', () => {
    const [entry] = SecretsEnvSchema.parse({ API_TOKENS: 'ci:submit+read-all=dGhpcyBpcyBhIDMyIGJ5dGUgdG9rZW4gZm9yIHRlc3Q==' }).API_TOKENS;
    expect(entry).toEqual({ caller: 'ci', token: 'dGhpcyBpcyBhIDMyIGJ5dGUgdG9rZW4gZm9yIHRlc3Q==', roles: ['submit', 'read-all'] });
  });

  it.each([
    [
      'a bare base64 token (it would have become a name and the secret "=")',
      'dGhpcyBpcyBhIDMyIGJ5dGUgdG9rZW4gZm9yIHRlc3Q==',
      'entry 1 of 1 has a caller name',
    ],
    ['a bare token without =', 'bare-token-456-0123456789abcdef0123456789', 'entry 1 of 1 must be name=token'],
    ['a short token', 'ci=short-secret', `entry 1 of 1 has a token shorter than ${MIN_API_TOKEN_LENGTH} characters`],
    ['an upper-case name', `CI=${'x'.repeat(40)}`, 'entry 1 of 1 has a caller name'],
    ['a name over 32 characters', `${'a'.repeat(33)}=${'x'.repeat(40)}`, 'entry 1 of 1 has a caller name'],
    ['an unknown role', `ci:admin=${'x'.repeat(40)}`, 'entry 1 of 1 has an unknown role'],
    ['a repeated name', `ci=${'x'.repeat(40)},ci=${'y'.repeat(40)}`, 'entry 2 of 2 repeats a caller name'],
  ])('refuses %s, naming the position and never the value', (_what, value, message) => {
    let error: unknown;
    try {
      parseEnv(SecretsEnvSchema, { API_TOKENS: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('API_TOKENS');
    expect((error as Error).message).toContain(message);
    for (const part of value.split(/[=,:]/).filter((p) => p.length > 3)) expect((error as Error).message).not.toContain(part);
  });

  it.each([
    [`Bearer ${CI}`, 'ci'],
    [`bearer ${CI}`, 'ci'],
    [`Bearer ${READER}`, 'audit'],
    [`Bearer ${CI.slice(0, -1)}`, undefined],
    ['Bearer =', undefined],
    [`Basic ${CI}`, undefined],
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

import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildCanonicalRequest,
  buildStringToSign,
  canonicalUri,
  parseSdkDate,
  sha256Hex,
  signRequest,
  urlEncode,
  verifySignature,
  type Credentials,
} from '../../shared/huaweicloud/signer';

// Test-only reference implementation: Huawei's own Node SDK signer (CommonJS, no exports map).
const require = createRequire(import.meta.url);
const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as {
  AKSKSigner: {
    sign(
      request: { endpoint: string; method: string; headers: Record<string, string>; queryParams?: Record<string, unknown>; data?: unknown },
      credential: { getAk(): string; getSk(): string },
    ): Record<string, string>;
  };
};

const DOC_CREDS: Credentials = { ak: 'QTWAOYTTINDUT2QVKYUC', sk: 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc' };

describe('signing vectors (reference section D1)', () => {
  it('reproduces the official GET vector', () => {
    const url = new URL(
      'https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
    );
    const headers = { 'content-type': 'application/json', 'X-Sdk-Date': '20191115T033655Z', host: url.host };
    const canonical = buildCanonicalRequest({
      method: 'GET',
      url,
      headers,
      signedHeaders: ['content-type', 'host', 'x-sdk-date'],
      payloadHash: sha256Hex(''),
    });
    expect(canonical.split('\n').slice(0, 3)).toEqual([
      'GET',
      '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/',
      'limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
    ]);
    expect(sha256Hex(canonical)).toBe('b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a');
    expect(buildStringToSign('20191115T033655Z', canonical).split('\n')).toEqual([
      'SDK-HMAC-SHA256',
      '20191115T033655Z',
      'b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a',
    ]);

    const signed = signRequest(
      { method: 'GET', url, headers: { 'content-type': 'application/json', 'X-Sdk-Date': '20191115T033655Z' } },
      DOC_CREDS,
    );
    expect(signed['Authorization']).toBe(
      'SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, ' +
        'Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
    );
  });

  it('reproduces the POST vector with a JSON body and X-Project-Id', () => {
    const body = '{"name":"nb-1","flavor":"modelarts.vm.cpu.2u"}';
    expect(sha256Hex(body)).toBe('968ff9ffa5001be965d73bebc3730c95cab35cfe5765928babb55547debafbd3');
    const signed = signRequest(
      {
        method: 'POST',
        url: 'https://modelarts.cn-north-4.myhuaweicloud.com/v1/0123456789abcdef0123456789abcdef/notebooks',
        headers: { 'content-type': 'application/json', 'X-Project-Id': '0123456789abcdef0123456789abcdef' },
        body,
      },
      DOC_CREDS,
      new Date(Date.UTC(2025, 0, 1)),
    );
    expect(signed['X-Sdk-Date']).toBe('20250101T000000Z');
    expect(signed['Authorization']).toBe(
      'SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-project-id;x-sdk-date, ' +
        'Signature=e9a4c1cb4f6cde0b81da4f028b656770555b2ee608c6b708fbf4e279711a9722',
    );
  });

  it('hashes the exact body bytes, so a Uint8Array and its string sign alike', () => {
    const text = '{"name":"nb-\u00e9"}';
    const req = { method: 'POST', url: 'https://h.example/v1/p/x', headers: { 'content-type': 'application/json' } };
    const now = new Date(Date.UTC(2025, 0, 1));
    expect(signRequest({ ...req, body: new TextEncoder().encode(text) }, DOC_CREDS, now)['Authorization']).toBe(
      signRequest({ ...req, body: text }, DOC_CREDS, now)['Authorization'],
    );
  });

  it('adds and signs X-Security-Token for temporary credentials', () => {
    const signed = signRequest({ method: 'GET', url: 'https://h.example/v1/p', headers: {} }, { ...DOC_CREDS, securityToken: 'tok' });
    expect(signed['X-Security-Token']).toBe('tok');
    expect(signed['Authorization']).toContain('SignedHeaders=host;x-sdk-date;x-security-token,');
  });

  it('encodes path segments per RFC 3986 and always ends the canonical URI with a slash', () => {
    expect(canonicalUri('/v1/a b/c')).toBe('/v1/a%20b/c/');
    expect(canonicalUri('/v1/a%20b/')).toBe('/v1/a%20b/');
    expect(urlEncode("a!*'()~")).toBe('a%21%2A%27%28%29~');
  });
});

/*
 * Agreement with the official Node SDK signer, restricted to inputs where that signer is well defined
 * and matches what the API gateway verifies:
 *  - bodies are JSON objects: it hashes JSON.stringify(data), so we hand it the object and give our
 *    signer the exact JSON.stringify bytes;
 *  - header names are lower-case [a-z][a-z0-9-]* and never host/x-sdk-date/authorization/
 *    x-sdk-content-sha256: it sorts SignedHeaders with a code-unit sort but canonical headers with
 *    localeCompare, which only agree on such names;
 *  - header values are printable ASCII with no leading/trailing whitespace: it does not trim, the
 *    gateway (and our signer) does;
 *  - path segments use only RFC 3986 unreserved characters and are never "." or "..": it re-encodes
 *    the already-encoded pathname (turning % into %25) where the gateway encodes the decoded path;
 *  - query parameters go to it as an object (it never reads the URL's query) and to us in the URL;
 *  - no explicit default port, which url.parse keeps in the host but WHATWG URL drops.
 */
describe('agreement with @huaweicloud/huaweicloud-sdk-core AKSKSigner', () => {
  const unreserved = fc.constantFrom(...'ABCXYZabcxyz0189-_.~'.split(''));
  const segment = fc.string({ unit: unreserved, minLength: 1, maxLength: 12 }).filter((s) => s !== '.' && s !== '..');
  const headerName = fc
    .stringMatching(/^[a-z][a-z0-9-]{0,15}$/)
    .filter(
      (n) =>
        !['host', 'x-sdk-date', 'authorization', 'x-sdk-content-sha256', 'content-type', 'x-security-token', 'x-project-id'].includes(n),
    );
  const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);
  const queryValue = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.array(fc.string({ unit: 'binary', maxLength: 8 }), { minLength: 1, maxLength: 3 }),
  );

  it('produces the same Authorization header on random requests', () => {
    fc.assert(
      fc.property(
        fc.record({
          method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
          host: fc.constantFrom(
            'modelarts.cn-north-4.myhuaweicloud.com',
            'ief.cn-north-4.myhuaweicloud.com',
            '127.0.0.1:8080',
            'localhost:39999',
          ),
          scheme: fc.constantFrom('https', 'http'),
          segments: fc.array(segment, { maxLength: 5 }),
          trailingSlash: fc.boolean(),
          query: fc.dictionary(fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), queryValue, { maxKeys: 4 }),
          headers: fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
          projectId: fc.option(fc.stringMatching(/^[0-9a-f]{32}$/), { nil: undefined }),
          securityToken: fc.option(fc.stringMatching(/^[A-Za-z0-9+/=]{1,40}$/), { nil: undefined }),
          data: fc.option(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 }), { nil: undefined }),
          ak: fc.stringMatching(/^[A-Z0-9]{20}$/),
          sk: fc.string({ minLength: 1, maxLength: 40 }),
        }),
        (input) => {
          const path = `/${input.segments.join('/')}${input.trailingSlash && input.segments.length ? '/' : ''}`;
          const endpoint = `${input.scheme}://${input.host}${path}`;
          const pairs: string[] = [];
          for (const [key, value] of Object.entries(input.query)) {
            for (const v of Array.isArray(value) ? value : [value]) pairs.push(`${urlEncode(key)}=${urlEncode(v)}`);
          }
          const url = pairs.length ? `${endpoint}?${pairs.join('&')}` : endpoint;
          const headers: Record<string, string> = { 'content-type': 'application/json', ...input.headers };
          if (input.projectId) headers['X-Project-Id'] = input.projectId;

          const officialHeaders: Record<string, string> = { ...headers };
          if (input.securityToken) officialHeaders['X-Security-Token'] = input.securityToken;
          const official = AKSKSigner.sign(
            {
              endpoint,
              method: input.method,
              headers: officialHeaders,
              // Arrays are sorted in place by the official signer; give it copies.
              queryParams: Object.fromEntries(Object.entries(input.query).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])),
              ...(input.data !== undefined ? { data: input.data } : {}),
            },
            { getAk: () => input.ak, getSk: () => input.sk },
          );
          const sdkDate = official['X-Sdk-Date']!;
          const ours = signRequest(
            { method: input.method, url, headers, ...(input.data !== undefined ? { body: JSON.stringify(input.data) } : {}) },
            { ak: input.ak, sk: input.sk, ...(input.securityToken ? { securityToken: input.securityToken } : {}) },
            parseSdkDate(sdkDate)!,
          );
          expect(ours['X-Sdk-Date']).toBe(sdkDate);
          expect(ours['Authorization']).toBe(official['Authorization']);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('verifySignature', () => {
  const creds: Credentials = { ak: 'AKTESTAKTESTAKTEST01', sk: 'secret-key' };
  const lookup = (ak: string) => (ak === creds.ak ? creds.sk : undefined);
  const now = new Date(Date.UTC(2025, 5, 1, 12, 0, 0));
  const url = 'http://127.0.0.1:4010/v2/pid/pools?labelSelector=os.modelarts%2Fname%3Dp1';
  const body = '{"kind":"Pool"}';

  /** What a Node server hands the simulator: lower-cased header names. */
  function asReceived(headers: Record<string, string>): Record<string, string | undefined> {
    return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  }

  const signed = signRequest(
    { method: 'POST', url, headers: { 'content-type': 'application/json', 'X-Project-Id': 'pid' }, body },
    creds,
    now,
  );

  it('accepts a correctly signed request, whatever the header-name case', () => {
    expect(verifySignature({ method: 'POST', url, headers: asReceived(signed), body }, lookup, { now })).toEqual({
      ok: true,
      ak: creds.ak,
    });
    expect(verifySignature({ method: 'POST', url, headers: signed, body: new TextEncoder().encode(body) }, lookup, { now }).ok).toBe(true);
  });

  it('rejects a request signed with the wrong SK', () => {
    const wrong = signRequest(
      { method: 'POST', url, headers: { 'content-type': 'application/json' }, body },
      { ...creds, sk: 'other' },
      now,
    );
    expect(verifySignature({ method: 'POST', url, headers: asReceived(wrong), body }, lookup, { now })).toMatchObject({ ok: false });
  });

  it('rejects a tampered body, path, query or signed header', () => {
    const headers = asReceived(signed);
    expect(verifySignature({ method: 'POST', url, headers, body: '{"kind":"Pool "}' }, lookup, { now }).ok).toBe(false);
    expect(verifySignature({ method: 'POST', url: url.replace('pools', 'pool'), headers, body }, lookup, { now }).ok).toBe(false);
    expect(verifySignature({ method: 'POST', url: url.replace('p1', 'p2'), headers, body }, lookup, { now }).ok).toBe(false);
    expect(verifySignature({ method: 'POST', url, headers: { ...headers, 'x-project-id': 'other' }, body }, lookup, { now }).ok).toBe(
      false,
    );
    expect(verifySignature({ method: 'PUT', url, headers, body }, lookup, { now }).ok).toBe(false);
  });

  it('rejects X-Sdk-Date more than 15 minutes away, either direction', () => {
    const headers = asReceived(signed);
    const at = (ms: number) => ({ now: new Date(now.getTime() + ms) });
    expect(verifySignature({ method: 'POST', url, headers, body }, lookup, at(14 * 60_000)).ok).toBe(true);
    expect(verifySignature({ method: 'POST', url, headers, body }, lookup, at(16 * 60_000))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/skew/),
    });
    expect(verifySignature({ method: 'POST', url, headers, body }, lookup, at(-16 * 60_000)).ok).toBe(false);
    expect(verifySignature({ method: 'POST', url, headers, body }, lookup, { now: at(16 * 60_000).now, maxSkewMs: 20 * 60_000 }).ok).toBe(
      true,
    );
  });

  it('rejects unknown AKs, missing or malformed Authorization, and an unsigned X-Sdk-Date', () => {
    const headers = asReceived(signed);
    expect(verifySignature({ method: 'POST', url, headers, body }, () => undefined, { now })).toMatchObject({
      ok: false,
      reason: 'unknown access key',
    });
    expect(verifySignature({ method: 'POST', url, headers: { ...headers, authorization: undefined }, body }, lookup, { now }).ok).toBe(
      false,
    );
    expect(verifySignature({ method: 'POST', url, headers: { ...headers, authorization: 'Bearer x' }, body }, lookup, { now }).ok).toBe(
      false,
    );
    const noDate = headers['authorization']!.replace('x-sdk-date', 'x-other');
    expect(verifySignature({ method: 'POST', url, headers: { ...headers, authorization: noDate }, body }, lookup, { now }).ok).toBe(false);
  });
});

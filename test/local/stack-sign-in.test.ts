/**
 * Sign-in on `npm start`: the stack runs the local OpenID Connect issuer, points the app at it, and the whole
 * flow through the real app ends with a session for alice (read-all, approve) or bob (submit).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { banner, startStack, type RunningStack } from '../../local/stack';
import { verifySession } from '../../shared/http/oidc';
import { CookieJar, signInUntilCallback, step } from '../http/sign-in-flow';

describe('npm start signs people in through its local issuer', () => {
  let stack: RunningStack;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hwcp-sign-in-'));
    for (const name of ['HUAWEICLOUD_SDK_AK', 'OIDC_ISSUER_URL', 'OIDC_ROLES', 'UI_SIGNING_KEY', 'PUBLIC_BASE_URL'])
      delete process.env[name];
    stack = await startStack({
      stateDir: dir,
      port: 0,
      prefix: `si${process.pid}`,
      emulators: { sqsEndpoint: inject('sqsEndpoint'), dynamodbEndpoint: inject('dynamodbEndpoint') },
      print: () => undefined,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints where to sign in, and as whom', () => {
    const line = banner(stack).find((l) => l.trim().startsWith('sign-in'))!;
    expect(line).toContain(`${stack.apiUrl}/ui/login`);
    expect(line).toContain(stack.oidcIssuer!.url);
    expect(line).toContain('alice (read-all, approve), bob (submit)');
  });

  it.each([
    ['alice', ['read-all', 'approve']],
    ['bob', ['submit']],
  ])('signs %s in with the roles OIDC_ROLES gives', async (username, roles) => {
    const jar = new CookieJar();
    const callback = await signInUntilCallback(jar, { appUrl: stack.apiUrl, issuerUrl: stack.oidcIssuer!.url, username, returnTo: '/ui' });
    const done = await step(jar, callback);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/ui');
    const session = await verifySession(jar.get(stack.apiUrl, 'hwcp_session')!, stack.generated.UI_SIGNING_KEY!, new Date());
    expect(session).toMatchObject({ kind: 'session', name: username, roles, identities: expect.arrayContaining([`github:${username}`]) });
  });
});

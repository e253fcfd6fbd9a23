/**
 * The whole sign-in over real sockets: the app's /ui/login, the local issuer's login form, the callback, the
 * session cookie, and a probe route answering with the viewer the cookie gives.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcIssuer, type RunningOidcIssuer } from '../../local/oidc-issuer';
import { uiConfig } from '../../shared/config';
import {
  createSignInApp,
  identitiesOf,
  rolesOf,
  safeReturnTo,
  signSession,
  verifySession,
  type SignInSettings,
} from '../../shared/http/oidc';
import { viewerOf } from '../../shared/http/viewer';
import { CookieJar, signInUntilCallback, step } from './sign-in-flow';
import { createPeopleApp, type PeopleServices } from '../../shared/http/people';
import { memoryLogger } from './helpers';

const KEY = 'ui-signing-key-for-oidc-tests-0123456789';
const HOUR = 3_600_000;

describe('OpenID Connect sign-in against the local issuer', () => {
  let issuer: RunningOidcIssuer;
  let server: ServerType;
  let appUrl: string;
  let settings: SignInSettings;
  let clock = new Date();
  const warnings: string[] = [];

  beforeAll(async () => {
    const app = new Hono();
    app.route(
      '/ui',
      createSignInApp({
        settings: async () => settings,
        logger: { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
        now: () => clock,
      }),
    );
    app.get('/ui/probe', async (c) => {
      const viewer = await viewerOf(c, { secrets: async () => ({ API_TOKENS: [], UI_SIGNING_KEY: KEY }), now: () => clock });
      return c.json({ viewer: viewer ?? null });
    });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    issuer = await startOidcIssuer({
      users: { alice: { name: 'Alice', groups: ['platform'], jiraAccountId: '5b10a2844c20165700ede21g' }, bob: {} },
      redirectUris: [`${appUrl}/ui/callback`],
    });
    const roles = rolesConfig('alice=approve,group:platform=read-all');
    settings = {
      issuer: issuer.url,
      clientId: issuer.clientId,
      clientSecret: issuer.clientSecret,
      scopes: 'openid profile',
      roles,
      signingKey: KEY,
    };
  });
  afterAll(async () => {
    await issuer?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  const untilCallback = (jar: CookieJar, username: string, returnTo = '/ui/probe') =>
    signInUntilCallback(jar, { appUrl, issuerUrl: issuer.url, username, returnTo });

  it('signs alice in: a session cookie whose viewer has her roles and identities', async () => {
    const jar = new CookieJar();
    const callback = await untilCallback(jar, 'alice');
    const done = await step(jar, callback);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/ui/probe');
    const cookie = jar.lines.get('hwcp_session')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\/ui(;|$)/);
    expect(cookie).toMatch(/Max-Age=28800/);
    // Plain HTTP on 127.0.0.1: a Secure cookie would never come back.
    expect(cookie).not.toMatch(/Secure/);
    expect(jar.get(appUrl, 'hwcp_oidc')).toBeUndefined();

    const probe = await step(jar, `${appUrl}/ui/probe`);
    expect(await probe.json()).toEqual({
      viewer: {
        kind: 'session',
        subject: 'alice',
        name: 'alice',
        roles: ['approve', 'read-all'],
        identities: ['github:alice', 'gitlab:alice', 'api:alice', 'jira:5b10a2844c20165700ede21g'],
      },
    });
  });

  it('gives bob no roles: nothing in OIDC_ROLES names him', async () => {
    const jar = new CookieJar();
    await step(jar, await untilCallback(jar, 'bob'));
    const { viewer } = (await (await step(jar, `${appUrl}/ui/probe`)).json()) as { viewer: { roles: string[]; identities: string[] } };
    expect(viewer.roles).toEqual([]);
    expect(viewer.identities).toEqual(['github:bob', 'gitlab:bob', 'api:bob']);
  });

  it('refuses a callback whose state was changed, and sets no session', async () => {
    const jar = new CookieJar();
    const callback = new URL(await untilCallback(jar, 'alice'));
    callback.searchParams.set('state', 'not-the-state-we-sent');
    const response = await step(jar, callback.toString());
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('Sign-in refused');
    expect(jar.get(appUrl, 'hwcp_session')).toBeUndefined();
    const probe = await step(jar, `${appUrl}/ui/probe`);
    expect(await probe.json()).toEqual({ viewer: null });
  });

  it('refuses a callback without the transaction cookie (another browser)', async () => {
    const jar = new CookieJar();
    const callback = await untilCallback(jar, 'alice');
    const response = await step(new CookieJar(), callback);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('started in another browser');
  });

  it('refuses a returnTo that leaves the site', async () => {
    for (const returnTo of ['https://evil.example/ui', '//evil.example/ui', '/\\evil.example', 'ui/requests', 'javascript:alert(1)']) {
      const response = await step(new CookieJar(), `${appUrl}/ui/login?returnTo=${encodeURIComponent(returnTo)}`);
      expect(response.status, returnTo).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    }
    expect(safeReturnTo('/ui/requests/req_1?t=x#top')).toBe('/ui/requests/req_1?t=x#top');
    expect(safeReturnTo(undefined)).toBe('/ui');
  });

  it('refuses an expired session: the cookie stops identifying anyone after 8 hours', async () => {
    const jar = new CookieJar();
    await step(jar, await untilCallback(jar, 'alice'));
    const started = clock;
    try {
      clock = new Date(started.getTime() + 8 * HOUR - 60_000);
      expect(((await (await step(jar, `${appUrl}/ui/probe`)).json()) as { viewer: unknown }).viewer).not.toBeNull();
      clock = new Date(started.getTime() + 8 * HOUR + 1000);
      expect(await (await step(jar, `${appUrl}/ui/probe`)).json()).toEqual({ viewer: null });
    } finally {
      clock = started;
    }
  });

  it('signs out: the session cookie is removed', async () => {
    const jar = new CookieJar();
    await step(jar, await untilCallback(jar, 'alice'));
    const out = await step(jar, `${appUrl}/ui/logout`);
    expect(out.status).toBe(200);
    expect(jar.get(appUrl, 'hwcp_session')).toBeUndefined();
  });

  it("is mounted by the pages' app, and answers 503 naming what is missing when sign-in is not configured", async () => {
    const app = createPeopleApp({
      logger: memoryLogger(),
      secrets: async () => ({ API_TOKENS: [] }),
      services: () => ({}) as PeopleServices,
    });
    const response = await app.request('http://127.0.0.1/ui/login?returnTo=/ui');
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and UI_SIGNING_KEY');
  });

  it('answers 502 when the issuer cannot be reached, and logs why', async () => {
    const logger = memoryLogger();
    const app = new Hono().route(
      '/ui',
      createSignInApp({ settings: async () => ({ ...settings, issuer: 'http://127.0.0.1:9/' }), logger }),
    );
    const response = await app.request('http://127.0.0.1/ui/login');
    expect(response.status).toBe(502);
    expect(logger.lines.join('\n')).toContain('sign-in failed');
  });
});

describe('sessions, roles and identities', () => {
  const now = new Date('2026-12-01T10:00:00Z');
  const session = { subject: 's-1', name: 'carol', roles: ['read-all' as const], identities: ['github:carol'] };

  it('accepts its own session and refuses a forged, foreign-key or expired one', async () => {
    const token = await signSession(session, KEY, now);
    expect(await verifySession(token, KEY, new Date(now.getTime() + HOUR))).toEqual({ kind: 'session', ...session });
    expect(await verifySession(token, `${KEY}-other`, now)).toBeUndefined();
    expect(await verifySession(token, KEY, new Date(now.getTime() + 8 * HOUR + 1000))).toBeUndefined();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const elevated = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['approve'] }),
    ).toString('base64url');
    expect(await verifySession(`${header}.${elevated}.${signature}`, KEY, now)).toBeUndefined();
    // alg "none" is never accepted.
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    expect(await verifySession(`${none}.${payload}.`, KEY, now)).toBeUndefined();
  });

  it('maps user names and groups to roles, and user names and Jira ids to identities', () => {
    const rules = rolesConfig('alice=read-all+approve,group:platform=read-all,bob=submit');
    expect(rolesOf({ preferred_username: 'alice' }, rules).sort()).toEqual(['approve', 'read-all']);
    expect(rolesOf({ preferred_username: 'dave', groups: ['platform', 'x'] }, rules)).toEqual(['read-all']);
    expect(rolesOf({ preferred_username: 'eve', groups: 'platform' }, rules)).toEqual([]);
    expect(identitiesOf({ preferred_username: 'Alice' })).toEqual(['github:alice', 'gitlab:alice', 'api:alice']);
    expect(identitiesOf({ sub: 'x', jira_account_id: 'abc' })).toEqual(['jira:abc']);
  });
});

/** OIDC_ROLES as the webhook's configuration parses it. */
function rolesConfig(text: string) {
  return uiConfig({ OIDC_ROLES: text }).OIDC_ROLES;
}

/**
 * Sign-in to the web pages with OpenID Connect: the authorization code flow with PKCE, state and nonce against
 * OIDC_ISSUER_URL (openid-client verifies the ID token against the issuer's JWKS), then a session cookie holding a
 * JWT this service signs. Nothing is stored server-side: the flow's own state rides in a short-lived signed cookie.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { jwtVerify, SignJWT } from 'jose';
import { ConfigError, uiConfig, type ApiRole, type OidcRoleRule, type SecretsEnv } from '../config';
import { deriveKey } from './links';
import { loginUrl, SESSION_COOKIE, type Viewer } from './viewer';

type SessionViewer = Extract<Viewer, { kind: 'session' }>;

const SESSION_HOURS = 8;
/** Long enough to type a password and answer a second factor at the issuer. */
const TRANSACTION_MINUTES = 10;
const TRANSACTION_COOKIE = 'hwcp_oidc';
const ISSUER = 'hwc-provisioner';
const SESSION_AUDIENCE = 'hwc-provisioner/ui';
const TRANSACTION_AUDIENCE = 'hwc-provisioner/ui/callback';

export interface SignInSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated; `openid` is added when missing. */
  scopes: string;
  roles: readonly OidcRoleRule[];
  /** UI_SIGNING_KEY: the session's and the transaction's keys are derived from it. */
  signingKey: string;
  /** The redirect URI is `${publicBaseUrl}/ui/callback`; absent, the request's own origin (local use). */
  publicBaseUrl?: string;
}

interface SignInLogger {
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface SignInDeps {
  /** Undefined when sign-in is not configured: the routes then say which variables are missing. */
  settings: () => Promise<SignInSettings | undefined>;
  logger: SignInLogger;
  now?: () => Date;
}

/** Sign-in settings from OIDC_* (configuration) and OIDC_CLIENT_SECRET, UI_SIGNING_KEY (secrets). */
export function signInSettings(secrets: () => Promise<SecretsEnv>): () => Promise<SignInSettings | undefined> {
  return async () => {
    const cfg = uiConfig();
    const { OIDC_CLIENT_SECRET: clientSecret, UI_SIGNING_KEY: signingKey } = await secrets();
    if (!cfg.OIDC_ISSUER_URL || !cfg.OIDC_CLIENT_ID || !clientSecret || !signingKey) return undefined;
    return {
      issuer: cfg.OIDC_ISSUER_URL,
      clientId: cfg.OIDC_CLIENT_ID,
      clientSecret,
      scopes: cfg.OIDC_SCOPES,
      roles: cfg.OIDC_ROLES,
      signingKey,
      ...(cfg.PUBLIC_BASE_URL ? { publicBaseUrl: cfg.PUBLIC_BASE_URL } : {}),
    };
  };
}

/**
 * Only a path of this site: `/x` but never `//host`, `/\host` (browsers read both as another host) or anything with
 * a scheme. Resolved against a dummy origin, the result must stay on it.
 */
export function safeReturnTo(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return '/ui';
  if (value.length > 2048 || !value.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(value)) return undefined;
  const base = 'http://return.invalid';
  const url = new URL(value, base);
  if (url.origin !== base) return undefined;
  return `${url.pathname}${url.search}${url.hash}`;
}

const sessionKeys = new Map<string, Uint8Array>();
function keyFor(secret: string, purpose: 'session' | 'oidc-transaction'): Uint8Array {
  const id = `${purpose}\n${secret}`;
  let key = sessionKeys.get(id);
  if (!key) {
    key = deriveKey(secret, purpose);
    sessionKeys.set(id, key);
  }
  return key;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

export async function signSession(
  session: Omit<SessionViewer, 'kind'>,
  signingKey: string,
  now: Date,
  hours = SESSION_HOURS,
): Promise<string> {
  return new SignJWT({ name: session.name, roles: session.roles, identities: session.identities })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(SESSION_AUDIENCE)
    .setSubject(session.subject)
    .setIssuedAt(seconds(now))
    .setExpirationTime(seconds(now) + hours * 3600)
    .sign(keyFor(signingKey, 'session'));
}

/** The session a cookie holds, or undefined when it is expired, forged or signed under another key. */
export async function verifySession(token: string, signingKey: string, now: Date): Promise<SessionViewer | undefined> {
  try {
    const { payload } = await jwtVerify(token, keyFor(signingKey, 'session'), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: SESSION_AUDIENCE,
      currentDate: now,
      requiredClaims: ['sub', 'exp'],
    });
    const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
    return {
      kind: 'session',
      subject: payload.sub!,
      name: typeof payload.name === 'string' ? payload.name : payload.sub!,
      roles: strings(payload.roles) as ApiRole[],
      identities: strings(payload.identities),
    };
  } catch {
    return undefined;
  }
}

/**
 * The identities whose requests count as the person's own ("mine"): their issuer user name taken as their GitHub,
 * GitLab and API caller name, and their Jira account id when the issuer sends a `jira_account_id` claim. This
 * trusts the issuer to hand out user names that match those accounts (docs/ui.md).
 */
export function identitiesOf(claims: Record<string, unknown>): string[] {
  const username = typeof claims.preferred_username === 'string' ? claims.preferred_username.trim().toLowerCase() : '';
  const jira = typeof claims.jira_account_id === 'string' ? claims.jira_account_id.trim() : '';
  return [...(username ? [`github:${username}`, `gitlab:${username}`, `api:${username}`] : []), ...(jira ? [`jira:${jira}`] : [])];
}

/** The union of the roles OIDC_ROLES gives the person's user name and groups. */
export function rolesOf(claims: Record<string, unknown>, rules: readonly OidcRoleRule[]): ApiRole[] {
  const username = typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined;
  const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string') : [];
  const roles = new Set<ApiRole>();
  for (const rule of rules) {
    const matches = rule.match === 'user' ? rule.name === username : groups.includes(rule.name);
    if (matches) for (const role of rule.roles) roles.add(role);
  }
  return [...roles];
}

/** A sign-in that cannot go on: `code` is stable, the message is said to the person on a small page. */
class SignInError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

type OidcClient = typeof import('openid-client');
type Discovered = Awaited<ReturnType<OidcClient['discovery']>>;

/** One discovery per issuer and client per container; a failed one is tried again at the next sign-in. */
const discovered = new Map<string, Promise<{ client: OidcClient; config: Discovered }>>();

function discover(settings: SignInSettings): Promise<{ client: OidcClient; config: Discovered }> {
  const id = JSON.stringify([settings.issuer, settings.clientId, settings.clientSecret]);
  let found = discovered.get(id);
  if (!found) {
    found = (async () => {
      // Loaded at the first sign-in only: every other route of the function does without it.
      const client = await import('openid-client');
      const issuer = new URL(settings.issuer);
      // Plain HTTP only for an issuer on this machine (npm start, tests); openid-client refuses it otherwise.
      const local = issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
      const config = await client.discovery(
        issuer,
        settings.clientId,
        undefined,
        client.ClientSecretBasic(settings.clientSecret),
        local ? { execute: [client.allowInsecureRequests] } : undefined,
      );
      return { client, config };
    })();
    found.catch(() => discovered.delete(id));
    discovered.set(id, found);
  }
  return found;
}

/** Secure everywhere but plain HTTP on this machine, where a browser would drop a Secure cookie. */
function isLocalHttp(c: Context): boolean {
  const url = new URL(c.req.url);
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

function redirectUri(c: Context, settings: SignInSettings): string {
  const base = settings.publicBaseUrl?.replace(/\/+$/, '') ?? new URL(c.req.url).origin;
  return `${base}/ui/callback`;
}

function scopesOf(settings: SignInSettings): string {
  const scopes = settings.scopes.split(/\s+/).filter(Boolean);
  return [...new Set(['openid', ...scopes])].join(' ');
}

function page(c: Context, status: ContentfulStatusCode, title: string, message: string, link?: { href: string; text: string }) {
  return c.html(
    html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title></head>
<body><main><h1>${title}</h1><p>${message}</p>${link ? html`<p><a href="${link.href}">${link.text}</a></p>` : ''}</main></body>
</html>`,
    status,
  );
}

async function requireSettings(deps: SignInDeps): Promise<SignInSettings> {
  const settings = await deps.settings();
  if (!settings)
    throw new SignInError(
      503,
      'SIGN_IN_NOT_CONFIGURED',
      'Sign-in is not configured here: it needs OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and UI_SIGNING_KEY.',
    );
  return settings;
}

interface Transaction {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
}

/** The routes /login, /callback and /logout, to be mounted at /ui. */
export function createSignInApp(deps: SignInDeps): Hono {
  const app = new Hono();
  const now = () => deps.now?.() ?? new Date();

  app.onError((error, c) => {
    if (error instanceof SignInError) return page(c, error.status, 'Sign-in failed', error.message);
    // A ConfigError names the variable, never its value.
    if (error instanceof ConfigError) {
      deps.logger.error('configuration invalid', { code: error.code, variable: error.variable, errorMessage: error.message });
      return page(c, 503, 'Sign-in unavailable', error.message);
    }
    // Most often the issuer's discovery document or JWKS could not be fetched.
    deps.logger.error('sign-in failed', { errorName: error.name, errorMessage: error.message });
    return page(c, 502, 'Sign-in unavailable', 'The identity provider could not be reached; try again in a moment.');
  });

  app.get('/login', async (c) => {
    const returnTo = safeReturnTo(c.req.query('returnTo'));
    if (returnTo === undefined)
      throw new SignInError(400, 'INVALID_RETURN_TO', 'returnTo must be a path on this site, such as /ui/requests/req_...');
    const settings = await requireSettings(deps);
    const { client, config } = await discover(settings);
    const transaction: Transaction = {
      verifier: client.randomPKCECodeVerifier(),
      state: client.randomState(),
      nonce: client.randomNonce(),
      returnTo,
    };
    const at = now();
    const cookie = await new SignJWT({ ...transaction })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(TRANSACTION_AUDIENCE)
      .setIssuedAt(seconds(at))
      .setExpirationTime(seconds(at) + TRANSACTION_MINUTES * 60)
      .sign(keyFor(settings.signingKey, 'oidc-transaction'));
    setCookie(c, TRANSACTION_COOKIE, cookie, {
      path: '/ui/callback',
      httpOnly: true,
      secure: !isLocalHttp(c),
      // Lax: the issuer's redirect back is a top-level GET from another site, which Strict would strip the cookie from.
      sameSite: 'Lax',
      maxAge: TRANSACTION_MINUTES * 60,
    });
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri(c, settings),
      scope: scopesOf(settings),
      code_challenge: await client.calculatePKCECodeChallenge(transaction.verifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
    });
    return c.redirect(url.toString(), 302);
  });

  app.get('/callback', async (c) => {
    const settings = await requireSettings(deps);
    const again = { href: loginUrl('/ui'), text: 'Sign in again' };
    const raw = getCookie(c, TRANSACTION_COOKIE);
    deleteCookie(c, TRANSACTION_COOKIE, { path: '/ui/callback', secure: !isLocalHttp(c) });
    let transaction: Transaction;
    try {
      const { payload } = await jwtVerify(raw ?? '', keyFor(settings.signingKey, 'oidc-transaction'), {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: TRANSACTION_AUDIENCE,
        currentDate: now(),
      });
      transaction = payload as unknown as Transaction;
    } catch {
      return page(c, 400, 'Sign-in failed', 'This sign-in expired or was started in another browser.', again);
    }
    const back = { href: loginUrl(transaction.returnTo), text: 'Sign in again' };
    const issuerError = c.req.query('error');
    if (issuerError !== undefined)
      return page(c, 401, 'Sign-in refused', `The identity provider refused the sign-in (${issuerError.slice(0, 100)}).`, back);
    const { client, config } = await discover(settings);
    const query = new URL(c.req.url).search;
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(config, new URL(`${redirectUri(c, settings)}${query}`), {
        pkceCodeVerifier: transaction.verifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
      claims = { ...tokens.claims()! };
      // Issuers that keep profile claims out of the ID token serve them from userinfo.
      if (claims.preferred_username === undefined && config.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub));
        claims = { ...info, ...claims };
      }
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      deps.logger.warn('sign-in refused', { errorName: (error as Error).name, errorMessage: (error as Error).message, code });
      return page(c, 401, 'Sign-in refused', 'The answer of the identity provider could not be verified.', back);
    }
    const subject = String(claims.sub);
    const username = typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined;
    const name = username ?? (typeof claims.name === 'string' ? claims.name : subject);
    const session = await signSession(
      { subject, name, roles: rolesOf(claims, settings.roles), identities: identitiesOf(claims) },
      settings.signingKey,
      now(),
    );
    setCookie(c, SESSION_COOKIE, session, {
      path: '/ui',
      httpOnly: true,
      secure: !isLocalHttp(c),
      sameSite: 'Lax',
      maxAge: SESSION_HOURS * 3600,
    });
    return c.redirect(transaction.returnTo, 302);
  });

  // Forgets the session here only: the issuer's own session lives on, so "Sign in" may come straight back.
  app.on(['GET', 'POST'], '/logout', (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: '/ui', secure: !isLocalHttp(c) });
    return page(c, 200, 'Signed out', 'You are signed out of hwc-provisioner.', { href: loginUrl('/ui'), text: 'Sign in' });
  });

  return app;
}

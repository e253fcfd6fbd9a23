/**
 * Who is looking, and what they may see: an API caller by bearer token, a person signed in with OpenID Connect
 * (session cookie), or anyone holding a request's signed link. The same rules answer for the API and the pages.
 */
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ApiRole, ApiToken, SecretsEnv } from '../config';
import { authenticateBearer, hasRole } from '../intake/auth';
import type { RequestRecord } from '../store/types';
import { LinkTokenError, verifyLink } from './links';

export type Viewer =
  | { kind: 'link'; requestId: string; expiresAt: string }
  | { kind: 'session'; subject: string; name: string; roles: ApiRole[]; identities: string[] }
  | { kind: 'token'; caller: ApiToken };

/** The session cookie (shared/http/oidc.ts sets it): a JWT, so reading it needs no table. */
export const SESSION_COOKIE = 'hwcp_session';

/** Where a page sends someone to sign in and come back; `returnTo` must be a path of this site. */
export function loginUrl(returnTo: string): string {
  return `/ui/login?returnTo=${encodeURIComponent(returnTo)}`;
}

export interface ViewerDeps {
  secrets: () => Promise<Pick<SecretsEnv, 'API_TOKENS' | 'UI_SIGNING_KEY'>>;
  now?: () => Date;
}

/** The viewer, or why a `?t=` link was refused when nothing else identifies the caller (the page says so). */
export interface ViewerResult {
  viewer?: Viewer;
  linkRefused?: LinkTokenError['code'];
}

/**
 * Reads, in order, a bearer token (API_TOKENS), the session cookie and a `?t=` link token; the first valid one
 * wins. A bearer header that matches no token is not passed over for a cookie: a script with a wrong token should
 * hear so rather than borrow a browser's session.
 */
export async function readViewer(c: Context, deps: ViewerDeps): Promise<ViewerResult> {
  const secrets = await deps.secrets();
  const header = c.req.header('authorization');
  if (header !== undefined) {
    const caller = authenticateBearer(header, secrets.API_TOKENS);
    return caller ? { viewer: { kind: 'token', caller } } : {};
  }
  const key = secrets.UI_SIGNING_KEY;
  if (!key) return {};
  const now = deps.now?.() ?? new Date();
  const cookie = getCookie(c, SESSION_COOKIE);
  if (cookie) {
    // Loaded only for a cookie: API calls and link visits never pay for the JWT library.
    const { verifySession } = await import('./oidc');
    const session = await verifySession(cookie, key, now);
    if (session) return { viewer: session };
  }
  const token = c.req.query('t');
  if (token === undefined) return {};
  try {
    const { requestId, expiresAt } = verifyLink(token, key, now);
    return { viewer: { kind: 'link', requestId, expiresAt } };
  } catch (error) {
    if (error instanceof LinkTokenError) return { linkRefused: error.code };
    throw error;
  }
}

export async function viewerOf(c: Context, deps: ViewerDeps): Promise<Viewer | undefined> {
  return (await readViewer(c, deps)).viewer;
}

function hasViewerRole(viewer: Exclude<Viewer, { kind: 'link' }>, role: ApiRole): boolean {
  return viewer.kind === 'token' ? hasRole(viewer.caller, role) : viewer.roles.includes(role);
}

/**
 * A link opens its one request. Anyone else sees every request with read-all, their own, and, with approve, those
 * that asked for an approval (to judge them). An API caller's own are those it submitted; a person's, those whose
 * source user is one of their identities (github:, gitlab:, jira:, api:).
 */
export function canSeeRequest(viewer: Viewer, request: Pick<RequestRecord, 'requestId' | 'source' | 'approval'>): boolean {
  if (viewer.kind === 'link') return viewer.requestId === request.requestId;
  if (hasViewerRole(viewer, 'read-all')) return true;
  if (hasViewerRole(viewer, 'approve') && request.approval !== undefined) return true;
  const { source } = request;
  if (viewer.kind === 'token') return source.provider === 'api' && source.caller === viewer.caller.caller;
  return (
    (source.user !== undefined && viewer.identities.includes(source.user)) ||
    (source.caller !== undefined && viewer.identities.includes(`api:${source.caller}`))
  );
}

/** Lists and the inventory need an account: a link is for its one request only. */
export function canList(viewer: Viewer): boolean {
  return viewer.kind !== 'link';
}

import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { ApiToken } from '../../shared/config';
import { signLink } from '../../shared/http/links';
import { signSession } from '../../shared/http/oidc';
import { canList, canSeeRequest, loginUrl, readViewer, type Viewer } from '../../shared/http/viewer';
import type { RequestRecord } from '../../shared/store/types';

const KEY = 'ui-signing-key-for-viewer-tests-0123456789';
const NOW = new Date('2026-12-01T10:00:00Z');
const ID = 'req_3v6h1c0x4k2m8n5p7q9r1s3t5v';
const OTHER = 'req_0000000000000000000000000a';

const token = (caller: string, roles: ApiToken['roles']): ApiToken => ({
  caller,
  token: `${caller}-token-0123456789abcdef0123456789`,
  roles,
});
const TOKENS = [token('ci', ['submit']), token('auditor', ['read-all'])];

type Visible = Pick<RequestRecord, 'requestId' | 'source' | 'approval'>;
const byApi = (caller: string, requestId = ID): Visible => ({
  requestId,
  source: { provider: 'api', ref: `api:${caller}`, caller, user: `api:${caller}` },
});
const byGithub = (user: string): Visible => ({
  requestId: ID,
  source: { provider: 'github', ref: 'acme/infra@abc', repository: 'acme/infra', commit: 'abc', user: `github:${user}` },
});
const withApproval = (request: Visible): Visible => ({
  ...request,
  approval: {
    state: 'Pending',
    rules: ['gpu'],
    reasons: ['gpu pools need approval'],
    approvers: [],
    requestedBy: request.source.user!,
    requestedAt: NOW.toISOString(),
    expiresAt: NOW.toISOString(),
    history: [],
  } as unknown as NonNullable<RequestRecord['approval']>,
});
const session = (name: string, roles: Extract<Viewer, { kind: 'session' }>['roles'] = []): Viewer => ({
  kind: 'session',
  subject: name,
  name,
  roles,
  identities: [`github:${name}`, `gitlab:${name}`, `api:${name}`],
});

describe('canSeeRequest and canList', () => {
  it('a link opens its own request only, and never a list', () => {
    const link: Viewer = { kind: 'link', requestId: ID, expiresAt: NOW.toISOString() };
    expect(canSeeRequest(link, byGithub('octocat'))).toBe(true);
    expect(canSeeRequest(link, byApi('ci', OTHER))).toBe(false);
    expect(canList(link)).toBe(false);
  });

  it('an API token sees its own API requests, all with read-all, and those asking for approval with approve', () => {
    const ci: Viewer = { kind: 'token', caller: token('ci', ['submit']) };
    expect(canSeeRequest(ci, byApi('ci'))).toBe(true);
    expect(canSeeRequest(ci, byApi('other'))).toBe(false);
    // A GitHub user named like the caller is not the caller.
    expect(canSeeRequest(ci, byGithub('ci'))).toBe(false);
    expect(canSeeRequest({ kind: 'token', caller: token('auditor', ['read-all']) }, byGithub('octocat'))).toBe(true);
    const approver: Viewer = { kind: 'token', caller: token('approver', ['approve']) };
    expect(canSeeRequest(approver, byApi('ci'))).toBe(false);
    expect(canSeeRequest(approver, withApproval(byApi('ci')))).toBe(true);
    expect(canList(ci)).toBe(true);
  });

  it('a person sees requests whose source user is one of their identities, and by role as tokens do', () => {
    expect(canSeeRequest(session('octocat'), byGithub('octocat'))).toBe(true);
    expect(canSeeRequest(session('octocat'), byApi('octocat'))).toBe(true);
    expect(canSeeRequest(session('octocat'), byGithub('someone'))).toBe(false);
    expect(canSeeRequest(session('alice', ['read-all']), byGithub('someone'))).toBe(true);
    expect(canSeeRequest(session('alice', ['approve']), byGithub('someone'))).toBe(false);
    expect(canSeeRequest(session('alice', ['approve']), withApproval(byGithub('someone')))).toBe(true);
    expect(canList(session('bob'))).toBe(true);
  });
});

describe('viewerOf reads a bearer token, then the session cookie, then a link', () => {
  const app = new Hono();
  let key: string | undefined = KEY;
  app.get('/ui/requests/:id', async (c) =>
    c.json(await readViewer(c, { secrets: async () => ({ API_TOKENS: TOKENS, UI_SIGNING_KEY: key }), now: () => NOW })),
  );
  const get = async (query = '', headers: Record<string, string> = {}) =>
    (await app.request(`http://127.0.0.1/ui/requests/${ID}${query}`, { headers })).json() as Promise<{
      viewer?: Viewer;
      linkRefused?: string;
    }>;
  const cookieFor = async (name: string) =>
    `hwcp_session=${await signSession({ subject: name, name, roles: ['read-all'], identities: [`github:${name}`] }, KEY, NOW)}`;

  it('takes the bearer token first, and a wrong one identifies nobody even with a cookie', async () => {
    const link = `?t=${signLink(ID, KEY, NOW)}`;
    const cookie = await cookieFor('alice');
    expect((await get(link, { authorization: `Bearer ${TOKENS[0]!.token}`, cookie })).viewer).toEqual({ kind: 'token', caller: TOKENS[0] });
    expect(await get(link, { authorization: 'Bearer wrong-token-0123456789abcdef0123', cookie })).toEqual({});
  });

  it('takes the session before a link', async () => {
    const viewer = (await get(`?t=${signLink(ID, KEY, NOW)}`, { cookie: await cookieFor('alice') })).viewer;
    expect(viewer).toMatchObject({ kind: 'session', name: 'alice', roles: ['read-all'] });
  });

  it('falls back to the link when the cookie is not valid', async () => {
    const forged = `hwcp_session=${await signSession({ subject: 'x', name: 'x', roles: ['read-all'], identities: [] }, `${KEY}!`, NOW)}`;
    expect((await get(`?t=${signLink(ID, KEY, NOW)}`, { cookie: forged })).viewer).toEqual({
      kind: 'link',
      requestId: ID,
      expiresAt: new Date(NOW.getTime() + 30 * 86_400_000).toISOString(),
    });
  });

  it('says why a link was refused', async () => {
    const old = signLink(ID, KEY, new Date(NOW.getTime() - 31 * 86_400_000));
    expect(await get(`?t=${old}`)).toEqual({ linkRefused: 'LINK_EXPIRED' });
    expect(await get('?t=garbage')).toEqual({ linkRefused: 'LINK_MALFORMED' });
    expect(await get('')).toEqual({});
  });

  it('accepts no session or link when no signing key is configured', async () => {
    const link = `?t=${signLink(ID, KEY, NOW)}`;
    const cookie = await cookieFor('alice');
    key = undefined;
    try {
      expect(await get(link, { cookie })).toEqual({});
    } finally {
      key = KEY;
    }
  });

  it('sends people to sign in with where to come back', () => {
    expect(loginUrl(`/ui/requests/${ID}?x=1&y=2`)).toBe(`/ui/login?returnTo=%2Fui%2Frequests%2F${ID}%3Fx%3D1%26y%3D2`);
  });
});

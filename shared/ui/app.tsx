/**
 * The pages people look at, server-rendered with Hono's JSX: a request's page, the requests list and the
 * inventory. shared/http/app.ts loads this module on the first /ui request only, so the webhook's cold start
 * does not pay for it.
 */
import { type Context, Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { REQUEST_ID_PATTERN } from '../intake/ids';
import { adapterOf, isKind } from '../kinds/registry';
import { getManagedMany } from '../store/managed';
import { getRequestWithResources, overallState, type TableRef } from '../store/requests';
import { TERMINAL_STATES } from '../store/types';
import { canSeeRequest, type Viewer } from './access';
import { consoleUrl } from './format';
import { LIVE_SCRIPT_HASH, Page } from './layout';
import { RequestPage } from './request-page';
import { STYLESHEET, STYLESHEET_VERSION } from './style';

export interface UiDeps {
  table: TableRef;
  /** Who is asking: a signed link's reader, a signed-in person, or an API caller; undefined when none is proven. */
  viewer(c: Context): Promise<Viewer | undefined>;
  /** Where to sign in, coming back to `returnTo` (a path under /ui) afterwards. */
  loginUrl(returnTo: string): string;
  /** The Huawei console page for a resource; by default the console of the kind's service in the resource's region. */
  consoleUrl?(resource: { kind: string; region: string; huaweiId: string }): string | undefined;
  now?(): Date;
}

/** A live page polls this often; one waiting for a person to approve it, less often. */
const POLL_MS = 3_000;
const APPROVAL_POLL_MS = 15_000;

const CSP = [
  "default-src 'none'",
  "style-src 'self'",
  `script-src '${LIVE_SCRIPT_HASH}'`,
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The service console of the resource's kind, in its region. */
function defaultConsoleUrl(resource: { kind: string; region: string }): string | undefined {
  return isKind(resource.kind) ? consoleUrl(adapterOf(resource.kind).service, resource.region) : undefined;
}

export function createUiApp(deps: UiDeps): Hono {
  const app = new Hono().basePath('/ui');
  const now = deps.now ?? (() => new Date());
  const consoleOf = deps.consoleUrl ?? defaultConsoleUrl;

  // Pages may carry a link token in their URL: no Referer may take it to the commit's or console's site.
  app.use(async (c, next) => {
    await next();
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Content-Type-Options', 'nosniff');
    if (c.res.headers.get('content-type')?.startsWith('text/html')) {
      c.header('Content-Security-Policy', CSP);
      c.header('Cache-Control', 'private, no-store');
    }
  });

  const render = (
    c: Context,
    status: 200 | 401 | 404 | 500,
    title: string,
    viewer: Viewer | undefined,
    body: Child,
    live?: boolean,
    pollMs?: number,
  ) =>
    c.html(
      `<!DOCTYPE html>${(
        <Page title={title} viewer={viewer} {...(live !== undefined ? { live } : {})} {...(pollMs ? { pollMs } : {})}>
          {body}
        </Page>
      )}`,
      status,
    );

  const notFound = (c: Context, viewer: Viewer | undefined, what: string) =>
    render(
      c,
      404,
      'Not found',
      viewer,
      <>
        <h1>Not found</h1>
        <p>{what}</p>
      </>,
    );

  /** The path and query to come back to after signing in. */
  const here = (c: Context) => {
    const url = new URL(c.req.url);
    return `${url.pathname}${url.search}`;
  };

  app.onError((error, c) => {
    console.error('ui page failed', { path: c.req.path, errorName: error.name, errorMessage: error.message });
    return render(
      c,
      500,
      'Something went wrong',
      undefined,
      <>
        <h1>Something went wrong</h1>
        <p>The page could not be built. The function log says why; reloading may help.</p>
      </>,
    );
  });
  app.notFound((c) => notFound(c, undefined, `There is no page at ${c.req.path}.`));

  app.get('/style.css', (c) => {
    const pinned = c.req.query('v') === STYLESHEET_VERSION;
    c.header('Content-Type', 'text/css; charset=utf-8');
    c.header('Cache-Control', pinned ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
    return c.body(STYLESHEET);
  });

  app.get('/requests/:id', async (c) => {
    const viewer = await deps.viewer(c);
    if (!viewer) {
      if (c.req.query('t') === undefined) return c.redirect(deps.loginUrl(here(c)), 302);
      return render(
        c,
        401,
        'Link expired',
        undefined,
        <>
          <h1>This link is not valid any more</h1>
          <p>
            Links to a request page expire. <a href={deps.loginUrl(here(c).replace(/[?&]t=[^&]*/, ''))}>Sign in</a> to see the request.
          </p>
        </>,
      );
    }
    const id = c.req.param('id');
    const missing = `No request ${id.slice(0, 64)} that you may see.`;
    if (!REQUEST_ID_PATTERN.test(id)) return notFound(c, viewer, missing);
    const found = await getRequestWithResources(deps.table, id);
    // Someone else's request answers as a missing one does, so ids cannot be probed for existence.
    if (!found || !canSeeRequest(viewer, found.request)) return notFound(c, viewer, missing);
    const { request, resources } = found;
    resources.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    const state = overallState(request, resources);
    const managed = await getManagedMany(deps.table, resources);
    const live = state === 'InProgress' || state === 'PendingApproval' || resources.some((r) => !TERMINAL_STATES.has(r.state));
    return render(
      c,
      200,
      `Request ${id} · ${state}`,
      viewer,
      <RequestPage data={{ request, state, resources, managed, now: now(), consoleUrl: consoleOf }} />,
      live,
      state === 'PendingApproval' ? APPROVAL_POLL_MS : POLL_MS,
    );
  });

  return app;
}

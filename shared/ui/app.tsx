/**
 * The pages people look at, server-rendered with Hono's JSX: a request's page, the requests list and the
 * inventory. shared/http/app.ts loads this module on the first /ui request only, so the webhook's cold start
 * does not pay for it.
 */
import { type Context, Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { trimTrailingSlash } from 'hono/trailing-slash';
import { REQUEST_ID_PATTERN } from '../intake/ids';
import type * as z from 'zod';
import { ListRequestsQuerySchema, ListResourcesQuerySchema, QueryError, readQuery } from '../http/queries';
import { hasViewerRole, ownNamespace, requestListScope } from '../http/scope';
import { adapterOf, isKind, KINDS } from '../kinds/registry';
import type { OwnerGroups } from '../reconcile/owner';
import { InvalidCursorError, listManaged, listRequests, type RequestListFilter } from '../store/lists';
import { getManagedConditions } from '../store/managed';
import { getRequestView, overallState, type TableRef } from '../store/requests';
import { PROVIDERS, REQUEST_STATES, TERMINAL_STATES } from '../store/types';
import { canList, canSeeRequest, type Viewer } from '../http/viewer';
import { consoleUrl } from './format';
import { LIVE_SCRIPT_HASH, Page } from './layout';
import { InventoryPage, RequestListPage } from './list-pages';
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
  /** Where a page that failed says why (the function log). */
  logger?: { error(message: string, extra?: Record<string, unknown>): void };
  /** OWNER_GROUPS: the namespace a caller's resources are listed under. */
  ownerGroups?: OwnerGroups;
}

/** The list schemas' default page size: a link to the next page names another size only when one was asked for. */
const DEFAULT_LIMIT = 25;

/** The query through the API's own schema; the empty values a GET form sends for "any" are dropped first. */
const parseQuery = <S extends z.ZodType>(c: Context, schema: S): z.infer<S> => readQuery(c.req.queries(), schema, true);

/** What the list says about its scope (scope.ts decides it). */
function scopeSays(scope: Pick<RequestListFilter, 'caller' | 'users' | 'approvals'>): string {
  if (Object.keys(scope).length === 0) return 'Every request (you may read all).';
  const also = scope.approvals ? ', and those that asked for an approval' : '';
  if (scope.caller) return `Requests of API caller ${scope.caller}${also}.`;
  return `Requests by ${scope.users?.join(', ') || 'you'}${also}.`;
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
    status: 200 | 400 | 401 | 404 | 500,
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
  /** The path and query to come back to after signing in, without a link token (`without: 't'`) that did not work. */
  const here = (c: Context, without?: string) => {
    const url = new URL(c.req.url);
    if (without) url.searchParams.delete(without);
    return `${url.pathname}${url.search}`;
  };

  // /ui/ and /ui/resources/ are the same pages: a trailing slash redirects to the page without one.
  app.use(trimTrailingSlash());

  app.onError((error, c) => {
    if (error instanceof QueryError || error instanceof InvalidCursorError)
      return render(
        c,
        400,
        'Bad filter',
        undefined,
        <>
          <h1>This page cannot be shown</h1>
          <p>{error.message}</p>
          <p>
            <a href={c.req.path}>Start again without filters</a>
          </p>
        </>,
      );
    deps.logger?.error('ui page failed', { path: c.req.path, errorName: error.name, errorMessage: error.message });
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
            Links to a request page expire. <a href={deps.loginUrl(here(c, 't'))}>Sign in</a> to see the request.
          </p>
        </>,
      );
    }
    const id = c.req.param('id');
    const missing = `No request ${id.slice(0, 64)} that you may see.`;
    if (!REQUEST_ID_PATTERN.test(id)) return notFound(c, viewer, missing);
    const found = await getRequestView(deps.table, id);
    // Someone else's request answers as a missing one does, so ids cannot be probed for existence.
    if (!found || !canSeeRequest(viewer, found.request)) return notFound(c, viewer, missing);
    const { request, resources } = found;
    resources.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    const state = overallState(request, resources);
    const managed = await getManagedConditions(deps.table, resources);
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

  /** A viewer who may see lists, or a redirect to sign in (a link to one request is not enough). */
  const lister = async (c: Context): Promise<Viewer | Response> => {
    const viewer = await deps.viewer(c);
    return viewer && canList(viewer) ? viewer : c.redirect(deps.loginUrl(here(c)), 302);
  };

  app.get('/', async (c) => {
    const viewer = await lister(c);
    if (viewer instanceof Response) return viewer;
    const query = parseQuery(c, ListRequestsQuerySchema);
    const scope = requestListScope(viewer, query.mine === true);
    const filters = {
      ...(query.source ? { source: query.source } : {}),
      ...(query.state ? { state: query.state } : {}),
      ...(query.mine ? { mine: true } : {}),
      ...(query.limit !== DEFAULT_LIMIT ? { limit: query.limit } : {}),
    };
    const page = scope
      ? await listRequests(
          deps.table,
          { ...(query.source ? { provider: query.source } : {}), ...(query.state ? { state: query.state } : {}), ...scope },
          { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) },
        )
      : { items: [], cursor: undefined };
    const data = {
      items: page.items,
      ...(page.cursor ? { cursor: page.cursor } : {}),
      paged: query.cursor !== undefined,
      filters,
      providers: PROVIDERS,
      states: REQUEST_STATES,
      scope: scope ? scopeSays(scope) : 'Your sign-in is linked to no identity that asked for a request.',
    };
    return render(c, 200, 'Requests', viewer, <RequestListPage data={data} />);
  });

  app.get('/resources', async (c) => {
    const viewer = await lister(c);
    if (viewer instanceof Response) return viewer;
    const query = parseQuery(c, ListResourcesQuerySchema);
    if (query.kind !== undefined && !isKind(query.kind)) throw new QueryError(`kind: no kind ${query.kind}`);
    const readAll = hasViewerRole(viewer, 'read-all');
    const owner = readAll ? query.owner : ownNamespace(viewer, deps.ownerGroups);
    const page =
      readAll || owner
        ? await listManaged(
            deps.table,
            { ...(query.kind ? { kind: query.kind } : {}), ...(owner ? { owner } : {}) },
            { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) },
          )
        : { items: [], cursor: undefined };
    const data = {
      items: page.items,
      ...(page.cursor ? { cursor: page.cursor } : {}),
      paged: query.cursor !== undefined,
      filters: {
        ...(query.kind ? { kind: query.kind } : {}),
        ...(readAll && query.owner ? { owner: query.owner } : {}),
        ...(query.limit !== DEFAULT_LIMIT ? { limit: query.limit } : {}),
      },
      kinds: KINDS,
      ownerChoice: readAll,
      scope: readAll
        ? owner
          ? `Resources owned by ${owner}.`
          : 'Every managed resource (you may read all).'
        : owner
          ? `Resources owned by ${owner}.`
          : 'Your sign-in is linked to no API caller, so no owner namespace: the inventory needs read-all.',
      consoleUrl: consoleOf,
    };
    return render(c, 200, 'Resources', viewer, <InventoryPage data={data} />);
  });

  return app;
}

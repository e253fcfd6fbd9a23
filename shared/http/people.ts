/**
 * What people open in a browser: the pages (shared/ui), sign-in (oidc.ts) and the API's description
 * (openapi.ts). Their own app and, deployed, their own function (functions/ui.ts): the webhook and API
 * functions, whose cold starts every push and API call may pay, carry none of their libraries (jose,
 * openid-client, the JSX runtime, the description's schemas). Every module behind a route is loaded on that route's first call.
 */
import { Hono, type Context } from 'hono';
import type { UiDeps } from '../ui/app';
import type { OwnerGroups } from '../reconcile/owner';
import type { TableRef } from '../store/requests';
import { withErrorHandling, type AppDeps } from './common';
import { loginUrl, viewerOf } from './viewer';

/** What the pages read: the table, and the owner groups that scope a person's inventory. */
export interface PeopleServices {
  table: TableRef;
  ownerGroups?: OwnerGroups;
}

export interface PeopleDeps extends Pick<AppDeps, 'logger' | 'secrets'> {
  /** Throws a ConfigError when the configuration is invalid: the pages then answer 503 naming the variable. */
  services: () => PeopleServices;
  /** Who is looking and where to sign in; by default the session, link or token (viewer.ts). */
  ui?: Omit<UiDeps, 'table' | 'ownerGroups' | 'logger'>;
}

/** Loads a module's app once; a failed load is tried again on the next call rather than kept. */
function lazily(load: () => Promise<Hono>): () => Promise<Hono> {
  let loading: Promise<Hono> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

export function createPeopleApp(deps: PeopleDeps): Hono {
  const { logger } = deps;
  const app = withErrorHandling(new Hono(), logger);

  // The API's description and reference page need no configuration; built on first call, then kept.
  const described = async (c: Context, next: () => Promise<void>) => {
    await next();
    if (c.res.ok) c.header('Cache-Control', 'public, max-age=300');
  };
  app.get('/openapi.json', described, async (c) => c.json((await import('./openapi')).openApiDocument()));
  app.get('/api', described, async (c) => c.html(await (await import('./openapi')).apiReferencePage()));

  // An invalid configuration answers 503 naming the variable, as the API does.
  app.use('/ui/*', async (_c, next) => {
    deps.services();
    await next();
  });

  const signIn = lazily(async () => {
    const { createSignInApp, signInSettings } = await import('./oidc');
    return new Hono().route('/ui', createSignInApp({ settings: signInSettings(deps.secrets), logger }));
  });
  app.on(['GET', 'POST'], '/ui/:step{login|callback|logout}', async (c) => (await signIn()).fetch(c.req.raw));

  // The pages, after the sign-in routes.
  const pages = lazily(async () => {
    const { createUiApp } = await import('../ui/app');
    const ui = deps.ui ?? { viewer: (c: Context) => viewerOf(c, { secrets: deps.secrets }), loginUrl };
    const { table, ownerGroups } = deps.services();
    return createUiApp({ logger, ...ui, table, ...(ownerGroups ? { ownerGroups } : {}) });
  });
  app.all('/ui/*', async (c) => (await pages()).fetch(c.req.raw, c.env));
  return app;
}

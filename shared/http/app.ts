/**
 * The providers' webhooks, the API and the pages on one server: the local stack, tests and benchmarks. Deployed,
 * each is a function of its own (functions/webhook.ts, api.ts, ui.ts), so that none carries the others' code: a
 * delivery's cold start runs none of the API's modules.
 */
import { Hono } from 'hono';
import { addApiRoutes } from './api';
import { baseApp, withErrorHandling, type AppDeps } from './common';
import { addDeliveryRoutes } from './deliveries';
import { createPeopleApp, type PeopleDeps } from './people';

export type { AppDeps, AppLogger, AppServices } from './common';

/** The webhooks and the API. */
export function createApp(deps: AppDeps): Hono {
  return addApiRoutes(addDeliveryRoutes(baseApp(deps), deps), deps);
}

/** The API and the pages on one server: the local stack, tests and benchmarks, where one port serves both. */
export function createWholeApp(deps: AppDeps & Pick<PeopleDeps, 'ui'>): Hono {
  const people = createPeopleApp({
    ...deps,
    services: () => {
      const { table, ownerGroups } = deps.services().intake;
      return { table, ...(ownerGroups ? { ownerGroups } : {}) };
    },
  });
  const api = createApp(deps);
  const whole = withErrorHandling(new Hono(), deps.logger);
  const isPeople = (path: string) => path === '/openapi.json' || path === '/api' || path === '/ui' || path.startsWith('/ui/');
  whole.all('*', (c) => (isPeople(c.req.path) ? people : api).fetch(c.req.raw, c.env));
  return whole;
}

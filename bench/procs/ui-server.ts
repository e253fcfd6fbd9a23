/**
 * The server side of the ui benchmark, in a process of its own, wired as deployed (same logger, secrets and
 * services, Powertools at INFO): argument `ui` serves what functions/ui.ts serves (the pages), `api` what
 * functions/api.ts serves (the JSON view the page is compared with). Apart, as deployed: in one process the API's
 * modules would sit in the pages' heap, which the ui function never loads.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

const role = process.argv[2];
const [{ createLogger }, { loadSecrets }] = await Promise.all([import('../../shared/lambda'), import('../../shared/secrets')]);
const secrets = () => loadSecrets();
let app: Hono;
if (role === 'ui') {
  const [{ createPeopleApp }, { peopleServices }] = await Promise.all([import('../../shared/http/people'), import('../../shared/runtime')]);
  app = createPeopleApp({ logger: createLogger('hwc-provisioner-ui').app, secrets, services: () => peopleServices() });
} else if (role === 'api') {
  const [{ createApiApp }, { apiServices }] = await Promise.all([
    import('../../shared/http/api'),
    import('../../shared/http/api-services'),
  ]);
  app = createApiApp({ logger: createLogger('hwc-provisioner-api').app, secrets, services: apiServices });
} else {
  throw new Error(`ui-server: serve ui or api, not ${role}`);
}
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => process.send?.({ port: info.port }));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('disconnect', stop);

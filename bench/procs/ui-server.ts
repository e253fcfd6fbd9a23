/**
 * The server side of the ui benchmark: the API and the pages on one port (createWholeApp), wired as local/stack.ts
 * serves them (same logger, secrets and services, Powertools at INFO as deployed), in a process of its own.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

const [{ createWholeApp }, { apiServices }, { createLogger }, { loadSecrets }] = await Promise.all([
  import('../../shared/http/app'),
  import('../../shared/http/api-services'),
  import('../../shared/lambda'),
  import('../../shared/secrets'),
]);
const app = createWholeApp({ logger: createLogger('hwc-provisioner-ui').app, secrets: () => loadSecrets(), services: apiServices });
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => process.send?.({ port: info.port }));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('disconnect', stop);

/**
 * The server side of the ui benchmark: the product's Hono app wired as local/stack.ts serves it (same logger,
 * secrets, services and page deps, Powertools at INFO as deployed), on a random port, in a process of its own.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

const [{ createApp }, { appServices, createLogger }, { loadSecrets }, { loginUrl, viewerOf }] = await Promise.all([
  import('../../shared/http/app'),
  import('../../shared/runtime'),
  import('../../shared/secrets'),
  import('../../shared/http/viewer'),
]);
const app = createApp({
  logger: createLogger('hwc-provisioner-webhook').app,
  secrets: () => loadSecrets(),
  services: appServices,
  ui: { viewer: (c) => viewerOf(c, { secrets: () => loadSecrets() }), loginUrl },
});
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => process.send?.({ port: info.port }));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('disconnect', stop);

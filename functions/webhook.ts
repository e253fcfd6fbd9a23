/** Lambda entry for the providers' webhooks and /healthz: the Hono app from shared/http/deliveries.ts. */
import { handle } from 'hono/aws-lambda';
import { createWebhookApp } from '../shared/http/deliveries';
import { servicesOver } from '../shared/http/services';
import { checkConfiguration, createLogger, withLambdaContext } from '../shared/lambda';
import { loadSecrets } from '../shared/secrets';

const logger = createLogger('hwc-provisioner-webhook');
// Cold start: an invalid configuration is logged here, naming the variable. The function still starts so that
// /healthz and every route can answer 503 with that name (the services check it on each request).
checkConfiguration('webhook', logger.app);

export const handler = withLambdaContext(
  logger.powertools,
  handle(createWebhookApp({ logger: logger.app, secrets: () => loadSecrets(), services: servicesOver('webhook') })),
);

/** Lambda entry for the API (POST/GET /requests, approvals, resources): the Hono app from shared/http/api.ts. */
import { handle } from 'hono/aws-lambda';
import { createApiApp } from '../shared/http/api';
import { apiServices } from '../shared/http/api-services';
import { checkConfiguration, createLogger, withLambdaContext } from '../shared/lambda';
import { loadSecrets } from '../shared/secrets';

const logger = createLogger('hwc-provisioner-api');
// Cold start: an invalid configuration is logged here, naming the variable. The function still starts so that
// every route can answer 503 with that name (the services check it on each request).
checkConfiguration('api', logger.app);

export const handler = withLambdaContext(
  logger.powertools,
  handle(createApiApp({ logger: logger.app, secrets: () => loadSecrets(), services: apiServices })),
);

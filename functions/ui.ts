/** Lambda entry for the pages, sign-in and the API's description: the Hono app from shared/http/people.ts. */
import { handle } from 'hono/aws-lambda';
import { createPeopleApp } from '../shared/http/people';
import { checkConfiguration, createLogger, withLambdaContext } from '../shared/lambda';
import { peopleServices } from '../shared/runtime';
import { loadSecrets } from '../shared/secrets';

const logger = createLogger('hwc-provisioner-ui');
// As the API: an invalid configuration is logged at cold start, and every page answers 503 naming the variable.
checkConfiguration('ui', logger.app);

export const handler = withLambdaContext(
  logger.powertools,
  handle(createPeopleApp({ logger: logger.app, secrets: () => loadSecrets(), services: () => peopleServices() })),
);

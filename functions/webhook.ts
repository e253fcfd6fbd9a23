/** Lambda entry for the HTTP API: the Hono app from shared/http, wrapped by middy for structured logging. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { handle } from 'hono/aws-lambda';
import { createApp } from '../shared/http/app';
import { appServices, createLogger } from '../shared/runtime';
import { loadSecrets } from '../shared/secrets';

const logger = createLogger('hwc-provisioner-webhook');

export const handler = middy(handle(createApp({ logger: logger.app, secrets: () => loadSecrets(), services: appServices }))).use(
  injectLambdaContext(logger.powertools),
);

/** Lambda entry for the HTTP API: the Hono app from shared/http, wrapped by middy for structured logging. */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { handle } from 'hono/aws-lambda';
import { createApp } from '../shared/http/app';

const logger = new Logger({ serviceName: 'hwc-provisioner-webhook' });

export const handler = middy(handle(createApp({ logger }))).use(injectLambdaContext(logger));

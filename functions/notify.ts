/** Lambda entry for the notify queue: statuses, comments and signed webhooks for each event; failed records come back, then dead-letter. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { notifyBatchHandler } from '../shared/notify/batch';
import { createLogger, requireConfiguration } from '../shared/lambda';
import { notifyDeps } from '../shared/runtime';

const logger = createLogger('hwc-provisioner-notify');
// Cold start: an invalid configuration fails here, naming the variable, before any message is taken in.
requireConfiguration('notify', logger.app);

export const handler = middy(notifyBatchHandler(() => notifyDeps(logger.app))).use(injectLambdaContext(logger.powertools));

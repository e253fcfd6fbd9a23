/** Lambda entry for the dispatch queue: creates each resource at most once; failed records are retried by SQS. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { sqsClient } from '../shared/aws/sqs';
import { executionInfraConfig } from '../shared/config';
import { dispatchBatchHandler } from '../shared/queue/dispatch-batch';
import { createLogger, requireConfiguration } from '../shared/lambda';
import { executionDeps } from '../shared/runtime';

const logger = createLogger('hwc-provisioner-dispatch');
// Cold start: an invalid configuration fails here, naming the variable, before any message is taken in.
requireConfiguration('dispatch', logger.app);

export const handler = middy(
  dispatchBatchHandler(() => ({
    deps: executionDeps(logger.app),
    sqs: sqsClient(),
    queueUrl: executionInfraConfig().DISPATCH_QUEUE_URL,
    log: (message, extra) => logger.app.info(message, extra),
  })),
).use(injectLambdaContext(logger.powertools));

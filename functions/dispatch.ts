/** Lambda entry for the dispatch queue: creates each resource at most once; failed records are retried by SQS. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { sqsClient } from '../shared/aws';
import { infraConfig } from '../shared/config';
import { handleDispatchRecord } from '../shared/dispatch/batch';
import { createLogger, executionDeps } from '../shared/runtime';

const logger = createLogger('hwc-provisioner-dispatch');
const processor = new BatchProcessor(EventType.SQS);

async function recordHandler(record: SQSRecord): Promise<void> {
  const result = await handleDispatchRecord(executionDeps(logger.app), sqsClient(), infraConfig().DISPATCH_QUEUE_URL, record);
  logger.app.info('dispatch record handled', { messageId: record.messageId, result });
}

export const handler = middy((event: SQSEvent) => processPartialResponse(event, recordHandler, processor)).use(
  injectLambdaContext(logger.powertools),
);

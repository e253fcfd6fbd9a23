/** Lambda entry for the intake queue: each record becomes a recorded request; only retryable failures are reported back. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { processIntakeMessage } from '../shared/intake/service';
import { createLogger, intakeDeps, providerSettings } from '../shared/runtime';

const logger = createLogger('hwc-provisioner-intake');

async function recordHandler(record: SQSRecord): Promise<void> {
  const outcome = await processIntakeMessage(intakeDeps(), await providerSettings(), { messageId: record.messageId, body: record.body });
  logger.app.info('intake message processed', {
    messageId: record.messageId,
    status: outcome.status,
    ...('requestId' in outcome ? { requestId: outcome.requestId, duplicate: outcome.duplicate } : {}),
  });
}

// A processor per invocation: it holds the batch's records and failures, and the local runners invoke one handler concurrently.
export const handler = middy((event: SQSEvent) => processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), { throwOnFullBatchFailure: false })).use(
  injectLambdaContext(logger.powertools),
);

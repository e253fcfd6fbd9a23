/**
 * Lambda entry for the intake queue: each record becomes a recorded request; only retryable failures are reported back.
 * None of our modules under this entry is imported dynamically (test/functions/bundle.test.ts): in a one-file bundle
 * esbuild turns every module a dynamic import reaches into a lazy initialiser and keeps every export of what those
 * re-export (the DynamoDB client came in whole, waiters included). The one dynamic import is of a leaf package, the
 * policy language's library, loaded when a policy is read (shared/policy/cel.ts).
 */
import type { SQSRecord } from 'aws-lambda';
import { processIntakeMessage } from '../shared/intake/service';
import { governanceDeps } from '../shared/governance';
import { createLogger, requireConfiguration, withLambdaContext } from '../shared/lambda';
import { intakeDeps, providerSettings } from '../shared/runtime';
import { sqsBatchHandler } from '../shared/sqs-batch';

const logger = createLogger('hwc-provisioner-intake');
// Cold start: an invalid configuration fails here, naming the variable, before any message is taken in.
requireConfiguration('intake', logger.app);

async function recordHandler(record: SQSRecord): Promise<void> {
  let outcome: Awaited<ReturnType<typeof processIntakeMessage>>;
  try {
    // With the logger, a message that cannot be processed is logged (WARN, with its message id) as it is rejected.
    const governance = await governanceDeps();
    outcome = await processIntakeMessage(
      { ...intakeDeps(), ...governance, logger: logger.app },
      () => providerSettings(governance.policy),
      {
        messageId: record.messageId,
        body: record.body,
      },
    );
  } catch (error) {
    // Redelivered by SQS, and after the last receive moved to the DLQ: each attempt leaves a line naming the message.
    logger.app.warn('intake message failed; SQS will redeliver it', {
      messageId: record.messageId,
      receiveCount: record.attributes.ApproximateReceiveCount,
      errorName: error instanceof Error ? error.name : typeof error,
    });
    throw error;
  }
  logger.app.info('intake message processed', {
    messageId: record.messageId,
    status: outcome.status,
    ...('requestId' in outcome ? { requestId: outcome.requestId } : {}),
    ...('duplicate' in outcome ? { duplicate: outcome.duplicate } : {}),
    ...('reason' in outcome ? { reason: outcome.reason } : {}),
  });
}

export const handler = withLambdaContext(logger.powertools, sqsBatchHandler(recordHandler));

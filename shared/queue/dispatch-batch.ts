/** SQS-side handling of dispatch records: parse, dispatch, and on "retry later" push the message back with backoff. */
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { dispatchResource, pollerFollows, RetryLaterError, type ReconcileDeps, type DispatchResult } from '../reconcile/dispatch';
import { DispatchMessageSchema } from './messages';
import { backoffDelay } from '../retry';
import { sqsBatchHandler } from '../sqs-batch';

/** A message the dispatcher can never handle (not a dispatch message): left to SQS's redrive into the DLQ. */
class PoisonMessageError extends Error {
  readonly code = 'POISON_MESSAGE';
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

/** Doubling backoff with equal jitter, capped at SQS's 15 minutes; a known wait (a lease running out) wins. */
function retryDelaySeconds(receiveCount: number, known?: number, baseSeconds = 5, random: () => number = Math.random): number {
  return backoffDelay({ base: baseSeconds, max: 900, jitter: 'equal', random }, receiveCount - 1, known);
}

export interface DispatchRuntime {
  deps: ReconcileDeps;
  sqs: SQSClient;
  queueUrl: string;
  log?: (message: string, extra: Record<string, unknown>) => void;
  /** First retry delay; doubles per receive. Tests use 0 to replay at once. */
  retryBaseSeconds?: number;
}

export async function handleDispatchRecord(runtime: DispatchRuntime, record: SQSRecord): Promise<DispatchResult | 'left-to-poller'> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    throw new PoisonMessageError('dispatch message body is not JSON');
  }
  const message = DispatchMessageSchema.safeParse(body);
  if (!message.success) throw new PoisonMessageError(`not a dispatch message: ${message.error.issues[0]?.message ?? 'invalid'}`);
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
  try {
    const result = await dispatchResource(runtime.deps, message.data, { receiveCount });
    runtime.log?.('dispatched', { messageId: record.messageId, ...message.data, result });
    return result;
  } catch (error) {
    if (error instanceof RetryLaterError) {
      // Its last receive (DISPATCH_MAX_RECEIVES, at most the queue's maxReceiveCount): a resource the poller follows
      // is queued again by it, so the message is not dead-lettered (an alarm for a resource that needs nobody).
      if (receiveCount >= runtime.deps.settings.maxReceives) {
        // A standing that cannot be read counts as not followed: the DLQ then keeps the message.
        const standing = await pollerFollows(runtime.deps, message.data).catch((e: unknown) => ({
          follows: false,
          unread: e instanceof Error ? e.name : 'error',
        }));
        const { follows, ...found } = standing;
        const seen = { messageId: record.messageId, ...message.data, reason: error.message, receiveCount, standing: found };
        if (follows) {
          runtime.log?.('dispatch left to the poller', seen);
          return 'left-to-poller';
        }
        runtime.log?.('dispatch out of receives, not followed by the poller', seen);
      }
      // The queue's visibility timeout is sized for crashes; a deliberate retry chooses its own delay.
      const delay = retryDelaySeconds(receiveCount, error.retryAfterSeconds, runtime.retryBaseSeconds);
      await runtime.sqs
        .send(
          new ChangeMessageVisibilityCommand({ QueueUrl: runtime.queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: delay }),
        )
        .catch(() => undefined);
      runtime.log?.('dispatch will retry', { messageId: record.messageId, ...message.data, reason: error.message, delaySeconds: delay });
    }
    throw error;
  }
}

/** The batch handler Lambda runs: partial batch failures, so one bad record never fails its neighbours. */
export function dispatchBatchHandler(runtime: () => DispatchRuntime): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return sqsBatchHandler((record) => handleDispatchRecord(runtime(), record));
}

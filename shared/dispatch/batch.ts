/** SQS-side handling of one dispatch record: parse, dispatch, and on "retry later" push the message back with backoff. */
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { dispatchResource, RetryLaterError, type DispatchDeps, type DispatchResult } from './dispatcher';
import { DispatchMessageSchema } from './messages';

/** A message the dispatcher can never handle (not a dispatch message): left to SQS's redrive into the DLQ. */
export class PoisonMessageError extends Error {
  readonly code = 'POISON_MESSAGE';
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

/** Exponential backoff with full jitter, capped at 15 minutes; a known wait (a lease running out) wins. */
export function retryDelaySeconds(receiveCount: number, known?: number, random: () => number = Math.random): number {
  if (known !== undefined) return Math.min(900, Math.max(1, Math.ceil(known)));
  const ceiling = Math.min(900, 5 * 2 ** Math.max(0, receiveCount - 1));
  return Math.max(1, Math.round(ceiling * (0.5 + random() / 2)));
}

export async function handleDispatchRecord(deps: DispatchDeps, sqs: SQSClient, queueUrl: string, record: SQSRecord): Promise<DispatchResult> {
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
    return await dispatchResource(deps, message.data, { receiveCount });
  } catch (error) {
    if (error instanceof RetryLaterError) {
      // The queue's visibility timeout is sized for crashes; a deliberate retry chooses its own delay.
      const delay = retryDelaySeconds(receiveCount, error.retryAfterSeconds);
      await sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: delay }))
        .catch(() => undefined);
    }
    throw error;
  }
}

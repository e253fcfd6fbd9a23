/** SQS-side handling of dispatch records: parse, dispatch, and on "retry later" push the message back with backoff. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
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
export function retryDelaySeconds(receiveCount: number, known?: number, baseSeconds = 5, random: () => number = Math.random): number {
  if (known !== undefined) return Math.min(900, Math.max(0, Math.ceil(known)));
  const ceiling = Math.min(900, baseSeconds * 2 ** Math.max(0, receiveCount - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

export interface DispatchRuntime {
  deps: DispatchDeps;
  sqs: SQSClient;
  queueUrl: string;
  log?: (message: string, extra: Record<string, unknown>) => void;
  /** First retry delay; doubles per receive. Tests use 0 to replay at once. */
  retryBaseSeconds?: number;
}

export async function handleDispatchRecord(runtime: DispatchRuntime, record: SQSRecord): Promise<DispatchResult> {
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
      // The queue's visibility timeout is sized for crashes; a deliberate retry chooses its own delay.
      const delay = retryDelaySeconds(receiveCount, error.retryAfterSeconds, runtime.retryBaseSeconds);
      await runtime.sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: runtime.queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: delay }))
        .catch(() => undefined);
      runtime.log?.('dispatch will retry', { messageId: record.messageId, ...message.data, reason: error.message, delaySeconds: delay });
    }
    throw error;
  }
}

/** The batch handler Lambda runs: partial batch failures, so one bad record never fails its neighbours. */
export function dispatchBatchHandler(runtime: () => DispatchRuntime): (event: SQSEvent) => Promise<SQSBatchResponse> {
  // One processor per invocation: it keeps the batch's records and failures, and the local runners (npm start,
  // the benchmarks) invoke one handler concurrently, as Lambda never does within a container. A shared one
  // let invocations report each other's failures ("batchItemFailures names an unknown message").
  return (event) =>
    processPartialResponse(event, async (record: SQSRecord) => {
      await handleDispatchRecord(runtime(), record);
      // Every record failing is reported like any partial failure: the same outcome, without an error log storm.
    }, new BatchProcessor(EventType.SQS), { throwOnFullBatchFailure: false });
}

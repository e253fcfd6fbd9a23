/** Local stand-ins for Lambda's SQS event source mapping and EventBridge schedules, invoking the real handlers. */
import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type {
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttribute,
  SQSMessageAttributes,
  SQSRecord,
  SQSRecordAttributes,
  ScheduledEvent,
} from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './emulators';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;
export type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface LambdaContextOptions {
  functionName?: string;
  /** The function timeout that getRemainingTimeInMillis counts down from (serverless.yml uses 10 s). */
  timeoutMs?: number;
  memoryLimitInMB?: number;
}

/** A Context like the Node.js runtime's; only getRemainingTimeInMillis does anything. */
export function lambdaContext(opts: LambdaContextOptions = {}): Context {
  const functionName = opts.functionName ?? 'local';
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  const unsupported = () => {
    throw new Error('callback-style Context methods are not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(opts.memoryLimitInMB ?? 512),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

export interface QueueRunnerOptions extends LambdaContextOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: SqsHandler;
  /** Records per invocation, 1..10 (Lambda's default for standard queues is 10). */
  batchSize?: number;
  /** Long-poll wait, 1..20 s; shorter makes stop() cheaper on fauxqs (see stop()). */
  waitTimeSeconds?: number;
  /** Overrides the queue's visibility timeout for received messages, in seconds. */
  visibilityTimeout?: number;
  /** Parallel pollers, each invoking the handler with its own batches. */
  concurrency?: number;
  /** Receive/delete failures, handler errors and malformed batch responses; the loop keeps going. */
  onError?: (error: unknown) => void;
}

export interface Runner {
  /** Ends polling and resolves once any in-flight batch has been handled and deleted. */
  stop(): Promise<void>;
}

/** Lambda's rendering of an SQS message attribute: camelCase, binary as base64, empty list fields. */
function toLambdaAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map((item) => Buffer.from(item).toString('base64')),
    dataType: value.DataType ?? 'String',
  };
}

/** Builds one record exactly as Lambda's SQS poller delivers it. */
export function toSqsRecord(message: Message, queueArn: string): SQSRecord {
  const system = message.Attributes ?? {};
  const attributes: SQSRecordAttributes = {
    ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
    SentTimestamp: system.SentTimestamp ?? String(Date.now()),
    SenderId: system.SenderId ?? LOCAL_ACCOUNT_ID,
    ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  };
  // Lambda only includes these when SQS returned them (FIFO queues, X-Ray).
  for (const key of ['AWSTraceHeader', 'SequenceNumber', 'MessageGroupId', 'MessageDeduplicationId', 'DeadLetterQueueSourceArn'] as const) {
    const value = system[key];
    if (value !== undefined) attributes[key] = value;
  }
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = toLambdaAttribute(value);
  }
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? LOCAL_REGION,
  };
}

/**
 * Which records to delete after an invocation, following Lambda's ReportBatchItemFailures rules: a void or
 * empty response deletes all; an identifier that is empty or not in the batch fails the whole batch.
 */
export function successfulRecords(records: SQSRecord[], response: SQSBatchResponse | void): SQSRecord[] {
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set(records.map((record) => record.messageId));
  for (const failure of failures) {
    if (!failure?.itemIdentifier || !ids.has(failure.itemIdentifier)) {
      throw new Error(`batchItemFailures names an unknown message (${JSON.stringify(failure)}): the whole batch is retried`);
    }
  }
  const failed = new Set(failures.map((failure) => failure.itemIdentifier));
  return records.filter((record) => !failed.has(record.messageId));
}

const isAbort = (error: unknown) => error instanceof Error && error.name === 'AbortError';

/**
 * Polls a queue and invokes `handler` like Lambda's event source mapping: successes are deleted,
 * failures (listed, or the whole batch when the handler throws) reappear after the visibility timeout.
 */
export function startQueueRunner(opts: QueueRunnerOptions): Runner {
  const batchSize = opts.batchSize ?? 10;
  const waitTimeSeconds = opts.waitTimeSeconds ?? 1;
  const concurrency = opts.concurrency ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) throw new RangeError('batchSize must be 1..10');
  if (!Number.isInteger(waitTimeSeconds) || waitTimeSeconds < 1 || waitTimeSeconds > 20) {
    throw new RangeError('waitTimeSeconds must be 1..20');
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be >= 1');
  const onError = opts.onError ?? ((error: unknown) => console.error(`[queue runner ${opts.queueArn}]`, error));

  const abort = new AbortController();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      abort.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });

  const handleBatch = async (messages: Message[]) => {
    const records = messages.map((message) => toSqsRecord(message, opts.queueArn));
    let toDelete: SQSRecord[];
    try {
      const response = await opts.handler({ Records: records }, lambdaContext(opts));
      toDelete = successfulRecords(records, response);
    } catch (error) {
      // As on Lambda: nothing is deleted, every record returns after the visibility timeout.
      onError(error);
      return;
    }
    if (toDelete.length === 0) return;
    // Not tied to the abort signal: a batch that was handled is finished even while stopping.
    const result = await opts.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: opts.queueUrl,
        Entries: toDelete.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
      }),
    );
    if (result.Failed?.length) onError(new Error(`DeleteMessageBatch failed for ${JSON.stringify(result.Failed)}`));
  };

  const poll = async () => {
    while (!abort.signal.aborted) {
      let messages: Message[];
      try {
        const received = await opts.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: opts.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            ...(opts.visibilityTimeout !== undefined ? { VisibilityTimeout: opts.visibilityTimeout } : {}),
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (abort.signal.aborted || isAbort(error)) return;
        onError(error);
        // Don't spin on a dead endpoint or a deleted queue.
        await pause(1_000);
        continue;
      }
      if (messages.length === 0) continue;
      try {
        await handleBatch(messages);
      } catch (error) {
        onError(error);
      }
    }
  };

  const loops = Array.from({ length: concurrency }, () => poll());
  let stopping: Promise<void> | undefined;
  return {
    /**
     * Aborts the long polls at once. fauxqs keeps serving an aborted ReceiveMessage until its wait ends,
     * so a message sent in that window is taken by nobody and reappears after the visibility timeout.
     */
    stop: () =>
      (stopping ??= (async () => {
        abort.abort();
        await Promise.all(loops);
      })()),
  };
}

export interface ScheduleRunnerOptions extends LambdaContextOptions {
  everyMs: number;
  handler: ScheduledHandler;
  /** Names the rule in the event's `resources`. */
  ruleName?: string;
  /** Fire once right away instead of after the first interval. */
  runImmediately?: boolean;
  onError?: (error: unknown) => void;
}

/** An EventBridge "Scheduled Event" as Lambda receives it. */
export function scheduledEvent(ruleName: string, now = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    // EventBridge timestamps have whole seconds.
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/${ruleName}`],
    detail: {},
  };
}

/**
 * Invokes `handler` every `everyMs`. Unlike EventBridge, ticks never overlap: a tick that would start while
 * the previous one still runs is skipped, so a slow poll cannot pile up concurrent invocations locally.
 */
export function startScheduleRunner(opts: ScheduleRunnerOptions): Runner {
  if (!(opts.everyMs > 0)) throw new RangeError('everyMs must be > 0');
  const ruleName = opts.ruleName ?? opts.functionName ?? 'local-schedule';
  const onError = opts.onError ?? ((error: unknown) => console.error(`[schedule ${ruleName}]`, error));
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let next = Date.now() + (opts.runImmediately ? 0 : opts.everyMs);

  const tick = () => {
    timer = undefined;
    inFlight = (async () => {
      try {
        await opts.handler(scheduledEvent(ruleName), lambdaContext(opts));
      } catch (error) {
        onError(error);
      }
    })().finally(() => {
      inFlight = undefined;
      if (stopped) return;
      // Keep to the fixed rate; skip slots that passed while the handler ran.
      const now = Date.now();
      do next += opts.everyMs;
      while (next <= now);
      timer = setTimeout(tick, next - now);
    });
  };
  timer = setTimeout(tick, Math.max(0, next - Date.now()));

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
  };
}

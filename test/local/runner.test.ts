import { createHash } from 'node:crypto';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord, ScheduledEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Runner, startQueueRunner, startScheduleRunner } from '../../local/runner';
import { type LocalStack, useLocalResources } from '../setup/stack';

let stack: LocalStack;
const runners: Runner[] = [];
beforeAll(async () => {
  stack = await useLocalResources();
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
});
afterAll(() => stack?.close());

let queueCount = 0;
async function newQueue(): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await stack.sqs.send(new CreateQueueCommand({ QueueName: `${stack.tableName}-q${++queueCount}` }));
  const { Attributes } = await stack.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;
function run(
  queue: { url: string; arn: string },
  handler: Handler,
  extra: { visibilityTimeout?: number; waitTimeSeconds?: number; onError?: (e: unknown) => void } = {},
) {
  const runner = startQueueRunner({
    sqs: stack.sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    handler,
    functionName: 'dispatcher',
    onError: () => {},
    ...extra,
  });
  runners.push(runner);
  return runner;
}

describe('startQueueRunner', () => {
  it('delivers records shaped like Lambda and deletes them after success', async () => {
    const queue = await newQueue();
    const events: Array<{ event: SQSEvent; context: Context; remaining: number }> = [];
    run(queue, async (event, context) => {
      events.push({ event, context, remaining: context.getRemainingTimeInMillis() });
    });
    const sentAt = Date.now();
    await stack.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: '{"requestId":"r-1"}',
        MessageAttributes: {
          source: { DataType: 'String', StringValue: 'github' },
          attempt: { DataType: 'Number', StringValue: '3' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
        },
      }),
    );
    await waitFor(() => events.length === 1);
    const [{ event, context, remaining }] = events as [(typeof events)[number]];
    expect(event.Records).toHaveLength(1);
    const record = event.Records[0]!;
    expect(Object.keys(record).sort()).toEqual(
      [
        'attributes',
        'awsRegion',
        'body',
        'eventSource',
        'eventSourceARN',
        'md5OfBody',
        'md5OfMessageAttributes',
        'messageAttributes',
        'messageId',
        'receiptHandle',
      ].sort(),
    );
    expect(record).toMatchObject<Partial<SQSRecord>>({
      body: '{"requestId":"r-1"}',
      md5OfBody: createHash('md5').update('{"requestId":"r-1"}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
    });
    expect(record.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(record.attributes).toEqual({
      ApproximateReceiveCount: '1',
      SentTimestamp: expect.stringMatching(/^\d{13}$/),
      SenderId: '000000000000',
      ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
    });
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThanOrEqual(sentAt - 1_000);
    expect(record.messageAttributes).toEqual({
      source: { stringValue: 'github', stringListValues: [], binaryListValues: [], dataType: 'String' },
      attempt: { stringValue: '3', stringListValues: [], binaryListValues: [], dataType: 'Number' },
      blob: { binaryValue: Buffer.from('hi').toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
    });
    expect(context).toMatchObject({
      functionName: 'dispatcher',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:dispatcher',
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(remaining).toBeGreaterThan(9_000);
    expect(remaining).toBeLessThanOrEqual(10_000);

    expect(await stack.drainQueue(queue.url, { waitMs: 200 })).toEqual([]);
  });

  it('deletes only the records not listed in batchItemFailures', async () => {
    const queue = await newQueue();
    const seen: Array<{ body: string; count: string }> = [];
    let failedOnce = false;
    run(
      queue,
      async (event) => {
        const failures: SQSBatchResponse['batchItemFailures'] = [];
        for (const record of event.Records) {
          seen.push({ body: record.body, count: record.attributes.ApproximateReceiveCount });
          if (record.body === 'bad' && !failedOnce) {
            failedOnce = true;
            failures.push({ itemIdentifier: record.messageId });
          }
        }
        return { batchItemFailures: failures };
      },
      { visibilityTimeout: 1 },
    );
    await stack.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: ['ok-1', 'bad', 'ok-2'].map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
    await waitFor(() => seen.length === 4);
    // Give a wrongly undeleted success time to come back after its 1 s visibility timeout.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(seen.sort((a, b) => a.body.localeCompare(b.body) || a.count.localeCompare(b.count))).toEqual([
      { body: 'bad', count: '1' },
      { body: 'bad', count: '2' },
      { body: 'ok-1', count: '1' },
      { body: 'ok-2', count: '1' },
    ]);
  });

  it('deletes nothing when the handler throws, like Lambda', async () => {
    const queue = await newQueue();
    const errors: unknown[] = [];
    const counts: string[] = [];
    run(
      queue,
      async (event) => {
        counts.push(...event.Records.map((record) => record.attributes.ApproximateReceiveCount));
        if (counts.length === 1) throw new Error('boom');
      },
      { visibilityTimeout: 1, onError: (error) => errors.push(error) },
    );
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'x' }));
    await waitFor(() => counts.length === 2);
    expect(counts).toEqual(['1', '2']);
    expect(errors).toEqual([expect.objectContaining({ message: 'boom' })]);
  });

  it('retries the whole batch when batchItemFailures names an unknown message', async () => {
    const queue = await newQueue();
    const errors: unknown[] = [];
    const counts: string[] = [];
    run(
      queue,
      async (event) => {
        counts.push(...event.Records.map((record) => record.attributes.ApproximateReceiveCount));
        return counts.length === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-a-message' }] } : undefined;
      },
      { visibilityTimeout: 1, onError: (error) => errors.push(error) },
    );
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'x' }));
    await waitFor(() => counts.length === 2);
    expect(counts).toEqual(['1', '2']);
    expect(String(errors[0])).toMatch(/unknown message/);
  });

  it('stops promptly while long-polling', async () => {
    const queue = await newQueue();
    const runner = run(queue, async () => {}, { waitTimeSeconds: 20 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await runner.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('waits for the in-flight batch, and deletes it, when stopped', async () => {
    const queue = await newQueue();
    let started = false;
    let finished = false;
    const runner = run(queue, async () => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 500));
      finished = true;
    });
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'slow' }));
    await waitFor(() => started);
    await runner.stop();
    expect(finished).toBe(true);
    expect(await stack.drainQueue(queue.url, { waitMs: 200 })).toEqual([]);
  });

  it('rejects options Lambda would not accept', () => {
    expect(() => startQueueRunner({ sqs: stack.sqs, queueUrl: 'u', queueArn: 'a', handler: async () => {}, batchSize: 11 })).toThrow(
      RangeError,
    );
    expect(() => startQueueRunner({ sqs: stack.sqs, queueUrl: 'u', queueArn: 'a', handler: async () => {}, waitTimeSeconds: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('startScheduleRunner', () => {
  it('sends EventBridge scheduled events and never overlaps ticks', async () => {
    const events: ScheduledEvent[] = [];
    let running = 0;
    let maxRunning = 0;
    const runner = startScheduleRunner({
      everyMs: 30,
      ruleName: 'poll-status',
      runImmediately: true,
      handler: async (event) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        events.push(event);
        await new Promise((resolve) => setTimeout(resolve, 80));
        running--;
      },
    });
    runners.push(runner);
    await waitFor(() => events.length >= 3);
    await runner.stop();
    const count = events.length;
    expect(running).toBe(0);
    expect(maxRunning).toBe(1);
    expect(events[0]).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/poll-status'],
      detail: {},
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(events.length).toBe(count);
  });
});

/**
 * Found by the pipeline benchmark: the dispatch handler kept one Powertools batch processor for every
 * invocation, and the local runners (npm start, the benchmarks) invoke a handler concurrently, as Lambda
 * never does within a container. Overlapping invocations then reported each other's failures, the runner
 * retried whole batches ("batchItemFailures names an unknown message") and resources were dispatched twice.
 * Below: what a message does on its last receive.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchBatchHandler, handleDispatchRecord, type DispatchRuntime } from '../../shared/queue/dispatch-batch';
import { RetryLaterError, type ReconcileDeps } from '../../shared/reconcile/dispatch';
import { resourceKey } from '../../shared/store/requests';
import { notebook, startHarness, type Harness } from './harness';

const record = (messageId: string, body: string): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:dispatch',
  awsRegion: 'us-east-1',
});

describe('concurrent invocations of the dispatch handler', () => {
  it('each report only their own failed records', async () => {
    // A table that answers slowly that the resource does not exist: every valid message ends 'missing'.
    const table = {
      tableName: 't',
      ddb: { send: () => new Promise((r) => setTimeout(() => r({}), 30)) },
    } as unknown as ReconcileDeps['table'];
    const deps = { table } as ReconcileDeps;
    const handler = dispatchBatchHandler(() => ({ deps, sqs: {} as SQSClient, queueUrl: 'q' }));
    const valid = (name: string) => JSON.stringify({ requestId: 'req_1', kind: 'EdgeDeployment', name });
    const events: SQSEvent[] = ['a', 'b', 'c'].map((id) => ({
      Records: [record(`${id}-ok`, valid(id)), record(`${id}-poison`, 'not json')],
    }));
    const responses = await Promise.all(events.map((event) => handler(event)));
    expect(responses.map((r) => r.batchItemFailures.map((f) => f.itemIdentifier))).toEqual([['a-poison'], ['b-poison'], ['c-poison']]);
  });
});

/**
 * A message that has used up its receives while the create's outcome is unknown: the resource waits for the
 * poller (it is in the due index), which queues it again, so the message is acknowledged, not dead-lettered.
 */
describe('the last receive of a message for a resource the poller follows', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const runtime = (log: Record<string, unknown>[]): DispatchRuntime => ({
    deps: h.deps,
    sqs: h.stack.sqs,
    queueUrl: h.stack.queues.dispatch.url,
    retryBaseSeconds: 0,
    log: (message, extra) => log.push({ message, ...extra }),
  });
  const received = (body: unknown, count: number): SQSRecord => ({
    ...record(`m-${count}`, JSON.stringify(body)),
    attributes: { ...record('x', '').attributes, ApproximateReceiveCount: String(count) },
  });

  async function unknownOutcome(suffix: string) {
    const requestId = await h.submitYaml(notebook(suffix));
    await h.stack.drainQueue(h.stack.queues.dispatch.url, { count: 1 });
    const message = { requestId, kind: 'Notebook' as const, name: `nb-${suffix}` };
    // The create reaches Huawei Cloud and its answer is lost; every look-up after it fails the same way.
    await h.faults({ rateDrop: 1, seed: 1 });
    await expect(handleDispatchRecord(runtime([]), received(message, 1))).rejects.toThrow(/outcome unknown/);
    return { requestId, message };
  }

  it('is acknowledged and the poller brings the resource on: one notebook, Succeeded', async () => {
    const { requestId, message } = await unknownOutcome('last1');
    const log: Record<string, unknown>[] = [];
    const max = h.deps.settings.maxReceives;
    // Before the last receive, SQS is still asked to deliver it again.
    await expect(handleDispatchRecord(runtime(log), received(message, max - 1))).rejects.toThrow(RetryLaterError);
    expect(await handleDispatchRecord(runtime(log), received(message, max))).toBe('left-to-poller');
    expect(log.at(-1)).toMatchObject({
      message: 'dispatch left to the poller',
      receiveCount: max,
      name: 'nb-last1',
      standing: { state: 'CreatePending', due: true },
    });
    await h.faults({ rateDrop: 0, seed: 1 });

    await h.drive(requestId);
    const { resources } = (await h.request(requestId))!;
    expect(resources.map((r) => r.state)).toEqual(['Succeeded']);
    expect((await h.simResources()).filter((r) => r.name === 'nb_last1')).toHaveLength(1);
  });

  it('still goes to the dead-letter queue when nothing else would pick the resource up', async () => {
    const { requestId, message } = await unknownOutcome('last2');
    // Out of the due index: nothing but this message would bring it on.
    await h.stack.ddb.send(
      new UpdateCommand({
        TableName: h.deps.table.tableName,
        Key: resourceKey(requestId, 'Notebook', 'nb-last2'),
        UpdateExpression: 'REMOVE duePk, dueAt',
      }),
    );
    const log: Record<string, unknown>[] = [];
    await expect(handleDispatchRecord(runtime(log), received(message, h.deps.settings.maxReceives))).rejects.toThrow(RetryLaterError);
    // The line says what was found, so a dead-lettered message can be told from one the check could not judge.
    expect(log.find((line) => line.message === 'dispatch out of receives, not followed by the poller')).toMatchObject({
      name: 'nb-last2',
      standing: { state: 'CreatePending', due: false },
    });
    await h.faults({ rateDrop: 0, seed: 1 });
  });
});

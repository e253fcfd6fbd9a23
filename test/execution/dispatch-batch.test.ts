/**
 * Found by the pipeline benchmark: the dispatch handler kept one Powertools batch processor for every
 * invocation, and the local runners (npm start, the benchmarks) invoke a handler concurrently, as Lambda
 * never does within a container. Overlapping invocations then reported each other's failures, the runner
 * retried whole batches ("batchItemFailures names an unknown message") and resources were dispatched twice.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { dispatchBatchHandler } from '../../shared/queue/dispatch-batch';
import type { ReconcileDeps } from '../../shared/reconcile/dispatch';

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

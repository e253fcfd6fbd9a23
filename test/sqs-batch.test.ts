import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { sqsBatchHandler } from '../shared/sqs-batch';

const record = (messageId: string, body = ''): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
  awsRegion: 'us-east-1',
});
const event = (...ids: string[]): SQSEvent => ({ Records: ids.map((id) => record(id, id)) });

describe('sqsBatchHandler', () => {
  it('reports the failed records only', async () => {
    const handler = sqsBatchHandler(async (r) => {
      if (r.body.startsWith('bad')) throw new Error('no');
    });
    expect(await handler(event('ok-1', 'bad-1', 'ok-2', 'bad-2'))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'bad-1' }, { itemIdentifier: 'bad-2' }],
    });
  });

  it('reports a batch where every record failed like a partial failure, without throwing', async () => {
    const handler = sqsBatchHandler(async () => {
      throw new Error('no');
    });
    expect(await handler(event('a', 'b'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] });
  });

  it('runs records one after another when asked, in arrival order', async () => {
    const log: string[] = [];
    const handler = sqsBatchHandler(
      async (r) => {
        log.push(`start ${r.messageId}`);
        await new Promise((resolve) => setTimeout(resolve, r.messageId === 'a' ? 20 : 0));
        log.push(`end ${r.messageId}`);
      },
      { processInParallel: false },
    );
    await handler(event('a', 'b'));
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('keeps concurrent invocations apart: each reports its own failures', async () => {
    const handler = sqsBatchHandler(async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (r.messageId.endsWith('bad')) throw new Error('no');
    });
    const responses = await Promise.all(['a', 'b', 'c'].map((id) => handler(event(`${id}-ok`, `${id}-bad`))));
    expect(responses.map((r) => r.batchItemFailures.map((f) => f.itemIdentifier))).toEqual([['a-bad'], ['b-bad'], ['c-bad']]);
  });
});

/** Poison messages end in the DLQ without blocking their batch; `dlq list` says why, `dlq redrive` moves them back. */
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dlqCommand, parseDlqArgs, prefixFromQueueUrl } from '../../cli/dlq';
import type { Io } from '../../cli/io';
import { run } from '../../cli/main';
import { successfulRecords, toSqsRecord } from '../../local/runner';
import { dispatchBatchHandler } from '../../shared/dispatch/batch';
import { allKinds, startHarness, type Harness } from '../execution/harness';
import { parse, stringify } from 'yaml';

function captureIo(): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (l) => out.push(l), stderr: (l) => err.push(l), readStdin: async () => '' };
}

/** One Notebook manifest from the all-kinds example, without its poolRef, named by `suffix`. */
function notebook(suffix: string): string {
  const doc = parse(allKinds(suffix).split('---\n')[2]!);
  delete doc.spec.poolRef;
  return stringify(doc);
}

describe('dead-letter queues: poison messages, dlq list and dlq redrive', () => {
  let h: Harness;
  let prefix: string;
  let env: Record<string, string>;
  /** Set while the dispatcher should die after recording its intent, as a crashing Lambda would. */
  let crash = false;
  const handled = new Map<string, number>();

  beforeAll(async () => {
    h = await startHarness({ crashPoints: { afterIntent: () => {
      if (crash) throw new Error('simulated crash after the intent');
    } } });
    prefix = h.stack.tableName.replace(/-table$/, '');
    env = { ...h.stack.env, STACK_PREFIX: prefix };
  });
  afterAll(() => h.close());

  const handler = () => dispatchBatchHandler(() => ({ deps: h.deps, sqs: h.stack.sqs, queueUrl: h.stack.queues.dispatch.url, retryBaseSeconds: 0 }));

  /** One Lambda-like invocation over whatever the dispatch queue hands out; failures come back at once (visibility 0). */
  async function round(): Promise<{ ids: string[]; response: SQSBatchResponse }> {
    const { Messages = [] } = await h.stack.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: h.stack.queues.dispatch.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0, MessageSystemAttributeNames: ['All'] }),
    );
    const records = Messages.map((m) => toSqsRecord(m, h.stack.queues.dispatch.arn));
    for (const r of records) handled.set(r.messageId, (handled.get(r.messageId) ?? 0) + 1);
    const response = records.length > 0 ? await handler()({ Records: records }) : { batchItemFailures: [] };
    const done = successfulRecords(records, response);
    if (done.length > 0) {
      await h.stack.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: h.stack.queues.dispatch.url, Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })) }));
    }
    return { ids: records.map((r) => r.messageId), response };
  }

  async function inFlight(): Promise<number> {
    const { Attributes = {} } = await h.stack.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: h.stack.queues.dispatch.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
    );
    return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
  }

  /** Rounds until the dispatch queue holds nothing, visible or not (everything done or dead-lettered). */
  async function drainDispatch(timeoutMs = 20_000) {
    const stopAt = Date.now() + timeoutMs;
    while (Date.now() < stopAt) {
      const { ids } = await round();
      if (ids.length === 0) {
        if ((await inFlight()) === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error('dispatch queue did not drain');
  }

  let poisonId: string;
  let garbageId: string;
  let stuckRequest: string;

  it('dead-letters a poison message after 5 receives, while the valid message in its batch is processed and deleted', async () => {
    const requestId = await h.submitYaml(notebook('dlq-ok'));
    poisonId = (await h.stack.sqs.send(new SendMessageCommand({ QueueUrl: h.stack.queues.dispatch.url, MessageBody: JSON.stringify({ requestId, kind: 'Teapot', name: 'x' }) }))).MessageId!;
    garbageId = (await h.stack.sqs.send(new SendMessageCommand({ QueueUrl: h.stack.queues.dispatch.url, MessageBody: 'not json {' }))).MessageId!;

    const first = await round();
    expect(first.ids).toHaveLength(3);
    // Only the two poison messages are reported failed: the valid one is not held back by them.
    expect(first.response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([poisonId, garbageId].sort());
    const { resources } = (await h.request(requestId))!;
    expect(resources[0]!.state).toBe('Creating');
    expect(resources[0]!.huaweiId).toBeTruthy();

    await drainDispatch();
    // maxReceiveCount is 5: five deliveries, then SQS moved each to the DLQ instead of a sixth.
    expect(handled.get(poisonId)).toBe(5);
    expect(handled.get(garbageId)).toBe(5);
    await h.drive(requestId);
    expect((await h.request(requestId))!.resources[0]!.state).toBe('Succeeded');
  });

  it('dead-letters a message whose handler keeps crashing, leaving the resource mid-dispatch', async () => {
    stuckRequest = await h.submitYaml(notebook('dlq-stuck'));
    crash = true;
    try {
      await drainDispatch();
    } finally {
      crash = false;
    }
  });

  it('dlq list shows every dead letter with its receive count, times, a summary and why it died', async () => {
    const io = captureIo();
    expect(await dlqCommand(['list'], io, env)).toBe(0);
    const text = io.out.join('\n');
    const entries = io.out.map((block) => block.split('\n'));
    expect(entries).toHaveLength(3);
    for (const entry of entries) {
      expect(entry[0]).toMatch(new RegExp(`^${prefix}-dispatch-dlq \\S+$`));
      // Five failed deliveries plus this listing's receive (fauxqs also counts the receive that moved it).
      const [, count] = /^ {2}receive count (\d+) \(incl\. this listing\), sent \d{4}-\d\d-\d\dT.*Z, first receive \d{4}-\d\d-\d\dT.*Z, last attempt /.exec(entry[1]!) ?? [];
      expect(Number(count)).toBeGreaterThanOrEqual(6);
    }
    const block = (id: string) => io.out.find((b) => b.startsWith(`${prefix}-dispatch-dlq ${id}`)) ?? '';
    expect(block(poisonId)).toMatch(/"kind":"Teapot"/);
    expect(block(poisonId)).toMatch(/why: not a dispatch message \(.*\): the dispatcher rejects it as poison/);
    expect(block(garbageId)).toMatch(/\(unparseable: "not json \{"\)\n {2}why: the body is not JSON/);
    const stuck = io.out.find((b) => b.includes(stuckRequest))!;
    expect(stuck).toMatch(new RegExp(`Notebook/notebooks-test-dlq-stuck ${stuckRequest}`));
    expect(stuck).toMatch(/why: state CreatePending, message "creating"/);
    expect(stuck).toMatch(/last attempt \d{4}-\d\d-\d\dT/);
    expect(io.err).toEqual([`3 messages in dead-letter queues under ${prefix}`]);
    expect(text).not.toMatch(/intake-dlq|notify-dlq/);

    // Listing leaves the messages where they are.
    const again = captureIo();
    await dlqCommand(['list', '--queue', 'dispatch'], again, env);
    expect(again.out).toHaveLength(3);
  });

  it('dlq redrive moves them back to the source queue, the DLQ is empty after, and the fixed resource completes', async () => {
    const io = captureIo();
    expect(await dlqCommand(['redrive', '--queue', `${prefix}-dispatch-dlq`], io, env)).toBe(0);
    expect(io.out).toEqual([`${prefix}-dispatch-dlq -> ${prefix}-dispatch: moved 3 messages`, 'redrive: 3 moved, 0 failed']);
    const after = captureIo();
    await dlqCommand(['list'], after, env);
    expect(after.out).toEqual([]);
    expect(after.err).toEqual([`0 messages in dead-letter queues under ${prefix}`]);
    // Back on the dispatch queue: the crash is gone, so the stuck resource is created; the poison dies again later.
    await h.drive(stuckRequest);
    expect((await h.request(stuckRequest))!.resources[0]!.state).toBe('Succeeded');
  });

  it('is registered in the CLI, finds the prefix from INTAKE_QUEUE_URL and rejects bad arguments', async () => {
    expect(prefixFromQueueUrl('http://sqs.us-east-1.localhost:4566/000000000000/hwcp-dev-intake')).toBe('hwcp-dev');
    expect(parseDlqArgs(['list'], { INTAKE_QUEUE_URL: h.stack.queues.intake.url, AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1' }).options).toEqual({ prefix, endpoint: 'http://127.0.0.1:1' });
    for (const [key, value] of Object.entries(h.stack.env)) vi.stubEnv(key, value);
    try {
      const io = captureIo();
      expect(await run(['dlq', 'list', '--prefix', prefix, '--endpoint', h.stack.endpoints.sqs], io)).toBe(0);
      expect(io.err.at(-1)).toMatch(/messages? in dead-letter queues/);
      const bad = captureIo();
      expect(await run(['dlq', 'purge'], bad)).toBe(2);
      expect(bad.err[0]).toMatch(/unknown dlq action "purge"/);
      const missing = captureIo();
      expect(await run(['dlq', 'list', '--prefix', prefix, '--queue', 'nope'], missing)).toBe(2);
      expect(missing.err[0]).toMatch(/no dead-letter queue "nope"/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

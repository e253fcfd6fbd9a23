/** Poison messages end in the DLQ without blocking their batch; `dlq list` says why, `dlq redrive` moves them back. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DLQ_USAGE, dlqCommand, parseDlqArgs, prefixFromQueueUrl } from '../../cli/dlq';
import type { Io } from '../../cli/io';
import { run } from '../../cli/main';
import { successfulRecords, toSqsRecord } from '../../local/runner';
import { dispatchBatchHandler } from '../../shared/queue/dispatch-batch';
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
    h = await startHarness({
      crashPoints: {
        afterIntent: () => {
          if (crash) throw new Error('simulated crash after the intent');
        },
      },
    });
    prefix = h.stack.tableName.replace(/-table$/, '');
    env = { ...h.stack.env, STACK_PREFIX: prefix };
  });
  afterAll(() => h.close());

  const handler = () =>
    dispatchBatchHandler(() => ({ deps: h.deps, sqs: h.stack.sqs, queueUrl: h.stack.queues.dispatch.url, retryBaseSeconds: 0 }));

  /** One Lambda-like invocation over whatever the dispatch queue hands out; failures come back at once (visibility 0). */
  async function round(): Promise<{ ids: string[]; response: SQSBatchResponse }> {
    const { Messages = [] } = await h.stack.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: h.stack.queues.dispatch.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const records = Messages.map((m) => toSqsRecord(m, h.stack.queues.dispatch.arn));
    for (const r of records) handled.set(r.messageId, (handled.get(r.messageId) ?? 0) + 1);
    const response = records.length > 0 ? await handler()({ Records: records }) : { batchItemFailures: [] };
    const done = successfulRecords(records, response);
    if (done.length > 0) {
      await h.stack.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: h.stack.queues.dispatch.url,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
    return { ids: records.map((r) => r.messageId), response };
  }

  async function inFlight(): Promise<number> {
    const { Attributes = {} } = await h.stack.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: h.stack.queues.dispatch.url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
    );
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

  let okRequest: string;
  let poisonId: string;
  let garbageId: string;
  let stuckRequest: string;
  let first: { ids: string[]; response: SQSBatchResponse };
  let afterFirstRound: { state: string; huaweiId?: string | undefined };

  /**
   * Two scenarios the tests below look at: a batch holding a valid notebook and two poison messages, driven
   * until SQS gives up on the poison; then a notebook whose dispatcher dies after recording its intent, on
   * every delivery.
   */
  beforeAll(async () => {
    okRequest = await h.submitYaml(notebook('dlq-ok'));
    poisonId = (
      await h.stack.sqs.send(
        new SendMessageCommand({
          QueueUrl: h.stack.queues.dispatch.url,
          MessageBody: JSON.stringify({ requestId: okRequest, kind: 'Teapot', name: 'x' }),
        }),
      )
    ).MessageId!;
    garbageId = (await h.stack.sqs.send(new SendMessageCommand({ QueueUrl: h.stack.queues.dispatch.url, MessageBody: 'not json {' })))
      .MessageId!;
    first = await round();
    const [resource] = (await h.request(okRequest))!.resources;
    afterFirstRound = { state: resource!.state, huaweiId: resource!.huaweiId };
    await drainDispatch();
    await h.drive(okRequest);

    stuckRequest = await h.submitYaml(notebook('dlq-stuck'));
    crash = true;
    try {
      await drainDispatch();
    } finally {
      crash = false;
    }
  }, 120_000);

  it('reports only the poison messages of a batch failed: the valid one is processed in the same round', () => {
    expect(first.ids.sort()).toEqual(expect.arrayContaining([poisonId, garbageId]));
    expect(first.ids).toHaveLength(3);
    expect(first.response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([poisonId, garbageId].sort());
    expect(afterFirstRound.state).toBe('Creating');
    expect(afterFirstRound.huaweiId).toBeTruthy();
  });

  it('dead-letters a poison message after 5 receives, and the valid resource completes', async () => {
    // maxReceiveCount is 5: five deliveries, then SQS moved each to the DLQ instead of a sixth.
    expect(handled.get(poisonId)).toBe(5);
    expect(handled.get(garbageId)).toBe(5);
    expect((await h.request(okRequest))!.resources[0]!.state).toBe('Succeeded');
  });

  it('dead-letters a message whose handler keeps crashing, leaving the resource mid-dispatch and nothing created', async () => {
    const { resources } = (await h.request(stuckRequest))!;
    expect(resources[0]).toMatchObject({ state: 'CreatePending', message: 'creating' });
    expect(resources[0]!.huaweiId).toBeUndefined();
    expect(await inFlight()).toBe(0);
    const { Attributes = {} } = await h.stack.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: h.stack.queues.dispatch.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(Number(Attributes.ApproximateNumberOfMessages)).toBe(3);
    expect((await h.simResources()).map((r) => r.name)).not.toContain(parse(notebook('dlq-stuck')).spec.body.name);
  });

  const dlqNames = () => ['dispatch', 'intake', 'notify'].map((kind) => `${prefix}-${kind}-dlq`);

  it('dlq list shows every dead letter with its receive count, times, a summary and why it died, on stdout', async () => {
    const io = captureIo();
    expect(await dlqCommand(['list'], io, env)).toBe(0);
    expect(io.err).toEqual([]);
    expect(io.out.at(-1)).toBe(`3 messages in 3 dead-letter queues under ${prefix}: ${dlqNames().join(', ')}`);
    const blocks = io.out.slice(0, -1);
    const text = blocks.join('\n');
    const entries = blocks.map((block) => block.split('\n'));
    expect(entries).toHaveLength(3);
    for (const entry of entries) {
      expect(entry[0]).toMatch(new RegExp(`^${prefix}-dispatch-dlq \\S+$`));
      // Five failed deliveries plus this listing's receive (fauxqs also counts the receive that moved it).
      const [, count] =
        /^ {2}receive count (\d+) \(incl\. this listing\), sent \d{4}-\d\d-\d\dT.*Z, first receive \d{4}-\d\d-\d\dT.*Z, last attempt /.exec(
          entry[1]!,
        ) ?? [];
      expect(Number(count)).toBeGreaterThanOrEqual(6);
    }
    const block = (id: string) => blocks.find((b) => b.startsWith(`${prefix}-dispatch-dlq ${id}`)) ?? '';
    expect(block(poisonId)).toMatch(/"kind":"Teapot"/);
    expect(block(poisonId)).toMatch(/why: not a dispatch message \(.*\): the dispatcher rejects it as poison/);
    expect(block(garbageId)).toMatch(/\(unparseable: "not json \{"\)\n {2}why: the body is not JSON/);
    const stuck = blocks.find((b) => b.includes(stuckRequest))!;
    expect(stuck).toMatch(new RegExp(`Notebook/${parse(notebook('dlq-stuck')).metadata.name} ${stuckRequest}`));
    expect(stuck).toMatch(/why: state CreatePending, message "creating"/);
    expect(stuck).toMatch(/last attempt \d{4}-\d\d-\d\dT/);
    expect(text).not.toMatch(/intake-dlq|notify-dlq/);

    // Listing leaves the messages where they are.
    const again = captureIo();
    expect(await dlqCommand(['list', '--queue', 'dispatch'], again, env)).toBe(0);
    expect(again.out).toHaveLength(4);
    expect(again.out.at(-1)).toBe(`3 messages in 1 dead-letter queue under ${prefix}: ${prefix}-dispatch-dlq`);
  });

  it('dlq list --format json prints one JSON document with the queues looked at and every message', async () => {
    const io = captureIo();
    expect(await dlqCommand(['list', '--format', 'json'], io, env)).toBe(0);
    expect(io.err).toEqual([]);
    const report = JSON.parse(io.out.join('\n'));
    expect(report).toMatchObject({ prefix, queues: dlqNames() });
    expect(report.messages).toHaveLength(3);
    expect(report.messages.map((m: { messageId: string }) => m.messageId)).toEqual(expect.arrayContaining([poisonId, garbageId]));
    for (const m of report.messages) {
      expect(m).toMatchObject({
        queue: `${prefix}-dispatch-dlq`,
        receiveCount: expect.any(Number),
        sentAt: expect.stringMatching(/Z$/),
        summary: expect.any(String),
        reason: expect.any(String),
      });
    }
    expect(report.messages.find((m: { summary: string }) => m.summary.includes(stuckRequest)).lastReceiveAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('exits 2 for a prefix with no dead-letter queue, naming the stacks that are there', async () => {
    const io = captureIo();
    await expect(dlqCommand(['list', '--prefix', `${prefix}x`], io, env)).rejects.toMatchObject({
      code: 'NO_DLQ',
      exitCode: 2,
      message: expect.stringMatching(
        new RegExp(
          `^no dead-letter queue under prefix "${prefix}x" at ${env.AWS_ENDPOINT_URL_SQS} \\(stacks found there: .*\\b${prefix}\\b.*\\)$`,
        ),
      ),
    });
    expect(io.out).toEqual([]);
    const cli = captureIo();
    for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
    try {
      expect(await run(['dlq', 'list', '--prefix', `${prefix}x`], cli)).toBe(2);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(cli.err).toHaveLength(1);
    expect(cli.err[0]).toMatch(/^hwc-provisioner: no dead-letter queue under prefix/);
  });

  it('dlq redrive moves them back to the source queue, the DLQ is empty after, and the fixed resource completes', async () => {
    const io = captureIo();
    expect(await dlqCommand(['redrive', '--queue', `${prefix}-dispatch-dlq`], io, env)).toBe(0);
    expect(io.out).toEqual([`${prefix}-dispatch-dlq -> ${prefix}-dispatch: moved 3 messages`, 'redrive: 3 moved, 0 failed']);
    const after = captureIo();
    expect(await dlqCommand(['list'], after, env)).toBe(0);
    expect(after.out).toEqual([`0 messages in 3 dead-letter queues under ${prefix}: ${dlqNames().join(', ')}`]);
    // Back on the dispatch queue: the crash is gone, so the stuck resource is created; the poison dies again later.
    await h.drive(stuckRequest);
    expect((await h.request(stuckRequest))!.resources[0]!.state).toBe('Succeeded');
    const json = captureIo();
    expect(await dlqCommand(['redrive', '--format', 'json'], json, env)).toBe(0);
    expect(JSON.parse(json.out.join('\n'))).toEqual({
      prefix,
      queues: ['dispatch', 'intake', 'notify'].map((kind) => ({
        queue: `${prefix}-${kind}-dlq`,
        source: `${prefix}-${kind}`,
        moved: expect.any(Number),
      })),
      moved: expect.any(Number),
      failed: 0,
    });
  });

  it('is registered in the CLI, finds the prefix from INTAKE_QUEUE_URL and rejects bad arguments with one usage line', async () => {
    expect(prefixFromQueueUrl('http://sqs.us-east-1.localhost:4566/000000000000/hwcp-dev-intake')).toBe('hwcp-dev');
    expect(
      parseDlqArgs(['list'], { INTAKE_QUEUE_URL: h.stack.queues.intake.url, AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1' }).options,
    ).toEqual({ prefix, endpoint: 'http://127.0.0.1:1', format: 'text' });
    for (const [key, value] of Object.entries(h.stack.env)) vi.stubEnv(key, value);
    try {
      const io = captureIo();
      expect(await run(['dlq', 'list', '--prefix', prefix, '--endpoint', h.stack.endpoints.sqs], io)).toBe(0);
      expect(io.out.at(-1)).toMatch(new RegExp(`^\\d+ messages? in 3 dead-letter queues under ${prefix}: `));
      // A mistake in the arguments gets the command's usage line; a prefix or queue that matches nothing does not.
      for (const [argv, message, usage] of [
        [['dlq', 'purge'], /^hwc-provisioner: unknown dlq action "purge"$/, [DLQ_USAGE]],
        [['dlq', 'list', '--format', 'yaml'], /^hwc-provisioner: --format must be text or json, not "yaml"$/, [DLQ_USAGE]],
        [['dlq', 'list', '--endpoint', 'not a url'], /^hwc-provisioner: --endpoint must be a URL/, [DLQ_USAGE]],
        [['dlq', 'list', '--prefix', prefix, '--queue', 'nope'], /^hwc-provisioner: no dead-letter queue "nope" under prefix/, []],
      ] as const) {
        const bad = captureIo();
        expect(await run([...argv], bad), argv.join(' ')).toBe(2);
        expect(bad.err).toEqual([expect.stringMatching(message), ...usage]);
        expect(bad.out).toEqual([]);
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });

  describe('from a shell with no AWS configuration at all', () => {
    /** Stands in for the instance-metadata service, to see whether the credential chain ever calls it. */
    let metadata: Server;
    let metadataHits: string[];
    let home: string;
    beforeAll(async () => {
      metadataHits = [];
      metadata = createServer((req, res) => {
        metadataHits.push(`${req.method} ${req.url}`);
        res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve));
      home = mkdtempSync(join(tmpdir(), 'hwcp-no-aws-'));
    });
    afterAll(async () => {
      await new Promise((resolve) => metadata.close(resolve));
      rmSync(home, { recursive: true, force: true });
    });

    /** The bin as a user runs it: only the variables npm start prints, no keys, no profile, no ~/.aws. */
    async function cli(args: string[], extra: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && !key.startsWith('npm_')));
      const env = {
        ...clean,
        HOME: home,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${(metadata.address() as AddressInfo).port}`,
        ...extra,
      };
      return new Promise((resolve) => {
        execFile(process.execPath, ['bin/hwc-provisioner.mjs', ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
        });
      });
    }

    it('lists with the banner exports alone: dummy credentials for a loopback endpoint, the metadata address never called', async () => {
      const result = await cli(['dlq', 'list'], { STACK_PREFIX: prefix, AWS_ENDPOINT_URL_SQS: h.stack.endpoints.sqs });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(new RegExp(`messages? in 3 dead-letter queues under ${prefix}: `));
      expect(metadataHits).toEqual([]);
    });

    it('reports missing credentials for a real AWS endpoint in one line with exit 1 (the chain did run)', async () => {
      const result = await cli(['dlq', 'list', '--prefix', prefix, '--endpoint', 'https://sqs.us-east-1.amazonaws.com'], {
        AWS_REGION: 'us-east-1',
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        new RegExp(
          String.raw`^hwc-provisioner: no AWS credentials for https://sqs\.us-east-1\.amazonaws\.com \(.*\): ` +
            String.raw`set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for npm start, use the exports it prints\n$`,
        ),
      );
      // The detector above works: without dummy credentials the chain ends at the metadata service.
      expect(metadataHits.length).toBeGreaterThan(0);
    });

    it('reports an endpoint nobody listens on in one line with exit 1', async () => {
      const closed = await new Promise<number>((resolve) => {
        const probe = createServer();
        probe.listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as AddressInfo;
          probe.close(() => resolve(port));
        });
      });
      const result = await cli(['dlq', 'list', '--prefix', prefix, '--endpoint', `http://127.0.0.1:${closed}`], {});
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toBe(
        `hwc-provisioner: cannot reach http://127.0.0.1:${closed} (ECONNREFUSED): is ` +
          `the stack running? npm start prints its endpoint as AWS_ENDPOINT_URL_SQS\n`,
      );
    });
  });
});

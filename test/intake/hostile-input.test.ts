/**
 * Input that once made intake throw (a 500 on POST /requests, a silent dead letter on the intake queue):
 * map keys named like Object.prototype members, strings long enough to overflow DynamoDB's 400 KB item
 * once echoed into the rejection and its event, and failures intake cannot recover from by retrying.
 */
import { readFileSync } from 'node:fs';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { randomRequestId } from '../../shared/intake/ids';
import { MAX_ECHOED_MESSAGE_CHARS, MAX_ECHOED_NAME_CHARS, MAX_ECHOED_PATH_CHARS } from '../../shared/manifests/limits';
import { isRedeliverable, processIntakeMessage, type ProviderSettings } from '../../shared/intake/service';
import { submit, type IntakeDeps, type SubmitOutcome } from '../../shared/intake/submit';
import { getRequestWithResources, requestKey } from '../../shared/store/requests';
import { useLocalResources, type LocalStack } from '../setup/stack';

const EDGE = parse(readFileSync('examples/edge-deployment.yaml', 'utf8')) as Record<string, any>;
const NODE_POOL = parse(readFileSync('examples/node-pool.yaml', 'utf8')) as Record<string, any>;
/** Every member name of Object.prototype but __proto__, which the parser refuses outright. */
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).filter((key) => key !== '__proto__');
const DYNAMODB_ITEM_LIMIT = 400 * 1024;
const SNS_MESSAGE_LIMIT = 256 * 1024;

const source = { provider: 'api' as const, ref: 'api:test', caller: 'test' };
const providers: ProviderSettings = {
  globs: ['**/*.yaml'],
  github: { apiUrl: 'http://127.0.0.1:9' },
  gitlab: { apiUrl: 'http://127.0.0.1:9' },
};

/** An edge deployment with `key` in every place a manifest takes arbitrary keys, valid whatever the key. */
function edgeWithKey(name: string, key: string): string {
  const doc = structuredClone(EDGE);
  doc.metadata = { name, labels: { [key]: 'v', plain: 'v' } };
  doc.spec.body.name = name;
  return JSON.stringify(doc);
}

/** A node pool whose label and extendParams maps hold `key` (labels only when Kubernetes would take the key). */
function nodePoolWithKey(name: string, key: string): string {
  const doc = structuredClone(NODE_POOL);
  doc.metadata = { name, labels: { [key]: 'v' } };
  doc.spec.poolName = `pool-${'0'.repeat(36)}`;
  doc.spec.body.metadata.name = name;
  doc.spec.body.metadata.annotations = {};
  doc.spec.body.spec.resources.extendParams = { [key]: 'v' };
  if (/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(key)) doc.spec.body.spec.resources.labels = { [key]: 'v' };
  return JSON.stringify(doc);
}

/** The request item as DynamoDB holds it, and its size as JSON (which over-estimates DynamoDB's own count). */
async function rawRequest(ddb: DynamoDBDocumentClient, tableName: string, requestId: string) {
  const { Item } = await ddb.send(new GetCommand({ TableName: tableName, Key: requestKey(requestId), ConsistentRead: true }));
  return { item: Item as Record<string, any>, bytes: Buffer.byteLength(JSON.stringify(Item)) };
}

const unknownKeyOf = (length: number) => stringify({ ...EDGE, metadata: { name: 'long-key', ['k'.repeat(length)]: 'x' } });
const longKind = (length: number) => stringify({ ...EDGE, kind: 'K'.repeat(length) });
const manyLongKeys = (count: number, length: number) =>
  stringify({
    ...EDGE,
    metadata: { name: 'many-keys', ...Object.fromEntries(Array.from({ length: count }, (_, i) => [`${i}`.padEnd(length, 'k'), 'x'])) },
  });

describe('hostile manifests at intake', () => {
  let stack: LocalStack;
  let deps: IntakeDeps;
  /** A topic that does not exist: every event stays in its request's outbox, where the test can weigh it. */
  let stuck: IntakeDeps;
  const warnings: { message: string; extra?: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    stack = await useLocalResources();
    await stack.subscribeQueue(stack.topicArn, stack.queues.notify.arn);
    const logger = {
      warn: (message: string, extra?: Record<string, unknown>) => void warnings.push({ message, ...(extra ? { extra } : {}) }),
    };
    deps = {
      table: { ddb: stack.ddb, tableName: stack.tableName },
      dispatch: { sqs: stack.sqs, queueUrl: stack.queues.dispatch.url },
      topic: { sns: stack.sns, topicArn: stack.topicArn },
      defaults: { projectId: 'p'.repeat(32), region: 'cn-north-4' },
      logger,
    };
    stuck = { ...deps, topic: { sns: stack.sns, topicArn: `${stack.topicArn}-missing` } };
  });
  afterAll(() => stack.close());

  describe('map keys named like Object.prototype members', () => {
    it('records and stores manifests with such keys in every map, and reads them back as written', async () => {
      const docs = PROTOTYPE_KEYS.flatMap((key, i) => [edgeWithKey(`edge-${i}`, key), nodePoolWithKey(`np-${i}`, key)]);
      const requestId = randomRequestId();
      const outcome = await submit(deps, { requestId, source, files: [{ file: 'keys.yaml', text: docs.join('\n---\n') }] });
      expect(outcome).toMatchObject({ status: 'accepted', duplicate: false });
      const stored = (await getRequestWithResources(deps.table, requestId))!;
      expect(stored.resources).toHaveLength(docs.length);
      for (const [i, key] of PROTOTYPE_KEYS.entries()) {
        const edge = stored.resources.find((r) => r.name === `edge-${i}`)!.manifest as any;
        expect(Object.hasOwn(edge.metadata.labels, key)).toBe(true);
        expect(edge.metadata.labels[key]).toBe('v');
        const pool = stored.resources.find((r) => r.name === `np-${i}`)!.manifest as any;
        expect(pool.spec.body.spec.resources.extendParams[key]).toBe('v');
      }
      await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 });
    });

    it('rejects such keys where no unknown key is allowed, naming them, instead of throwing', async () => {
      for (const key of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
        const doc = structuredClone(EDGE);
        doc[key] = { name: 'x' };
        doc.metadata[key] = 'x';
        doc.spec.body[key] = 'x';
        const outcome = await submit(deps, {
          requestId: randomRequestId(),
          source,
          files: [{ file: 'unknown.yaml', text: JSON.stringify(doc) }],
        });
        expect(outcome.status).toBe('rejected');
        const messages = (outcome as Extract<SubmitOutcome, { status: 'rejected' }>).documents[0]!.errors.map(
          (e) => `${e.path}: ${e.message}`,
        );
        expect(messages).toEqual(
          expect.arrayContaining([
            expect.stringContaining(`unknown field "${key}"`),
            expect.stringMatching(/^metadata: /),
            expect.stringMatching(/^spec\.body: /),
          ]),
        );
      }
    });

    it("accepts another system's manifest object with a constructor label from the intake queue", async () => {
      const manifest = JSON.parse(edgeWithKey('queued-ctor', 'constructor'));
      const outcome = await processIntakeMessage(deps, providers, {
        messageId: `m-${randomRequestId()}`,
        body: JSON.stringify({ manifests: manifest }),
      });
      expect(outcome).toMatchObject({ status: 'accepted', resources: [{ kind: 'EdgeDeployment', name: 'queued-ctor', state: 'Queued' }] });
      await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 });
    });
  });

  describe('long strings echoed into the rejection and its event', () => {
    const cases: [string, () => string][] = [
      ['an unknown key of 600,000 characters', () => unknownKeyOf(600_000)],
      ['a kind of 900,000 characters', () => longKind(900_000)],
      ['fifty unknown keys of 15,000 characters', () => manyLongKeys(50, 15_000)],
    ];

    for (const [what, text] of cases) {
      it(`records ${what} as a rejected request whose item, outbox event included, fits DynamoDB`, async () => {
        const requestId = randomRequestId();
        const outcome = await submit(stuck, { requestId, source, files: [{ file: 'long.yaml', text: text() }] });
        expect(outcome).toMatchObject({ status: 'rejected', requestId, duplicate: false });
        const { item, bytes } = await rawRequest(stack.ddb, stack.tableName, requestId);
        expect(item.phase).toBe('Rejected');
        expect(bytes).toBeLessThan(DYNAMODB_ITEM_LIMIT / 4);
        // The event waits in the outbox (its topic is missing) with the same bounded report as the record.
        expect(item.pendingEvents).toHaveLength(1);
        const event = item.pendingEvents[0].event;
        expect(event.type).toBe('hwc-provisioner.request.rejected');
        expect(event.data.errors).toEqual(item.rejected);
        for (const doc of item.rejected) {
          for (const error of doc.errors) {
            expect(error.message.length).toBeLessThanOrEqual(MAX_ECHOED_MESSAGE_CHARS);
            expect(error.path.length).toBeLessThanOrEqual(MAX_ECHOED_PATH_CHARS);
          }
          expect((doc.kind ?? '').length).toBeLessThanOrEqual(MAX_ECHOED_NAME_CHARS);
        }
        expect(JSON.stringify(item.rejected)).toMatch(/…/);
      });
    }

    it('publishes a bounded request.rejected when the topic works', async () => {
      const requestId = randomRequestId();
      await submit(deps, { requestId, source, files: [{ file: 'long.yaml', text: manyLongKeys(50, 15_000) }] });
      const events = (await stack.drainQueue(stack.queues.notify.url, { waitMs: 500 })).filter((body) => body.includes(requestId));
      expect(events).toHaveLength(1);
      expect(Buffer.byteLength(events[0]!)).toBeLessThan(SNS_MESSAGE_LIMIT / 4);
      expect(JSON.parse(events[0]!).data.errors[0].errors[0].message).toMatch(/^unknown fields? "0k+…"/);
      expect((await rawRequest(stack.ddb, stack.tableName, requestId)).item).not.toHaveProperty('pendingEvents');
    });

    it('lists at most a bounded number of documents and errors, saying how many more there were', async () => {
      const requestId = randomRequestId();
      const broken = Array.from({ length: 400 }, (_, i) =>
        stringify({ ...EDGE, metadata: { name: `d-${i}` }, kind: `Nope${'x'.repeat(900)}` }),
      );
      const outcome = await submit(stuck, { requestId, source, files: [{ file: 'many.yaml', text: broken.join('---\n') }] });
      expect(outcome.status).toBe('rejected');
      const { item, bytes } = await rawRequest(stack.ddb, stack.tableName, requestId);
      expect(bytes).toBeLessThan(DYNAMODB_ITEM_LIMIT / 2);
      expect(item.rejected.length).toBeLessThan(400);
      expect(item.rejected.at(-1).errors[0].message).toMatch(/^… and \d+ more rejected documents$/);
      expect(item.pendingEvents[0].event.data.errors).toEqual(item.rejected);
    });
  });

  describe('intake queue messages that cannot be processed', () => {
    /** The emulator's client, but the first command `fail` picks throws `error` (once). */
    function failing(fail: (name: string) => boolean, error: () => unknown): IntakeDeps {
      let failed = false;
      const ddb = {
        send: (command: { constructor: { name: string } }) => {
          if (!failed && fail(command.constructor.name)) {
            failed = true;
            return Promise.reject(error());
          }
          return stack.ddb.send(command as never);
        },
      } as unknown as DynamoDBDocumentClient;
      return { ...deps, table: { ddb, tableName: stack.tableName } };
    }

    const jiraJob = (requestId: string, block: string) =>
      JSON.stringify({ type: 'jira.issue', requestId, deliveryId: `d-${requestId}`, ticket: 'OPS-1', blocks: [block] });

    it('turns a permanent failure into a recorded rejection with a reason, and a WARN naming the SQS message', async () => {
      warnings.length = 0;
      const requestId = randomRequestId();
      const messageId = `msg-${requestId}`;
      const broken = failing(
        (name) => name === 'TransactWriteCommand',
        () => new TypeError('Cannot convert object to primitive value'),
      );
      const outcome = await processIntakeMessage(broken, providers, { messageId, body: jiraJob(requestId, edgeWithKey('bug', 'plain')) });
      expect(outcome).toMatchObject({ status: 'rejected', requestId });
      const stored = (await getRequestWithResources(deps.table, requestId))!;
      expect(stored.request).toMatchObject({ phase: 'Rejected', source: { provider: 'jira', ticket: 'OPS-1' } });
      expect(stored.request.rejected![0]!.errors[0]!.message).toMatch(/could not be processed.*TypeError/);
      expect(stored.resources).toEqual([]);
      expect(warnings).toEqual([
        expect.objectContaining({ extra: expect.objectContaining({ messageId, requestId, errorName: 'TypeError' }) }),
      ]);
      await stack.drainQueue(stack.queues.notify.url, { waitMs: 300 });
    });

    it(
      'records a push whose provider answers 200 with something ' + 'not JSON as rejected, and a plan as skipped, each with a WARN',
      async () => {
        const html: typeof fetch = async () =>
          new Response('<html>maintenance</html>', { status: 200, headers: { 'content-type': 'text/html' } });
        const broken: ProviderSettings = {
          ...providers,
          fetch: html,
          plan: { store: { table: deps.table, now: () => new Date() }, defaults: deps.defaults },
        };
        const commit = (c: string) => c.repeat(40);

        warnings.length = 0;
        const requestId = randomRequestId();
        const push = {
          type: 'github.push',
          requestId,
          deliveryId: `d-${requestId}`,
          repository: 'acme/infra',
          branch: 'main',
          before: commit('0'),
          after: commit('a'),
        };
        const outcome = await processIntakeMessage(deps, broken, { messageId: 'm-push', body: JSON.stringify(push) });
        expect(outcome).toMatchObject({ status: 'rejected', requestId });
        expect((await getRequestWithResources(deps.table, requestId))!.request).toMatchObject({
          phase: 'Rejected',
          source: { provider: 'github', repository: 'acme/infra' },
        });
        expect(warnings).toEqual([
          expect.objectContaining({ extra: expect.objectContaining({ messageId: 'm-push', requestId, errorName: 'SyntaxError' }) }),
        ]);

        warnings.length = 0;
        const plan = {
          type: 'github.plan',
          deliveryId: 'd-plan',
          repository: 'acme/infra',
          number: 7,
          baseRef: 'main',
          base: commit('b'),
          head: commit('c'),
          updatedAt: new Date().toISOString(),
        };
        expect(await processIntakeMessage(deps, broken, { messageId: 'm-plan', body: JSON.stringify(plan) })).toEqual({
          status: 'plan-skipped',
          reason: 'the plan could not be made (SyntaxError)',
        });
        expect(warnings).toEqual([
          expect.objectContaining({ extra: expect.objectContaining({ messageId: 'm-plan', errorName: 'SyntaxError' }) }),
        ]);
        await stack.drainQueue(stack.queues.notify.url, { waitMs: 300 });
      },
    );

    it('records hostile manifests from a ticket as rejected, never throwing', async () => {
      for (const block of [unknownKeyOf(600_000), longKind(900_000), manyLongKeys(50, 15_000)]) {
        const requestId = randomRequestId();
        const outcome = await processIntakeMessage(stuck, providers, { messageId: `m-${requestId}`, body: jiraJob(requestId, block) });
        expect(outcome).toMatchObject({ status: 'rejected', requestId });
        expect((await rawRequest(stack.ddb, stack.tableName, requestId)).bytes).toBeLessThan(DYNAMODB_ITEM_LIMIT / 4);
      }
    });

    it('classes a transaction lost to a concurrent one as redeliverable, and a failed condition as not', () => {
      const cancelled = (...codes: string[]) =>
        Object.assign(new Error('Transaction cancelled'), {
          name: 'TransactionCanceledException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          CancellationReasons: codes.map((Code) => ({ Code })),
        });
      expect(isRedeliverable(cancelled('None', 'TransactionConflict'))).toBe(true);
      expect(isRedeliverable(cancelled('ConditionalCheckFailed', 'None'))).toBe(false);
    });

    it('still throws on throttling and network failures, so SQS redelivers, and records nothing', async () => {
      const throttled = () =>
        Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          $retryable: { throttling: true },
        });
      const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      const unavailable = () =>
        Object.assign(new Error('Service Unavailable'), {
          name: 'ServiceUnavailable',
          $fault: 'server',
          $metadata: { httpStatusCode: 503 },
        });
      for (const error of [throttled, reset, unavailable]) {
        const requestId = randomRequestId();
        const broken = failing((name) => name === 'TransactWriteCommand', error);
        await expect(
          processIntakeMessage(broken, providers, { messageId: `m-${requestId}`, body: jiraJob(requestId, edgeWithKey('retry', 'plain')) }),
        ).rejects.toThrow(error().message);
        expect(await getRequestWithResources(deps.table, requestId)).toBeUndefined();
      }
    });
  });
});

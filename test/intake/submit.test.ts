/**
 * A request's resources are written in transactions of up to 100 conditional puts. A submission that died
 * half-way (some chunks written, the dispatcher already moving a resource) is resumed by the next call:
 * a chunk that meets an existing item is cancelled as a whole and redone item by item, which writes what
 * is missing and leaves what exists alone. A request that fits one transaction is written, already
 * Accepted, with its resources in a single one.
 */
import { readFileSync } from 'node:fs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { randomRequestId } from '../../shared/intake/ids';
import { getDelivery } from '../../shared/store/deliveries';
import { submit, type IntakeDeps } from '../../shared/intake/submit';
import { getRequest, getRequestWithResources, requestKey, resourceKey, type TableRef } from '../../shared/store/requests';
import { useLocalResources, type LocalStack } from '../setup/stack';

const EDGE = parse(readFileSync('examples/edge-deployment.yaml', 'utf8')) as {
  metadata: { name: string };
  spec: { body: { name: string } };
};

/** n edge deployments with unique names. */
function edges(prefix: string, n: number): string {
  return Array.from({ length: n }, (_, i) => {
    const doc = structuredClone(EDGE);
    doc.metadata.name = `${prefix}-${i}`;
    doc.spec.body.name = `${prefix}-${i}`;
    return stringify(doc);
  }).join('---\n');
}

type Send = TableRef['ddb']['send'];

/** The real client, recording each command's name in `calls`; a command `fail` picks rejects as a dying process's would. */
function recording(real: TableRef['ddb'], calls: string[], fail: (name: string) => boolean = () => false): TableRef['ddb'] {
  return {
    send: ((command: { constructor: { name: string } }) => {
      const name = command.constructor.name;
      calls.push(name);
      if (fail(name)) return Promise.reject(new Error('connection reset'));
      return real.send(command as never);
    }) as Send,
  } as TableRef['ddb'];
}

describe('recording a request in transactions of up to 100 resources', () => {
  let stack: LocalStack;
  const calls: string[] = [];
  let failNext: ((name: string) => boolean) | undefined;
  let deps: IntakeDeps;

  beforeAll(async () => {
    stack = await useLocalResources();
    // Records each DynamoDB command, and fails the one failNext picks (once).
    const ddb = recording(stack.ddb, calls, (name) => {
      if (!failNext?.(name)) return false;
      failNext = undefined;
      return true;
    });
    deps = {
      table: { ddb, tableName: stack.tableName },
      dispatch: { sqs: stack.sqs, queueUrl: stack.queues.dispatch.url },
      defaults: { projectId: 'p'.repeat(32), region: 'cn-north-4' },
    };
  });
  afterAll(() => stack.close());

  const source = { provider: 'api' as const, ref: 'api:test', caller: 'test' };

  it('writes 150 new resources with two transactions and no single puts', async () => {
    calls.length = 0;
    const requestId = randomRequestId();
    const outcome = await submit(deps, { requestId, source, files: [{ file: 'many.yaml', text: edges('tx', 150) }] });
    expect(outcome).toMatchObject({ status: 'accepted', duplicate: false });
    expect(calls.filter((c) => c === 'TransactWriteCommand')).toHaveLength(2);
    expect(calls.filter((c) => c === 'PutCommand')).toHaveLength(1); // the request itself
    const found = (await getRequestWithResources(deps.table, requestId))!;
    expect(found.request).toMatchObject({ phase: 'Accepted', resourceCount: 150 });
    expect(found.resources).toHaveLength(150);
    expect(found.resources.every((r) => r.state === 'Queued')).toBe(true);
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 })).toHaveLength(150);
  });

  it('resumes a submission that died after its first chunk, without resetting what the dispatcher moved', async () => {
    const requestId = randomRequestId();
    const text = edges('resume', 150);
    // The first attempt dies on its second transaction: the request is Recording, 100 resources exist.
    let transactions = 0;
    failNext = (name) => name === 'TransactWriteCommand' && ++transactions === 2;
    await expect(submit(deps, { requestId, source, files: [{ file: 'many.yaml', text }] })).rejects.toThrow('connection reset');
    // The first chunk's transaction was on its way beside the failed one.
    for (let i = 0; i < 50 && (await getRequestWithResources(deps.table, requestId))!.resources.length < 100; i++)
      await new Promise((r) => setTimeout(r, 100));
    const partial = (await getRequestWithResources(deps.table, requestId))!;
    expect(partial.request.phase).toBe('Recording');
    expect(partial.resources).toHaveLength(100);
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 })).toEqual([]);

    // Meanwhile the poller re-queued one of them and a dispatcher recorded its create intent.
    const moved = partial.resources[0]!;
    await stack.ddb.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: resourceKey(requestId, moved.kind, moved.name),
        UpdateExpression: 'SET #s = :pending, attempt = :one',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':pending': 'CreatePending', ':one': 1 },
      }),
    );

    calls.length = 0;
    const outcome = await submit(deps, { requestId, source, files: [{ file: 'many.yaml', text }] });
    expect(outcome).toMatchObject({ status: 'accepted', requestId, duplicate: true });
    // Both chunks tried as transactions; the one that met existing items was redone item by item.
    expect(calls.filter((c) => c === 'TransactWriteCommand')).toHaveLength(2);
    expect(calls.filter((c) => c === 'PutCommand').length).toBeGreaterThanOrEqual(100);
    const found = (await getRequestWithResources(deps.table, requestId))!;
    expect(found.request.phase).toBe('Accepted');
    expect(found.resources).toHaveLength(150);
    expect(found.resources.find((r) => r.name === moved.name)).toMatchObject({ state: 'CreatePending', attempt: 1 });
    expect(found.resources.filter((r) => r.state === 'Queued')).toHaveLength(149);
    // Every resource is queued again (a dispatch of one already moving changes nothing).
    const messages = (await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 })).map((m) => JSON.parse(m).name);
    expect(new Set(messages).size).toBe(150);

    // A third call is a plain duplicate: nothing written, nothing queued.
    calls.length = 0;
    expect(await submit(deps, { requestId, source, files: [{ file: 'many.yaml', text }] })).toMatchObject({
      status: 'accepted',
      duplicate: true,
    });
    // Besides the ownership check's reads, only per-item writes of what is missing.
    expect(calls.filter((c) => c !== 'PutCommand' && c !== 'GetCommand' && c !== 'BatchGetCommand')).toEqual([]);
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 })).toEqual([]);
    expect((await getRequest(deps.table, requestId))!.finishedCount).toBe(0);
  });
});

describe('recording a small request in one write', () => {
  let stack: LocalStack;
  const calls: string[] = [];
  let deps: IntakeDeps;

  beforeAll(async () => {
    stack = await useLocalResources();
    await stack.subscribeQueue(stack.topicArn, stack.queues.notify.arn);
    deps = {
      table: { ddb: recording(stack.ddb, calls), tableName: stack.tableName },
      dispatch: { sqs: stack.sqs, queueUrl: stack.queues.dispatch.url },
      topic: { sns: stack.sns, topicArn: stack.topicArn },
      defaults: { projectId: 'p'.repeat(32), region: 'cn-north-4' },
    };
  });
  afterAll(() => stack.close());

  const source = { provider: 'api' as const, ref: 'api:test', caller: 'test' };
  const accepted = async (requestId: string) =>
    (await stack.drainQueue(stack.queues.notify.url, { waitMs: 500 }))
      .map((b) => JSON.parse(b))
      .filter((e) => e.type === 'hwc-provisioner.request.accepted' && e.data.requestId === requestId);

  it('writes the request, already Accepted, and its resources in one transaction, then queues and announces it', async () => {
    calls.length = 0;
    const requestId = randomRequestId();
    const outcome = await submit(deps, { requestId, source, files: [{ file: 'few.yaml', text: edges('one', 3) }] });
    expect(outcome).toMatchObject({ status: 'accepted', requestId, duplicate: false });
    // One write for the records, one to clear the published event from the outbox: no Recording phase, no accept update.
    // One write for the records (the owners checked inside it), one to clear the published event.
    expect(calls).toEqual(['TransactWriteCommand', 'UpdateCommand']);
    const found = (await getRequestWithResources(deps.table, requestId))!;
    expect(found.request).toMatchObject({ phase: 'Accepted', resourceCount: 3, finishedCount: 0 });
    expect(found.resources.map((r) => r.state)).toEqual(['Queued', 'Queued', 'Queued']);
    const raw = await stack.ddb.send(new GetCommand({ TableName: stack.tableName, Key: requestKey(requestId) }));
    // Published, so no longer pending; still in the due index, where the poller sees the request to completion.
    expect(raw.Item).not.toHaveProperty('pendingEvents');
    expect(raw.Item).toHaveProperty('dueAt');
    expect((await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 })).map((m) => JSON.parse(m).name).sort()).toEqual([
      'one-0',
      'one-1',
      'one-2',
    ]);
    expect(await accepted(requestId)).toHaveLength(1);
  });

  it('answers a retry from the stored request, writing and queueing nothing', async () => {
    const requestId = randomRequestId();
    await submit(deps, { requestId, source, files: [{ file: 'few.yaml', text: edges('again', 2) }] });
    await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 });
    await accepted(requestId);
    calls.length = 0;
    expect(await submit(deps, { requestId, source, files: [{ file: 'few.yaml', text: edges('again', 2) }] })).toMatchObject({
      status: 'accepted',
      duplicate: true,
    });
    // The transaction is cancelled by the existing request, which is then read: no second conditional write.
    expect(calls).toEqual(['TransactWriteCommand', 'GetCommand']);
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 })).toEqual([]);
    expect(await accepted(requestId)).toEqual([]);
  });

  it('leaves resources due for the poller when the dispatch queue fails, and does not keep the published event', async () => {
    const requestId = randomRequestId();
    // A queue that does not exist: fauxqs answers every send with an error, as an outage would.
    const broken = { ...deps, dispatch: { sqs: stack.sqs, queueUrl: `${stack.queues.dispatch.url}-missing` } };
    await expect(submit(broken, { requestId, source, files: [{ file: 'few.yaml', text: edges('lost', 2) }] })).rejects.toThrow();
    const found = (await getRequestWithResources(deps.table, requestId))!;
    expect(found.request.phase).toBe('Accepted');
    for (const r of found.resources) {
      const raw = await stack.ddb.send(new GetCommand({ TableName: stack.tableName, Key: resourceKey(requestId, r.kind, r.name) }));
      expect(raw.Item).toMatchObject({ state: 'Queued', duePk: expect.any(String), dueAt: expect.any(String) });
    }
    const request = await stack.ddb.send(new GetCommand({ TableName: stack.tableName, Key: requestKey(requestId) }));
    expect(request.Item).not.toHaveProperty('pendingEvents');
    expect(await accepted(requestId)).toHaveLength(1);
  });

  it('records the delivery that brought the request in the same transaction, or after the resumable path', async () => {
    calls.length = 0;
    const small = randomRequestId();
    const delivery = { provider: 'github', deliveryId: `d-${small}` };
    await submit(deps, { requestId: small, source, files: [{ file: 'few.yaml', text: edges('dlv', 1) }], delivery });
    // One write for the records (the owners checked inside it), one to clear the published event.
    expect(calls).toEqual(['TransactWriteCommand', 'UpdateCommand']);
    expect(await getDelivery(deps.table, 'github', delivery.deliveryId)).toMatchObject({ requestId: small, outcome: 'accepted' });

    const large = randomRequestId();
    const bigDelivery = { provider: 'gitlab', deliveryId: `d-${large}` };
    await submit(deps, { requestId: large, source, files: [{ file: 'many.yaml', text: edges('dlvbig', 100) }], delivery: bigDelivery });
    expect(await getDelivery(deps.table, 'gitlab', bigDelivery.deliveryId)).toMatchObject({ requestId: large, outcome: 'accepted' });
    const empty = randomRequestId();
    await submit(deps, {
      requestId: empty,
      source,
      files: [{ file: 'none.yaml', text: '# nothing here\n' }],
      delivery: { provider: 'jira', deliveryId: `d-${empty}` },
    });
    expect(await getDelivery(deps.table, 'jira', `d-${empty}`)).toMatchObject({ requestId: empty, outcome: 'empty' });
    await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 });
    await stack.drainQueue(stack.queues.notify.url, { waitMs: 300 });
  });

  it('takes the resumable path when the request does not fit one transaction', async () => {
    calls.length = 0;
    const requestId = randomRequestId();
    expect(await submit(deps, { requestId, source, files: [{ file: 'many.yaml', text: edges('big', 100) }] })).toMatchObject({
      status: 'accepted',
      duplicate: false,
    });
    // 100 resources and the request are 101 items: the request is put first, the resources in one transaction.
    expect(calls.slice(0, 3)).toEqual(['BatchGetCommand', 'PutCommand', 'TransactWriteCommand']);
    expect((await getRequest(deps.table, requestId))!.phase).toBe('Accepted');
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 })).toHaveLength(100);
  });
});

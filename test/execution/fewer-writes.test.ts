/**
 * The pipeline's DynamoDB work per resource was cut (the pipeline benchmark, reports/bench.json): a counter
 * instead of a partition read after every finish, dependents that wait for a pool of their request without
 * being dispatched, the identity's outcome written after the terminal state rather than in a transaction
 * with it. Each of these keeps the guarantees; these tests show how, including when a process dies between
 * the steps.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { dispatchResource } from '../../shared/reconcile/dispatch';
import { afterTerminal } from '../../shared/reconcile/finish';
import { finishResourceOnce } from '../../shared/reconcile/finish';
import { pollTick } from '../../shared/reconcile/poll';
import { getManaged } from '../../shared/store/managed';
import { getRequest, requestKey } from '../../shared/store/requests';
import { getResource } from '../../shared/store/resources';
import type { ResourceRecord } from '../../shared/store/types';
import { allKinds, PROJECT_ID, startHarness, type Harness } from './harness';

const tick = (h: Harness) => pollTick(h.deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });

/** n edge deployments with unique names, as one request. */
const edges = (suffix: string, n: number) =>
  Array.from({ length: n }, (_, i) => {
    const doc = parse(allKinds(`${suffix}${i}`).split('---\n')[3]!);
    return stringify(doc);
  }).join('---\n');

/** Counts the Queries that read a request's partition (not the due index) on the harness's client. */
function countPartitionQueries(h: Harness): { count: () => number } {
  let n = 0;
  (
    h.stack.ddb.middlewareStack as unknown as {
      add(
        m: (next: (a: unknown) => Promise<unknown>, c: { commandName?: string }) => (a: unknown) => Promise<unknown>,
        o: { step: 'initialize'; name: string },
      ): void;
    }
  ).add(
    (next, context) => async (args) => {
      const input = (args as { input?: { IndexName?: string; KeyConditionExpression?: string } }).input;
      if (context.commandName === 'QueryCommand' && !input?.IndexName && input?.KeyConditionExpression?.startsWith('pk = :pk')) n++;
      return next(args);
    },
    { step: 'initialize', name: `partitionQueries${Math.random()}` },
  );
  return { count: () => n };
}

describe('request completion counts finished resources', () => {
  let h: Harness;
  let queries: { count: () => number };
  beforeAll(async () => {
    h = await startHarness();
    queries = countPartitionQueries(h);
  });
  afterAll(() => h.close());

  const completedEvents = async (requestId: string) =>
    (await h.events()).filter(
      (e) => e.type === 'hwc-provisioner.request.completed' && (e.data as { requestId: string }).requestId === requestId,
    );

  async function twoUndispatched(suffix: string): Promise<{ requestId: string; resources: ResourceRecord[] }> {
    const requestId = await h.submitYaml(edges(suffix, 2));
    // Nothing dispatches them: the test finishes them itself, as the dispatcher or poller would.
    await h.stack.drainQueue(h.stack.queues.dispatch.url, { count: 2 });
    return { requestId, resources: (await h.request(requestId))!.resources };
  }

  const fail = async (resource: ResourceRecord) => {
    const finished = await finishResourceOnce(h.deps, resource, {
      state: 'Failed',
      reason: 'Test',
      message: 'ended by the test',
      ownsIdentity: false,
    });
    expect(finished).toBeDefined();
    await afterTerminal(h.deps, resource, 'Failed', finished!.progress);
    return finished!;
  };

  it('completes at the last finish, reading the partition once instead of after every finish', async () => {
    const { requestId, resources } = await twoUndispatched('cnt');
    expect((await getRequest(h.deps.table, requestId))!.finishedCount).toBe(0);
    const before = queries.count();
    const first = await fail(resources[0]!);
    expect(first.progress).toMatchObject({ finishedCount: 1, resourceCount: 2, phase: 'Accepted' });
    expect(queries.count()).toBe(before);
    expect((await getRequest(h.deps.table, requestId))!.completedAt).toBeUndefined();
    const second = await fail(resources[1]!);
    expect(second.progress).toMatchObject({ finishedCount: 2, resourceCount: 2 });
    expect(queries.count()).toBe(before + 1);
    expect((await getRequest(h.deps.table, requestId))!.completedAt).toBeDefined();
    expect(await completedEvents(requestId)).toHaveLength(1);
    // A second finish of the same resource loses its guard: it neither counts nor publishes.
    expect(await finishResourceOnce(h.deps, resources[1]!, { state: 'Failed', ownsIdentity: false })).toBeUndefined();
    expect((await getRequest(h.deps.table, requestId))!.finishedCount).toBe(2);
  });

  it('still completes exactly once when the count falls short (a finisher died before counting): the poller checks in full', async () => {
    const { requestId, resources } = await twoUndispatched('short');
    // One increment lost, as when a process dies between the terminal write and the count.
    await h.deps.table.ddb.send(
      new UpdateCommand({
        TableName: h.deps.table.tableName,
        Key: requestKey(requestId),
        UpdateExpression: 'ADD finishedCount :n',
        ExpressionAttributeValues: { ':n': -1 },
      }),
    );
    await fail(resources[0]!);
    const last = await fail(resources[1]!);
    expect(last.progress).toMatchObject({ finishedCount: 1, resourceCount: 2 });
    // Every resource is terminal, but no finisher saw the count reach the total.
    expect((await h.request(requestId))!.resources.map((r) => r.state)).toEqual(['Failed', 'Failed']);
    expect((await getRequest(h.deps.table, requestId))!.completedAt).toBeUndefined();

    // The request stays in the due index; the poller's periodic full check completes it.
    h.advance(3_000);
    await tick(h);
    await tick(h);
    expect((await getRequest(h.deps.table, requestId))!.completedAt).toBeDefined();
    expect(await completedEvents(requestId)).toHaveLength(1);
    h.advance(3_000);
    await tick(h);
    expect(await completedEvents(requestId)).toHaveLength(1);
  });

  it('counts every resource of a whole run, and the counts of concurrent finishers add up', async () => {
    const requestId = await h.submitYaml(`${allKinds('cntall')}---\n${edges('cntall-e', 4)}`);
    await h.drive(requestId);
    const { request, resources } = (await h.request(requestId))!;
    expect(resources.every((r) => r.state === 'Succeeded')).toBe(true);
    expect(request.finishedCount).toBe(8);
    expect(await completedEvents(requestId)).toHaveLength(1);
  });
});

describe('dependents of a pool in the same request', () => {
  let h: Harness;
  let firstWfd = '';
  beforeAll(async () => {
    h = await startHarness();
    // Long enough that the poller does not re-queue waiting dependents while a test looks at their messages.
    h.deps.settings.waitRecheckSeconds = 30;
  });
  afterAll(() => h.close());

  const byKind = async (requestId: string) => Object.fromEntries((await h.request(requestId))!.resources.map((r) => [r.kind, r]));
  const names = (suffix: string) => {
    const docs = parseAllDocuments(allKinds(suffix)).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    return Object.fromEntries(docs.map((d) => [d.kind, d.metadata.name]));
  };

  async function untilPoolSucceeded(requestId: string): Promise<void> {
    for (let i = 0; i < 50 && (await byKind(requestId)).ResourcePool!.state !== 'Succeeded'; i++) {
      await tick(h);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await byKind(requestId)).ResourcePool!.state).toBe('Succeeded');
  }

  async function dispatchQueued(): Promise<{ kind: string; name: string; poolId?: string }[]> {
    const messages = (await h.stack.drainQueue(h.stack.queues.dispatch.url, { waitMs: 300 })).map((m) => JSON.parse(m));
    for (const message of messages) await dispatchResource(h.deps, message, { receiveCount: 1 });
    return messages;
  }

  it('start WaitingForDependency without a dispatch message, and are queued with the pool id once it succeeds', async () => {
    const n = names('wfd');
    const requestId = await h.submitYaml(allKinds('wfd'));
    firstWfd = requestId;
    const at = h.deps.now().getTime();
    let resources = await byKind(requestId);
    expect(resources.NodePool).toMatchObject({
      state: 'WaitingForDependency',
      message: `waiting for ResourcePool ${n.ResourcePool} to be ready`,
    });
    expect(resources.Notebook).toMatchObject({ state: 'WaitingForDependency' });
    expect(resources.ResourcePool!.dependents).toEqual([
      { kind: 'NodePool', name: n.NodePool },
      { kind: 'Notebook', name: n.Notebook },
    ]);
    // Due as the dispatcher's own wait would leave them, so the poller looks again if the pool's message is lost.
    const due = (
      await h.deps.table.ddb.send(
        new UpdateCommand({
          TableName: h.deps.table.tableName,
          Key: { pk: `REQ#${requestId}`, sk: `RES#NodePool#${n.NodePool}` },
          UpdateExpression: 'SET #u = #u',
          ExpressionAttributeNames: { '#u': 'updatedAt' },
          ReturnValues: 'ALL_NEW',
        }),
      )
    ).Attributes!;
    expect(Date.parse(due.dueAt) - at).toBeLessThanOrEqual(h.deps.settings.waitRecheckSeconds * 1000 + 1000);
    expect(due.duePk).toBe('DUE');

    // Only the pool and the edge deployment were queued; the dependents claim their identity at dispatch, not before.
    const first = await dispatchQueued();
    expect(first.map((m) => m.kind).sort()).toEqual(['EdgeDeployment', 'ResourcePool']);
    expect(await getManaged(h.deps.table, PROJECT_ID, 'NodePool', n.NodePool!)).toBeUndefined();
    expect(await getManaged(h.deps.table, PROJECT_ID, 'Notebook', n.Notebook!)).toBeUndefined();

    // The pool finishes: its dependents are queued, carrying its Huawei id.
    await untilPoolSucceeded(requestId);
    resources = await byKind(requestId);
    const second = await dispatchQueued();
    expect(second.sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      { requestId, kind: 'NodePool', name: n.NodePool, poolId: resources.ResourcePool!.huaweiId },
      { requestId, kind: 'Notebook', name: n.Notebook, poolId: resources.ResourcePool!.huaweiId },
    ]);
    expect(await getManaged(h.deps.table, PROJECT_ID, 'NodePool', n.NodePool!)).toMatchObject({
      requestId,
      state: 'InFlight',
    });

    await h.drive(requestId);
    resources = await byKind(requestId);
    expect(resources.NodePool).toMatchObject({ state: 'Succeeded', resolvedPoolName: resources.ResourcePool!.huaweiId });
    expect(resources.Notebook).toMatchObject({ state: 'Succeeded', resolvedPoolName: resources.ResourcePool!.huaweiId });
    expect((await getManaged(h.deps.table, PROJECT_ID, 'Notebook', n.Notebook!))!.state).toBe('Succeeded');
    const sim = await h.simResources();
    expect(sim.find((r) => r.kind === 'Notebook' && r.name === 'nb_wfd')!.body.pool_id).toBe(resources.ResourcePool!.huaweiId);
  });

  it('are queued with the id of a pool that another request created (Unchanged), and end Unchanged themselves', async () => {
    const first = await byKind(firstWfd);
    const again = await h.submitYaml(allKinds('wfd'));
    await h.drive(again);
    const resources = await byKind(again);
    expect(Object.values(resources).map((r) => r.state)).toEqual(['Unchanged', 'Unchanged', 'Unchanged', 'Unchanged']);
    expect(resources.ResourcePool!.huaweiId).toBe(first.ResourcePool!.huaweiId);
    expect(resources.NodePool!.huaweiId).toBe(first.NodePool!.huaweiId);
    expect((await h.simResources()).filter((r) => r.name === 'nb_wfd')).toHaveLength(1);
  });

  it('are queued by the poller when the pool succeeded but its message to them was lost', async () => {
    const requestId = await h.submitYaml(allKinds('wfdlost'));
    await dispatchQueued();
    await untilPoolSucceeded(requestId);
    // The pool's messages to its dependents vanish.
    expect(await h.stack.drainQueue(h.stack.queues.dispatch.url, { waitMs: 300 })).toHaveLength(2);
    expect((await byKind(requestId)).NodePool!.state).toBe('WaitingForDependency');

    h.advance(h.deps.settings.waitRecheckSeconds * 1000 + 1_000);
    const stats = await tick(h);
    expect(stats.requeued).toBe(2);
    await h.drive(requestId);
    const resources = await byKind(requestId);
    expect([resources.NodePool!.state, resources.Notebook!.state]).toEqual(['Succeeded', 'Succeeded']);
    expect(resources.NodePool!.resolvedPoolName).toBe(resources.ResourcePool!.huaweiId);
  });

  it('end Failed with DependencyFailed when their pool fails, without ever being dispatched', async () => {
    const n = names('wfdfail');
    const requestId = await h.submitYaml(
      allKinds('wfdfail', (doc) => {
        if (doc.kind === 'ResourcePool') doc.spec.body.spec.resources[0].flavor = 'modelarts.vm.gpu.sim-fail';
      }),
    );
    await h.drive(requestId);
    const resources = await byKind(requestId);
    expect(resources.ResourcePool!.state).toBe('Failed');
    expect(resources.NodePool).toMatchObject({ state: 'Failed', reason: 'DependencyFailed' });
    expect(resources.Notebook).toMatchObject({ state: 'Failed', reason: 'DependencyFailed' });
    expect(await getManaged(h.deps.table, PROJECT_ID, 'NodePool', n.NodePool!)).toBeUndefined();
    expect((await h.simResources()).filter((r) => r.name === 'np-wfdfail' || r.name === 'nb_wfdfail')).toEqual([]);
  });
});

describe('a finisher that dies between the terminal state and the identity', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('leaves the event in the outbox, and the poller settles the identity before publishing it', async () => {
    const requestId = await h.submitYaml(edges('idd', 1));
    const [message] = (await h.stack.drainQueue(h.stack.queues.dispatch.url, { count: 1 })).map((m) => JSON.parse(m));
    expect(await dispatchResource(h.deps, message, { receiveCount: 1 })).toBe('creating');
    const resource = (await getResource(h.deps.table, requestId, 'EdgeDeployment', 'app-idd0'))!;
    expect(resource.state).toBe('Creating');

    // The identity write fails as if the process had died right after the terminal write.
    const real = h.deps.table.ddb;
    const dying = {
      send: (command: { input?: { Key?: { pk?: string } } }) =>
        String(command.input?.Key?.pk ?? '').startsWith('MR#') ? Promise.reject(new Error('process died')) : real.send(command as never),
    } as unknown as typeof real;
    await expect(
      finishResourceOnce({ ...h.deps, table: { ...h.deps.table, ddb: dying } }, resource, { state: 'Succeeded', ownsIdentity: true }),
    ).rejects.toThrow('process died');

    const stored = (await getResource(h.deps.table, requestId, 'EdgeDeployment', 'app-idd0'))!;
    expect(stored.state).toBe('Succeeded');
    expect(stored.pendingEvents).toHaveLength(1);
    expect(await getManaged(h.deps.table, PROJECT_ID, 'EdgeDeployment', 'app-idd0')).toMatchObject({
      requestId,
      state: 'InFlight',
    });

    // Past the outbox's retry delay the poller settles the identity, publishes the event and completes the request.
    h.advance(15_000);
    await tick(h);
    await tick(h);
    expect(await getManaged(h.deps.table, PROJECT_ID, 'EdgeDeployment', 'app-idd0')).toMatchObject({
      state: 'Succeeded',
      huaweiId: resource.huaweiId,
    });
    expect((await getResource(h.deps.table, requestId, 'EdgeDeployment', 'app-idd0'))!.pendingEvents).toBeUndefined();
    // The dying finisher's publish may have gone out beside the failed identity write; the poller's repeat
    // carries the same id (one terminal event per resource, as subscribers deduplicate them).
    const events = (await h.events()).filter((e) => (e.data as { requestId: string }).requestId === requestId);
    expect([...new Set(events.map((e) => e.type))].sort()).toEqual([
      'hwc-provisioner.request.completed',
      'hwc-provisioner.resource.succeeded',
    ]);
    expect(new Set(events.filter((e) => e.type === 'hwc-provisioner.resource.succeeded').map((e) => e.id)).size).toBe(1);
    expect(events.filter((e) => e.type === 'hwc-provisioner.request.completed')).toHaveLength(1);

    // A later request for the same identity sees it created: Unchanged, nothing created again.
    const again = await h.submitYaml(edges('idd', 1));
    await h.drive(again);
    expect((await h.request(again))!.resources[0]).toMatchObject({ state: 'Unchanged', huaweiId: resource.huaweiId });
    expect((await h.simResources()).filter((r) => r.name === 'app-idd0')).toHaveLength(1);
  });
});

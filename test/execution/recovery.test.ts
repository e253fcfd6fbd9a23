import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { pollTick } from '../../shared/reconcile/poll';
import { getResource } from '../../shared/store/resources';
import { allKinds, startHarness, type Harness } from './harness';

const edge = (suffix: string) => {
  const doc = parse(allKinds(suffix).split('---\n')[3]!);
  return stringify(doc);
};

describe('the table is the source of truth', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('publishes an event later when publishing failed after the state was written (outbox)', async () => {
    const topic = h.deps.topic;
    h.deps.topic = { sns: topic.sns, topicArn: `${topic.topicArn}-missing` };
    const requestId = await h.submitYaml(edge('outbox'));
    try {
      await h.drive(requestId, { timeoutMs: 8_000 });
    } finally {
      h.deps.topic = topic;
    }
    const stored = () => getResource(h.deps.table, requestId, 'EdgeDeployment', 'app-outbox');
    const resource = await stored();
    expect(resource!.state).toBe('Succeeded');
    // Written, not yet published: the event waits in the record.
    expect(resource!.pendingEvents).toHaveLength(1);
    expect((await h.events()).filter((e) => (e.data as { requestId: string }).requestId === requestId)).toEqual([]);

    h.advance(15_000);
    await pollTick(h.deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });
    await pollTick(h.deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });
    const events = (await h.events()).filter((e) => (e.data as { requestId: string }).requestId === requestId);
    expect(events.map((e) => e.type).sort()).toEqual(['hwc-provisioner.request.completed', 'hwc-provisioner.resource.succeeded']);
    expect((await stored())!.pendingEvents).toBeUndefined();
    // A further tick publishes nothing again.
    await pollTick(h.deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });
    expect((await h.events()).filter((e) => (e.data as { requestId: string }).requestId === requestId)).toHaveLength(2);
  });

  it('re-queues a resource whose dispatch message was lost, once its grace period has passed', async () => {
    const requestId = await h.submitYaml(edge('lost'));
    // The message vanishes (an emulator restart, a purge): nothing but the table remembers the resource.
    expect(await h.stack.drainQueue(h.stack.queues.dispatch.url, { count: 1 })).toHaveLength(1);
    const before = await pollTick(h.deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });
    expect(before.requeued).toBe(0);
    h.advance(10_000);
    const after = await pollTick(h.deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });
    expect(after.requeued).toBe(1);
    await h.drive(requestId);
    expect((await h.request(requestId))!.resources[0]!.state).toBe('Succeeded');
  });

  it('reads only due items: finished history costs a tick nothing', async () => {
    const idle = await pollTick(h.deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });
    expect(idle.itemsRead).toBe(0);
  });

  it('leaves what a tick cannot reach for the next one', async () => {
    const requestId = await h.submitYaml(edge('budget'));
    h.advance(10_000);
    const starved = await pollTick(h.deps, { budgetMs: 0, concurrency: 1, requeueGraceSeconds: 2 });
    expect(starved).toMatchObject({ deferred: true, requeued: 0 });
    await h.drive(requestId);
    expect((await h.request(requestId))!.resources[0]!.state).toBe('Succeeded');
  });
});

describe('dependents that never reached the dispatcher', () => {
  it('end Failed with DependencyFailed when their pool is rejected by Huawei before they were dispatched', async () => {
    const { HuaweiPermanentError } = await import('../../shared/huaweicloud/errors');
    const h = await startHarness();
    try {
      const real = h.deps.cloud;
      h.deps.cloud = {
        ...real,
        create: async (kind, resource, target, referenceId) => {
          if (kind === 'ResourcePool')
            throw new HuaweiPermanentError({
              operation: 'create ResourcePool',
              status: 400,
              errorCode: 'ModelArts.50004000',
              errorMsg: 'Bad request. quota exceeded',
            });
          return real.create(kind, resource, target, referenceId);
        },
      };
      const yaml = allKinds('rejected');
      const requestId = await h.submitYaml(yaml);
      // Only the pool's message is delivered first: its dependents wait for it (WaitingForDependency, never
      // dispatched, no identity claimed) and have no message of their own; the edge deployment's comes late.
      const messages = await h.stack.drainQueue(h.stack.queues.dispatch.url, { count: 2 });
      expect(messages.map((m) => JSON.parse(m).kind).sort()).toEqual(['EdgeDeployment', 'ResourcePool']);
      const pool = messages.find((m) => JSON.parse(m).kind === 'ResourcePool')!;
      const { dispatchResource } = await import('../../shared/reconcile/dispatch');
      await dispatchResource(h.deps, JSON.parse(pool), { receiveCount: 1 });
      const byKind = Object.fromEntries((await h.request(requestId))!.resources.map((r) => [r.kind, r]));
      expect(byKind.ResourcePool).toMatchObject({ state: 'Failed', reason: 'ModelArts.50004000', message: 'Bad request. quota exceeded' });
      expect(byKind.NodePool).toMatchObject({ state: 'Failed', reason: 'DependencyFailed' });
      expect(byKind.Notebook).toMatchObject({ state: 'Failed', reason: 'DependencyFailed' });
      // The late messages of the dependents change nothing.
      for (const m of messages.filter((m) => m !== pool)) await dispatchResource(h.deps, JSON.parse(m), { receiveCount: 1 });
      expect(
        (await h.request(requestId))!.resources.filter((r) => r.kind === 'NodePool' || r.kind === 'Notebook').map((r) => r.state),
      ).toEqual(['Failed', 'Failed']);
    } finally {
      await h.close();
    }
  });
});

/**
 * One poller tick (shared/reconcile/poll.ts) against the real table and topic, with a small in-test cloud: what the due
 * index says is due is read, nothing else is, and a spent time budget starts no work.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Observation } from '../../shared/kinds/adapter';
import { adapterOf } from '../../shared/kinds/registry';
import type { CloudApi } from '../../shared/reconcile/cloud';
import type { ReconcileDeps } from '../../shared/reconcile/dispatch';
import { pollTick, type TickSettings } from '../../shared/reconcile/poll';
import { dueAt } from '../../shared/store/due';
import { putAcceptedRequestOnce, resourceKey } from '../../shared/store/requests';
import type { ResourceRecord } from '../../shared/store/types';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { newRequestId, request, resource } from '../store/fixtures';

const SETTINGS: TickSettings = { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 30 };

/** Answers observations from a map of Huawei IDs to bodies (default: still creating) and records every call. */
class FakeCloud implements CloudApi {
  readonly shown: string[] = [];
  constructor(readonly bodies: Record<string, unknown> = {}) {}
  async create(): Promise<{ id: string }> {
    throw new Error('the poller never creates');
  }
  async observe(kind: string, _target: unknown, id: string): Promise<Observation> {
    this.shown.push(id);
    return adapterOf(kind).statusOf(this.bodies[id] ?? { status: 'CREATING' });
  }
  async findByName(): Promise<unknown[]> {
    throw new Error('the poller never looks up by name');
  }
  async update(): Promise<never> {
    throw new Error('nothing here is updated');
  }
  async delete(): Promise<void> {
    throw new Error('nothing here is deleted');
  }
  async preflight(): Promise<never> {
    throw new Error('the poller never preflights');
  }
}

describe('pollTick', () => {
  // The due index is one partition per table: a table per test keeps one test's due items out of another's tick.
  let stack: LocalStack;
  let cloud: FakeCloud;
  let clock: Date;
  let deps: ReconcileDeps;
  beforeEach(async () => {
    stack = await useLocalResources();
    cloud = new FakeCloud();
    clock = new Date();
    deps = {
      table: { ddb: stack.ddb, tableName: stack.tableName },
      topic: { sns: stack.sns, topicArn: stack.topicArn },
      dispatch: { sqs: stack.sqs, queueUrl: stack.queues.dispatch.url },
      cloud,
      now: () => clock,
      settings: { leaseSeconds: 1, waitRecheckSeconds: 0.2, pollScale: 1, maxReceives: 50 },
    };
  });
  afterEach(() => stack.close());

  const at = (offsetSeconds: number) => dueAt(clock, offsetSeconds);

  /** A Creating notebook as the dispatcher leaves it, with Huawei ID `hw-<name>`. */
  const creating = (requestId: string, name: string): ResourceRecord =>
    resource(requestId, name, {
      state: 'Creating',
      huaweiId: `hw-${name}`,
      manifest: { kind: 'Notebook', metadata: { name }, spec: { body: { name } } },
      createStartedAt: clock.toISOString(),
      deadlineAt: dueAt(clock, 3_600),
    });

  /** One accepted request (itself not due) and its resources, each due at the time given. */
  async function seed(resources: { record: ResourceRecord; dueAt: string }[]): Promise<void> {
    const requestId = resources[0]!.record.requestId;
    const written = await putAcceptedRequestOnce(deps.table, request(requestId, { resourceCount: resources.length }), resources);
    expect(written).toBe('written');
  }

  const stored = async (record: ResourceRecord) =>
    (
      await stack.ddb.send(
        new GetCommand({
          TableName: stack.tableName,
          Key: resourceKey(record.requestId, record.kind, record.name),
          ConsistentRead: true,
        }),
      )
    ).Item!;

  it('reads the items that are due, up to now inclusive, and leaves those due later alone', async () => {
    const requestId = newRequestId();
    const [overdue, justDue, dueNow, later] = ['overdue', 'just-due', 'due-now', 'later'].map((name) => creating(requestId, name));
    await seed([
      { record: overdue!, dueAt: at(-600) },
      { record: justDue!, dueAt: at(-1) },
      { record: dueNow!, dueAt: at(0) },
      { record: later!, dueAt: at(5) },
    ]);

    const stats = await pollTick(deps, SETTINGS);

    expect(stats).toMatchObject({ itemsRead: 3, polled: 3, finished: 0, requeued: 0, published: 0, deferred: false });
    expect(cloud.shown.sort()).toEqual(['hw-due-now', 'hw-just-due', 'hw-overdue']);
    // Each one read was polled once and moved on to its next poll; the one not yet due is untouched.
    for (const record of [overdue!, justDue!, dueNow!]) {
      const item = await stored(record);
      expect(item).toMatchObject({ state: 'Creating', polls: 1, duePk: 'DUE' });
      expect(item.dueAt > clock.toISOString()).toBe(true);
    }
    const untouched = await stored(later!);
    expect(untouched).toMatchObject({ state: 'Creating', duePk: 'DUE', dueAt: at(5) });
    expect(untouched.polls).toBeUndefined();

    // Once its time comes, the later one is read, alone: the others' next polls (10 s on) are not due yet.
    clock = new Date(clock.getTime() + 5_000);
    cloud.shown.length = 0;
    expect(await pollTick(deps, SETTINGS)).toMatchObject({ itemsRead: 1, polled: 1, deferred: false });
    expect(cloud.shown).toEqual(['hw-later']);
  });

  it('with no time budget left starts no work and reports the due items as deferred', async () => {
    const requestId = newRequestId();
    const records = ['a', 'b'].map((name) => creating(requestId, name));
    await seed(records.map((record) => ({ record, dueAt: at(-60) })));

    const stats = await pollTick(deps, { ...SETTINGS, budgetMs: 0 });

    expect(stats).toEqual({
      itemsRead: 0,
      polled: 0,
      finished: 0,
      requeued: 0,
      published: 0,
      deferred: true,
      durationMs: expect.any(Number),
    });
    expect(cloud.shown).toEqual([]);
    // Still due, unchanged, for the next tick, which reaches them.
    for (const record of records) expect(await stored(record)).toMatchObject({ duePk: 'DUE', dueAt: at(-60) });
    expect(await pollTick(deps, SETTINGS)).toMatchObject({ itemsRead: 2, polled: 2, deferred: false });
  });

  it('does not read a finished resource', async () => {
    const requestId = newRequestId();
    const record = creating(requestId, 'ready');
    cloud.bodies['hw-ready'] = { status: 'RUNNING' };
    await seed([{ record, dueAt: at(-1) }]);
    // History beside it: a resource that finished long ago, as the outbox leaves it (out of the due index).
    const old = resource(requestId, 'old', { state: 'Succeeded', huaweiId: 'hw-old', finishedAt: at(-3_600) });
    await stack.ddb.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { ...resourceKey(requestId, old.kind, old.name), type: 'resource', ...old },
      }),
    );

    // The tick that sees it ready finishes it: the event is published and the item leaves the due index.
    expect(await pollTick(deps, SETTINGS)).toMatchObject({ itemsRead: 1, polled: 1, finished: 1, deferred: false });
    const finished = await stored(record);
    expect(finished).toMatchObject({ state: 'Succeeded' });
    expect(finished).not.toHaveProperty('duePk');
    expect(finished).not.toHaveProperty('pendingEvents');

    // Later ticks read neither of them, whatever the clock says.
    clock = new Date(clock.getTime() + 24 * 3_600_000);
    expect(await pollTick(deps, SETTINGS)).toMatchObject({ itemsRead: 0, polled: 0, finished: 0, deferred: false });
    expect(cloud.shown).toEqual(['hw-ready']);
  });
});

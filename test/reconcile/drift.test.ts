/**
 * Looks for drift, through the real poller's drift pass against the simulator: a resource changed outside
 * hwc-provisioner (through Huawei's own signed update API, as any other tool would) is reported once with the
 * field-level diff and Synced false; back in sync it is reported once more; a resource deleted outside becomes
 * Missing. Only the resources due are read, each in its own slot of the interval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_DEFAULTS } from '../../local/huaweicloud-simulator/index';
import { HuaweiCloudClient } from '../../shared/huaweicloud/client';
import { driftTick } from '../../shared/reconcile/drift';
import { nextDriftAt } from '../../shared/reconcile/drift-schedule';
import { getManaged } from '../../shared/store/managed';
import { notebook, PROJECT_ID, startHarness, type Harness } from '../execution/harness';

const INTERVAL = 30;
const settings = { budgetMs: 10_000, concurrency: 4, intervalMinutes: INTERVAL };

describe('looking for drift', () => {
  let h: Harness;
  let tool: HuaweiCloudClient;
  beforeAll(async () => {
    h = await startHarness();
    tool = new HuaweiCloudClient({
      credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
      modelartsEndpoint: h.simulator.url,
      iefEndpoint: h.simulator.url,
    });
  });
  afterAll(() => h.close());

  async function created(suffix: string) {
    const requestId = await h.submitYaml(notebook(suffix));
    await h.drive(requestId);
    const managed = (await getManaged(h.deps.table, PROJECT_ID, 'Notebook', `nb-${suffix}`))!;
    expect(managed).toMatchObject({ state: 'Succeeded' });
    return managed;
  }
  /** Another tool changes the notebook through Huawei's API, signed as any client would sign it. */
  const changeOutside = (id: string, body: Record<string, unknown>) =>
    tool.send({
      operation: 'test update',
      callKind: 'update',
      method: body.delete ? 'DELETE' : 'PUT',
      service: 'modelarts',
      path: `/v1/${PROJECT_ID}/notebooks/${id}`,
      target: { projectId: PROJECT_ID, region: 'cn-north-4' },
      ...(body.delete ? {} : { body }),
    });
  const eventsOf = async (name: string) =>
    (await h.events()).filter((e) => e.subject === `Notebook/${name}` && /drifted|synced|missing|healthy/.test(e.type));

  it('schedules each ready resource in its own slot: within one interval, the same slot every interval', () => {
    const from = new Date('2026-12-04T10:00:00.000Z');
    const slots = ['a', 'b', 'c', 'd'].map((name) => Date.parse(nextDriftAt({ projectId: 'p', kind: 'Notebook', name }, from, INTERVAL)));
    for (const at of slots) {
      expect(at).toBeGreaterThan(from.getTime());
      expect(at - from.getTime()).toBeLessThanOrEqual(INTERVAL * 60_000);
    }
    expect(new Set(slots).size).toBe(4);
    const once = nextDriftAt({ projectId: 'p', kind: 'Notebook', name: 'a' }, from, INTERVAL);
    expect(Date.parse(nextDriftAt({ projectId: 'p', kind: 'Notebook', name: 'a' }, new Date(once), INTERVAL)) - Date.parse(once)).toBe(
      INTERVAL * 60_000,
    );
  });

  it('reports a change made outside once, with the diff, and its return to sync once', async () => {
    const managed = await created('drift1');
    // Nothing is due before its slot: a look reads nothing and announces nothing.
    const early = await driftTick(h.deps, settings);
    expect(early.looked).toBe(0);
    h.advance(INTERVAL * 60_000);
    const first = await driftTick(h.deps, settings);
    expect(first.looked).toBeGreaterThanOrEqual(1);
    expect(await getManaged(h.deps.table, PROJECT_ID, 'Notebook', 'nb-drift1')).toMatchObject({
      conditions: { Synced: { status: 'True' }, Ready: { status: 'True' } },
    });
    expect(await eventsOf('nb-drift1')).toEqual([]);

    await changeOutside(managed.huaweiId!, { description: 'changed in the console' });
    h.advance(INTERVAL * 60_000);
    await driftTick(h.deps, settings);
    const drifted = (await getManaged(h.deps.table, PROJECT_ID, 'Notebook', 'nb-drift1'))!;
    expect(drifted.conditions.Synced).toMatchObject({ status: 'False', reason: 'Drifted' });
    expect(drifted.drift).toEqual([{ path: 'spec.body.description', desired: 'api-test', observed: 'changed in the console' }]);
    // Still drifted a week later: no more events.
    for (let i = 0; i < 3; i++) {
      h.advance(INTERVAL * 60_000);
      await driftTick(h.deps, settings);
    }
    await changeOutside(managed.huaweiId!, { description: 'api-test' });
    h.advance(INTERVAL * 60_000);
    await driftTick(h.deps, settings);
    const events = await eventsOf('nb-drift1');
    expect(events.map((e) => e.type)).toEqual(['hwc-provisioner.resource.drifted', 'hwc-provisioner.resource.synced']);
    expect(events[0]!.data).toMatchObject({
      diff: [{ path: 'spec.body.description', desired: 'api-test', observed: 'changed in the console' }],
      driftPolicy: 'Observe',
      huaweiId: managed.huaweiId,
    });
  });

  it('reports a resource deleted outside as missing, once', async () => {
    const managed = await created('drift2');
    await changeOutside(managed.huaweiId!, { delete: true });
    // The simulator's delete takes a moment before its show answers not found.
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 2; i++) {
      h.advance(INTERVAL * 60_000);
      await driftTick(h.deps, settings);
    }
    expect(await getManaged(h.deps.table, PROJECT_ID, 'Notebook', 'nb-drift2')).toMatchObject({
      conditions: { Ready: { status: 'False', reason: 'Missing' } },
    });
    expect((await eventsOf('nb-drift2')).map((e) => e.type)).toEqual(['hwc-provisioner.resource.missing']);
  });

  it('keeps what it knew when Huawei does not answer, and looks again in the next slot', async () => {
    await created('drift3');
    await h.faults({ rate500: 1 });
    try {
      h.advance(INTERVAL * 60_000);
      const stats = await driftTick(h.deps, settings);
      expect(stats.unreadable).toBeGreaterThanOrEqual(1);
      expect(await getManaged(h.deps.table, PROJECT_ID, 'Notebook', 'nb-drift3')).toMatchObject({
        conditions: { Synced: { status: 'True' }, Ready: { status: 'True' } },
      });
    } finally {
      await h.faults({ rate500: 0 });
    }
    expect(await eventsOf('nb-drift3')).toEqual([]);
  }, 60_000);
});

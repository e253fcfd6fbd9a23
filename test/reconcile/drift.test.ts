/**
 * Looks for drift, through the real poller's drift pass against the simulator: a resource changed outside
 * hwc-provisioner (through Huawei's own signed update API, as any other tool would) is reported once with the
 * field-level diff and Synced false; back in sync it is reported once more; a resource deleted outside becomes
 * Missing. Only the resources due are read, each in its own slot of the interval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_DEFAULTS } from '../../local/huaweicloud-simulator/index';
import { HuaweiCloudClient } from '../../shared/huaweicloud/client';
import { processIntakeMessage } from '../../shared/intake/service';
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

  it('keeps health apart from sync: a notebook stopped outside is unhealthy, not drifted, until it runs again', async () => {
    const managed = await created('drift4');
    const notebookPath = `/v1/${PROJECT_ID}/notebooks/${managed.huaweiId}`;
    const action = (verb: 'stop' | 'start') =>
      tool.send({
        operation: `test ${verb}`,
        callKind: 'update',
        method: 'POST',
        service: 'modelarts',
        path: `${notebookPath}/${verb}`,
        target: { projectId: PROJECT_ID, region: 'cn-north-4' },
      });
    await action('stop');
    await new Promise((r) => setTimeout(r, 600));
    h.advance(INTERVAL * 60_000);
    await driftTick(h.deps, settings);
    expect(await getManaged(h.deps.table, PROJECT_ID, 'Notebook', 'nb-drift4')).toMatchObject({
      conditions: { Synced: { status: 'True' }, Healthy: { status: 'False', reason: 'STOPPED' }, Ready: { status: 'True' } },
    });
    await action('start');
    await new Promise((r) => setTimeout(r, 600));
    h.advance(INTERVAL * 60_000);
    await driftTick(h.deps, settings);
    expect((await eventsOf('nb-drift4')).map((e) => e.type)).toEqual([
      'hwc-provisioner.resource.unhealthy',
      'hwc-provisioner.resource.healthy',
    ]);
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
  describe('with driftPolicy: Correct', () => {
    const correcting = (suffix: string) => notebook(suffix, (doc) => (doc.spec.driftPolicy = 'Correct'));
    /** The look hands intake a correction; intake records it as the source that last applied the manifest would. */
    async function correctionRequest(): Promise<string> {
      const [job] = await h.stack.drainQueue(h.stack.queues.intake.url, { count: 1, maxMs: 5_000 });
      expect(job).toBeDefined();
      const outcome = await processIntakeMessage(
        {
          table: h.deps.table,
          dispatch: h.deps.dispatch,
          topic: h.deps.topic,
          defaults: { projectId: PROJECT_ID, region: 'cn-north-4' },
          now: h.deps.now,
        },
        { globs: [], github: { apiUrl: 'http://127.0.0.1:9' }, gitlab: { apiUrl: 'http://127.0.0.1:9' } },
        { messageId: 'm-correction', body: job! },
      );
      expect(outcome).toMatchObject({ status: 'accepted' });
      return (outcome as { requestId: string }).requestId;
    }
    const withIntake = () => ({ ...h.deps, intake: { sqs: h.stack.sqs, queueUrl: h.stack.queues.intake.url } });

    it('restores a field changed outside through the update path, keeping the id, and reports it back in sync', async () => {
      const requestId = await h.submitYaml(correcting('fix1'));
      await h.drive(requestId);
      const managed = (await getManaged(h.deps.table, PROJECT_ID, 'Notebook', 'nb-fix1'))!;
      await changeOutside(managed.huaweiId!, { description: 'changed in the console' });
      h.advance(INTERVAL * 60_000);
      await driftTick(withIntake(), settings);
      const correction = await correctionRequest();
      await h.drive(correction);
      const [fixed] = (await h.request(correction))!.resources;
      expect(fixed).toMatchObject({ state: 'Succeeded', operation: 'update', huaweiId: managed.huaweiId });
      const sim = (await h.simResources()).find((r) => r.id === managed.huaweiId)!;
      // The description carries the ownership mark after the manifest's text, as at creation.
      expect(sim.body.description).toMatch(/^api-test( hwcp-[0-9a-f]+)?$/);
      h.advance(INTERVAL * 60_000);
      await driftTick(withIntake(), settings);
      expect((await eventsOf('nb-fix1')).map((e) => e.type)).toEqual([
        'hwc-provisioner.resource.drifted',
        'hwc-provisioner.resource.synced',
      ]);
      const updated = (await h.events()).filter((e) => e.subject === 'Notebook/nb-fix1' && e.type === 'hwc-provisioner.resource.updated');
      expect(updated.map((e) => e.data.requestId)).toEqual([correction]);
      expect(await getManaged(h.deps.table, PROJECT_ID, 'Notebook', 'nb-fix1')).toMatchObject({
        conditions: { Synced: { status: 'True' } },
        generation: 2,
      });
    }, 60_000);

    it('creates again, with a new id, a resource deleted outside', async () => {
      const requestId = await h.submitYaml(correcting('fix2'));
      await h.drive(requestId);
      const managed = (await getManaged(h.deps.table, PROJECT_ID, 'Notebook', 'nb-fix2'))!;
      await changeOutside(managed.huaweiId!, { delete: true });
      await new Promise((r) => setTimeout(r, 500));
      h.advance(INTERVAL * 60_000);
      await driftTick(withIntake(), settings);
      expect((await eventsOf('nb-fix2')).map((e) => e.type)).toEqual(['hwc-provisioner.resource.missing']);
      const correction = await correctionRequest();
      await h.drive(correction);
      const [again] = (await h.request(correction))!.resources;
      expect(again).toMatchObject({ state: 'Succeeded', operation: 'recreate' });
      expect(again!.huaweiId).not.toBe(managed.huaweiId);
      const live = (await h.simResources()).filter((r) => r.name === 'nb_fix2' && (r as { outcome?: string }).outcome !== 'deleted');
      expect(live.map((r) => r.id)).toContain(again!.huaweiId);
    }, 60_000);
  });
});

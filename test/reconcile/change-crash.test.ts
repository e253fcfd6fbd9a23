import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removalOfCall } from '../../shared/intake/removal';
import { submit } from '../../shared/intake/submit';
import { randomRequestId } from '../../shared/intake/ids';
import { notebook, PROJECT_ID, SimulatedCrash, startHarness, type Harness } from '../execution/harness';

interface SimEntry {
  id: string;
  name: string;
  outcome?: string;
  body: Record<string, unknown>;
  operations?: { op: string }[];
}

/**
 * The process dies right after an update's or delete's intent, and right after a call is sent but before its
 * answer is recorded: the work still finishes, and nothing is applied twice.
 */
describe('updates and deletes survive a crash at each dangerous point', () => {
  let h: Harness;
  /** Which crash point fires next (once), if any. */
  let armed: 'afterIntent' | 'afterCreate' | undefined;
  const crashes: string[] = [];
  const crashAt = (point: 'afterIntent' | 'afterCreate') => () => {
    if (armed !== point) return;
    armed = undefined;
    crashes.push(point);
    throw new SimulatedCrash(`simulated crash ${point}`);
  };
  beforeAll(async () => {
    h = await startHarness({ crashPoints: { afterIntent: crashAt('afterIntent'), afterCreate: crashAt('afterCreate') } });
  });
  afterAll(() => h.close());

  const sim = async (id: string) => ((await h.simResources()) as SimEntry[]).find((r) => r.id === id)!;
  async function apply(yaml: string) {
    const requestId = await h.submitYaml(yaml);
    await h.drive(requestId, { timeoutMs: 40_000 });
    return (await h.request(requestId))!.resources[0]!;
  }

  for (const point of ['afterIntent', 'afterCreate'] as const) {
    it(`an update crashed ${point} converges, each call once`, async () => {
      const created = await apply(notebook(`crash-${point.toLowerCase()}`));
      armed = point;
      const updated = await apply(notebook(`crash-${point.toLowerCase()}`, (doc) => (doc.spec.body.flavor = 'modelarts.vm.cpu.8u')));
      expect(crashes).toContain(point);
      expect(updated).toMatchObject({ state: 'Succeeded', operation: 'update', huaweiId: created.huaweiId });
      const seen = await sim(created.huaweiId!);
      expect(seen.body.flavor).toBe('modelarts.vm.cpu.8u');
      expect(seen.operations!.map((o) => o.op)).toEqual(['stop', 'update', 'start']);
    });

    it(`a delete crashed ${point} ends Deleted, sent once`, async () => {
      const created = await apply(notebook(`crashdel-${point.toLowerCase()}`));
      const removal = await removalOfCall(
        h.deps.table,
        { projectId: PROJECT_ID, kind: 'Notebook', name: `nb-crashdel-${point.toLowerCase()}`, operation: 'delete' },
        'api:test',
      );
      armed = point;
      const requestId = randomRequestId();
      await submit(
        { table: h.deps.table, dispatch: h.deps.dispatch, defaults: { projectId: PROJECT_ID, region: 'cn-north-4' }, now: h.deps.now },
        { requestId, source: { provider: 'api', ref: 'api:test', caller: 'test' }, files: [], removals: [removal] },
      );
      await h.drive(requestId, { timeoutMs: 40_000 });
      expect(crashes.filter((c) => c === point).length).toBeGreaterThanOrEqual(1);
      expect((await h.request(requestId))!.resources[0]!.state).toBe('Deleted');
      const ledger = await sim(created.huaweiId!);
      expect(ledger.outcome).toBe('deleted');
      expect(ledger.operations!.filter((o) => o.op === 'delete')).toHaveLength(1);
    });
  }
});

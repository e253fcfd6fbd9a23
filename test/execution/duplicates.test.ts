import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../local/huaweicloud-simulator/faults';
import { allKinds, startHarness, type Harness } from './harness';

/**
 * The create APIs have no idempotency token, so this is the property that matters most: with creates
 * committed and their responses lost, and the dispatcher dying between create and record, Huawei ends
 * up with exactly one resource per manifest. The "death" is an exception thrown at the crash point: the
 * handler stops there, the message is not deleted, and SQS delivers it again, as after a killed process.
 */
describe('duplicate safety under dropped responses and dispatcher crashes', () => {
  let h: Harness;
  let crash: () => boolean = () => false;
  beforeAll(async () => {
    h = await startHarness({
      crashPoints: {
        afterCreate: () => {
          if (crash()) throw new Error('simulated crash between create and record');
        },
        afterIntent: () => {
          if (crash()) throw new Error('simulated crash between intent and create');
        },
      },
    });
  });
  afterAll(() => h.close());

  it.each(Array.from({ length: 20 }, (_, i) => i + 1))(
    'seed %i: exactly one Huawei resource per manifest',
    async (seed) => {
      const random = mulberry32(seed * 7919);
      crash = () => random() < 0.35;
      await h.faults({ rateDrop: 0.3, seed });
      const requestId = await h.submitYaml(allKinds(`s${seed}`));
      await h.drive(requestId, { timeoutMs: 25_000 });
      await h.faults({ rateDrop: 0, seed });
      crash = () => false;

      const { resources } = (await h.request(requestId))!;
      expect(resources.map((r) => r.state)).toEqual(['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded']);
      const created = (await h.simResources()).filter((r) => r.name.endsWith(`s${seed}`));
      const perName = new Map<string, number>();
      for (const r of created) perName.set(`${r.kind}/${r.name}`, (perName.get(`${r.kind}/${r.name}`) ?? 0) + 1);
      expect(Object.fromEntries(perName)).toEqual({
        [`ResourcePool/pool-s${seed}`]: 1,
        [`NodePool/np-s${seed}`]: 1,
        [`Notebook/nb_s${seed}`]: 1,
        [`EdgeDeployment/app-s${seed}`]: 1,
      });
      // And each resource's record points at that one Huawei resource.
      expect(new Set(resources.map((r) => r.huaweiId))).toEqual(new Set(created.map((r) => (r.kind === 'NodePool' ? r.name : r.id))));
      const events = (await h.events()).filter((e) => (e.data as { requestId: string }).requestId === requestId);
      expect(new Set(events.map((e) => e.id)).size).toBe(5);
    },
    40_000,
  );
});

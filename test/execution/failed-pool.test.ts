import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { allKinds, startHarness, type Harness } from './harness';

/**
 * Found by the soak (npm run soak): the pools list hides failed pools unless asked for status=failed, so a
 * look-up after a lost create answer missed a pool that had already failed, and the dispatcher created a
 * second (billed) pool under the same display name. The look-up must see failed pools too, adopt the
 * one it created, and let the poller report it Failed.
 */
describe('look-up before a repeat create also sees pools that already failed', () => {
  let h: Harness;
  let crashes = 0;
  beforeAll(async () => {
    h = await startHarness({
      crashPoints: {
        // The dispatcher dies once right after the pool's create was accepted: the answer is lost.
        afterCreate: () => {
          if (crashes++ === 0) throw new Error('simulated crash between create and record');
        },
      },
    });
  });
  afterAll(() => h.close());

  it('adopts the failed pool instead of creating another one', async () => {
    const pool = parseAllDocuments(allKinds('fp'))[0]!.toJS() as Record<string, any>;
    // The simulator fails a pool whose body carries this marker, 60% into its (fast) creation.
    pool.spec.body.metadata.annotations['os.modelarts/description'] = 'sim-fail';
    const requestId = await h.submitYaml(stringify(pool));
    await h.drive(requestId, { timeoutMs: 20_000 });

    // One create: the crash after it, then an adoption (a second create would pass this point again).
    expect(crashes).toBe(1);
    const created = (await h.simResources()).filter((r) => r.kind === 'ResourcePool' && r.name === 'pool-fp');
    expect(created).toHaveLength(1);
    const [resource] = (await h.request(requestId))!.resources;
    expect(resource).toMatchObject({ state: 'Failed', huaweiId: created[0]!.id });
  });
});

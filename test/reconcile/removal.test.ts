import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomRequestId } from '../../shared/intake/ids';
import { removalOfCall, RemovalRefusedError, type Removal } from '../../shared/intake/removal';
import { submit } from '../../shared/intake/submit';
import { claimRemoval, getManaged } from '../../shared/store/managed';
import { updateResource } from '../../shared/store/resources';
import type { RequestSource } from '../../shared/store/types';
import { allKinds, notebook, PROJECT_ID, startHarness, type Harness } from '../execution/harness';

const API: RequestSource = { provider: 'api', ref: 'api:test', caller: 'test' };
const OWNER = 'api:test';

/** Deleting and orphaning through the real dispatcher and poller, against the simulator. */
describe('removals', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  async function remove(removals: Removal[], source: RequestSource = API): Promise<string> {
    const requestId = randomRequestId();
    const outcome = await submit(
      { table: h.deps.table, dispatch: h.deps.dispatch, defaults: { projectId: PROJECT_ID, region: 'cn-north-4' }, now: h.deps.now },
      { requestId, source, files: [], removals },
    );
    expect(outcome.status).toBe('accepted');
    return requestId;
  }
  const ask = (kind: string, name: string, operation: 'delete' | 'orphan' = 'delete') =>
    removalOfCall(h.deps.table, { projectId: PROJECT_ID, kind, name, operation }, OWNER);
  /** What Huawei still holds: the simulator's ledger lists deleted resources too, marked deleted. */
  const live = async (kind: string) =>
    (await h.simResources()).filter((r) => r.kind === kind && (r as { outcome?: string }).outcome !== 'deleted');

  it('deletes a notebook: gone from Huawei, Deleted, resource.deleted published, the managed resource released', async () => {
    const created = await h.submitYaml(notebook('del1'));
    await h.drive(created);
    const { huaweiId } = (await h.request(created))!.resources[0]!;
    expect((await live('Notebook')).some((r) => r.id === huaweiId)).toBe(true);

    const requestId = await remove([await ask('Notebook', 'nb-del1')]);
    await h.drive(requestId);
    const resource = (await h.request(requestId))!.resources[0]!;
    expect(resource).toMatchObject({ state: 'Deleted', huaweiId });
    expect((await live('Notebook')).some((r) => r.id === huaweiId)).toBe(false);
    expect((await getManaged(h.deps.table, PROJECT_ID, 'Notebook', 'nb-del1'))?.state).toBe('Deleted');
    const events = (await h.events()).filter((e) => e.subject === 'Notebook/nb-del1');
    expect(events.map((e) => e.type)).toEqual(['hwc-provisioner.resource.succeeded', 'hwc-provisioner.resource.deleted']);
    expect(events[1]!.data).toMatchObject({ operation: 'delete', state: 'Deleted' });
  });

  it('orphans a notebook (left running, no longer managed); a later create adopts it instead of making a second', async () => {
    const created = await h.submitYaml(notebook('orph1'));
    await h.drive(created);
    const { huaweiId } = (await h.request(created))!.resources[0]!;

    const requestId = await remove([await ask('Notebook', 'nb-orph1', 'orphan')]);
    await h.drive(requestId);
    expect((await h.request(requestId))!.resources[0]).toMatchObject({ state: 'Orphaned', huaweiId });
    expect((await live('Notebook')).filter((r) => r.name === 'nb_orph1')).toHaveLength(1);
    await expect(ask('Notebook', 'nb-orph1')).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });

    const again = await h.submitYaml(notebook('orph1'));
    await h.drive(again);
    expect((await h.request(again))!.resources[0]).toMatchObject({ state: 'Succeeded', huaweiId });
    expect((await live('Notebook')).filter((r) => r.name === 'nb_orph1')).toHaveLength(1);
  });

  it('refuses to delete a pool that still holds node pools and notebooks, naming them', async () => {
    const created = await h.submitYaml(allKinds('delp'));
    await h.drive(created, { timeoutMs: 30_000 });
    expect((await h.request(created))!.resources.every((r) => r.state === 'Succeeded')).toBe(true);

    const refused = await ask('ResourcePool', 'train-pool-delp').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RemovalRefusedError);
    expect((refused as Error).message).toBe(
      'ResourcePool/train-pool-delp still holds NodePool/train-nodepool-delp, Notebook/train-notebook-delp: delete them first',
    );

    // Past the API's check (a push removing only the pool's file): the dispatcher refuses too, and deletes nothing.
    const pool = await getManaged(h.deps.table, PROJECT_ID, 'ResourcePool', 'train-pool-delp');
    const requestId = await remove([
      {
        projectId: PROJECT_ID,
        region: 'cn-north-4',
        kind: 'ResourcePool',
        name: 'train-pool-delp',
        operation: 'delete',
        file: 'f',
        spec: pool!.desired,
      },
    ]);
    await h.drive(requestId);
    expect((await h.request(requestId))!.resources[0]).toMatchObject({
      state: 'Failed',
      reason: 'HasDependents',
      message: 'still holds NodePool/train-nodepool-delp, Notebook/train-notebook-delp, which are not being deleted: delete them first',
    });
    expect((await live('ResourcePool')).some((r) => r.id === pool!.huaweiId)).toBe(true);
    expect((await getManaged(h.deps.table, PROJECT_ID, 'ResourcePool', 'train-pool-delp'))?.state).toBe('Succeeded');
  }, 90_000);

  it('deletes a pool together with its dependents in one request, dependents first', async () => {
    const created = await h.submitYaml(allKinds('delq'));
    await h.drive(created, { timeoutMs: 30_000 });
    const pool = await getManaged(h.deps.table, PROJECT_ID, 'ResourcePool', 'train-pool-delq');
    const removals: Removal[] = ['ResourcePool/train-pool-delq', 'NodePool/train-nodepool-delq', 'Notebook/train-notebook-delq'].map(
      (identity) => {
        const [kind, name] = identity.split('/') as [string, string];
        return { projectId: PROJECT_ID, region: 'cn-north-4', kind, name, operation: 'delete', file: 'request', spec: {} };
      },
    );
    removals[0]!.spec = pool!.desired;
    for (const r of removals.slice(1)) r.spec = (await getManaged(h.deps.table, PROJECT_ID, r.kind, r.name))!.desired;
    const requestId = await remove(removals);
    await h.drive(requestId, { timeoutMs: 40_000 });
    const resources = (await h.request(requestId))!.resources;
    expect(resources.map((r) => r.state)).toEqual(['Deleted', 'Deleted', 'Deleted']);
    const finished = Object.fromEntries(resources.map((r) => [r.kind, r.finishedAt!]));
    expect(finished.ResourcePool! >= finished.NodePool!).toBe(true);
    expect(finished.ResourcePool! >= finished.Notebook!).toBe(true);
    expect((await live('ResourcePool')).some((r) => r.id === pool!.huaweiId)).toBe(false);
  }, 120_000);

  it('a pool does not wait for, nor refuse, a dependent this request already removed whose managed record lags', async () => {
    const created = await h.submitYaml(allKinds('lag'));
    await h.drive(created, { timeoutMs: 30_000 });
    const names = { ResourcePool: 'train-pool-lag', NodePool: 'train-nodepool-lag', Notebook: 'train-notebook-lag' } as const;
    const removals: Removal[] = [];
    for (const [kind, name] of Object.entries(names)) {
      const managed = (await getManaged(h.deps.table, PROJECT_ID, kind, name))!;
      removals.push({
        projectId: PROJECT_ID,
        region: 'cn-north-4',
        kind,
        name,
        operation: 'delete',
        file: 'request',
        spec: managed.desired,
      });
    }
    const requestId = await remove(removals);
    // As if the dependents' finishers had died between their terminal write and settling their managed resources:
    // the request says Deleted, the managed resources still say the request holds them in flight.
    for (const kind of ['NodePool', 'Notebook'] as const) {
      await claimRemoval(h.deps.table, {
        projectId: PROJECT_ID,
        kind,
        name: names[kind],
        requestId,
        owner: OWNER,
        operation: 'delete',
        now: new Date().toISOString(),
      });
      await updateResource(h.deps.table, { requestId, kind, name: names[kind] }, { from: ['Queued'], set: { state: 'Deleted' } });
      expect((await getManaged(h.deps.table, PROJECT_ID, kind, names[kind]))!.state).toBe('InFlight');
    }
    await h.drive(requestId, { timeoutMs: 40_000 });
    expect((await h.request(requestId))!.resources.find((r) => r.kind === 'ResourcePool')).toMatchObject({ state: 'Deleted' });
  }, 120_000);

  it('another namespace cannot remove what it does not own', async () => {
    const created = await h.submitYaml(notebook('own1'));
    await h.drive(created);
    await expect(
      removalOfCall(h.deps.table, { projectId: PROJECT_ID, kind: 'Notebook', name: 'nb-own1', operation: 'delete' }, 'api:someone-else'),
    ).rejects.toMatchObject({ code: 'OWNED_ELSEWHERE' });
  });

  it('a delete whose answers are lost still ends Deleted, once, with nothing left behind', async () => {
    const created = await h.submitYaml(notebook('flaky1'));
    await h.drive(created);
    const removal = await ask('Notebook', 'nb-flaky1');
    await h.faults({ rateDrop: 0.4, rate500: 0.2, seed: 7 });
    try {
      const requestId = await remove([removal]);
      await h.drive(requestId, { timeoutMs: 30_000 });
      expect((await h.request(requestId))!.resources[0]!.state).toBe('Deleted');
    } finally {
      await h.faults({ rateDrop: 0, rate500: 0 });
    }
    expect((await live('Notebook')).filter((r) => r.name === 'nb_flaky1')).toHaveLength(0);
    const deleted = (await h.events()).filter((e) => e.subject === 'Notebook/nb-flaky1' && e.type.endsWith('.deleted'));
    expect(new Set(deleted.map((e) => e.id)).size).toBe(1);
  }, 60_000);
});

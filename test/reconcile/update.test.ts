import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managedKey } from '../../shared/store/keys';
import { randomRequestId } from '../../shared/intake/ids';
import { submit } from '../../shared/intake/submit';
import { getManaged } from '../../shared/store/managed';
import { allKinds, notebook, PROJECT_ID, startHarness, type Harness } from '../execution/harness';

interface SimEntry {
  kind: string;
  id: string;
  name: string;
  outcome?: string;
  body: Record<string, any>;
  operations?: { op: string; body?: Record<string, any> }[];
}

/** Changing created resources through the real dispatcher and poller, against the simulator. */
describe('updates', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const sim = async (id: string) => ((await h.simResources()) as SimEntry[]).find((r) => r.id === id)!;
  async function apply(yaml: string) {
    const requestId = await h.submitYaml(yaml);
    await h.drive(requestId, { timeoutMs: 40_000 });
    return (await h.request(requestId))!.resources;
  }

  it('changes a notebook flavor in place: stopped, updated, started once each; same id; resource.updated with the change', async () => {
    const [created] = await apply(notebook('upd1'));
    expect(created!.state).toBe('Succeeded');
    const [updated] = await apply(notebook('upd1', (doc) => (doc.spec.body.flavor = 'modelarts.vm.cpu.8u')));
    expect(updated).toMatchObject({ state: 'Succeeded', operation: 'update', huaweiId: created!.huaweiId });
    expect(updated!.changes).toEqual([
      expect.objectContaining({ path: 'spec.body.flavor', observed: 'modelarts.vm.cpu.2u', desired: 'modelarts.vm.cpu.8u' }),
    ]);
    const seen = await sim(created!.huaweiId!);
    expect(seen.body.flavor).toBe('modelarts.vm.cpu.8u');
    expect(seen.operations!.map((o) => o.op)).toEqual(['stop', 'update', 'start']);
    const events = (await h.events()).filter((e) => e.subject === 'Notebook/nb-upd1').map((e) => e.type);
    expect(events).toEqual(['hwc-provisioner.resource.succeeded', 'hwc-provisioner.resource.updated']);
    const managed = await getManaged(h.deps.table, PROJECT_ID, 'Notebook', 'nb-upd1');
    expect(managed).toMatchObject({ state: 'Succeeded', generation: 2, huaweiId: created!.huaweiId });
  });

  it('applies the same change once however often it is submitted, and an unchanged resubmission sends nothing', async () => {
    const [created] = await apply(notebook('upd2'));
    const changed = notebook('upd2', (doc) => (doc.spec.body.description = 'bigger'));
    await apply(changed);
    const [again] = await apply(changed);
    expect(again!.state).toBe('Unchanged');
    expect((await sim(created!.huaweiId!)).operations!.map((o) => o.op)).toEqual(['update']);
  });

  it('scales a pool by PATCH with the whole resources list, and a node pool in place', async () => {
    const resources = await apply(allKinds('upd3'));
    expect(resources.every((r) => r.state === 'Succeeded')).toBe(true);
    const pool = resources.find((r) => r.kind === 'ResourcePool')!;
    const scaled = await apply(
      allKinds('upd3', (doc) => {
        if (doc.kind === 'ResourcePool') doc.spec.body.spec.resources[0].count = 3;
        if (doc.kind === 'NodePool') doc.spec.body.spec.resources.count = 2;
      }),
    );
    const byKind = Object.fromEntries(scaled.map((r) => [r.kind, r]));
    expect(byKind.ResourcePool).toMatchObject({ state: 'Succeeded', operation: 'update', huaweiId: pool.huaweiId });
    expect(byKind.NodePool).toMatchObject({ state: 'Succeeded', operation: 'update' });
    expect(byKind.Notebook!.state).toBe('Unchanged');
    const patches = (await sim(pool.huaweiId!)).operations!.filter((o) => o.op === 'update');
    expect(patches).toHaveLength(1);
    const sent = patches[0]!.body!.spec.resources as { flavor: string; count: number }[];
    expect(sent.map((r) => r.count)).toContain(3);
    const desired = (await getManaged(h.deps.table, PROJECT_ID, 'ResourcePool', 'train-pool-upd3'))!.desired as any;
    expect(sent).toHaveLength(desired.body.spec.resources.length);
  }, 120_000);

  it('refuses a node-pool flavor change before anything is queued, naming the field; with Recreate it replaces the node pool', async () => {
    await apply(allKinds('upd4'));
    const before = await getManaged(h.deps.table, PROJECT_ID, 'NodePool', 'train-nodepool-upd4');
    const flavored = (recreate: boolean) =>
      allKinds('upd4', (doc) => {
        if (doc.kind !== 'NodePool') return;
        doc.spec.body.spec.resources.flavor = 'modelarts.vm.8u32g.dcc';
        if (recreate) doc.spec.updatePolicy = 'Recreate';
      });
    const outcome = await submit(
      { table: h.deps.table, dispatch: h.deps.dispatch, defaults: { projectId: PROJECT_ID, region: 'cn-north-4' }, now: h.deps.now },
      {
        requestId: randomRequestId(),
        source: { provider: 'api', ref: 'api:test', caller: 'test' },
        files: [{ file: 'f.yaml', text: flavored(false) }],
      },
    );
    expect(outcome.status).toBe('rejected');
    const errors = outcome.status === 'rejected' ? outcome.documents.flatMap((d) => d.errors) : [];
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'spec.body.spec.resources.flavor',
        message: expect.stringMatching(/cannot change in place; set spec\.updatePolicy: Recreate to replace it$/),
      }),
    ]);

    const replaced = await apply(flavored(true));
    const nodePool = replaced.find((r) => r.kind === 'NodePool')!;
    expect(nodePool).toMatchObject({ state: 'Succeeded', operation: 'recreate' });
    // A node pool's id is its name, so the replacement has the same one: the old was deleted before the new one was created.
    expect(nodePool.removedAt).toBeDefined();
    const ledger = ((await h.simResources()) as SimEntry[]).filter((r) => r.kind === 'NodePool' && r.name === before!.huaweiId);
    expect(ledger.map((r) => [r.outcome, r.body.spec.resources.flavor])).toEqual([
      ['deleted', 'modelarts.vm.2u4g.dcc'],
      ['succeeded', 'modelarts.vm.8u32g.dcc'],
    ]);
    const events = (await h.events()).filter((e) => e.subject === 'NodePool/train-nodepool-upd4').map((e) => e.type);
    expect(events.at(-1)).toBe('hwc-provisioner.resource.updated');
  }, 120_000);

  it('under lost answers and server errors, an update is applied once and ends Succeeded', async () => {
    const [created] = await apply(notebook('upd5'));
    await h.faults({ rateDrop: 0.3, rate500: 0.2, seed: 11 });
    try {
      const [updated] = await apply(notebook('upd5', (doc) => (doc.spec.body.flavor = 'modelarts.vm.cpu.8u')));
      expect(updated).toMatchObject({ state: 'Succeeded', huaweiId: created!.huaweiId });
    } finally {
      await h.faults({ rateDrop: 0, rate500: 0 });
    }
    const seen = await sim(created!.huaweiId!);
    expect(seen.body.flavor).toBe('modelarts.vm.cpu.8u');
    const ops = seen.operations!.map((o) => o.op);
    expect(ops.filter((o) => o === 'update')).toHaveLength(1);
    expect(ops.at(-1)).toBe('start');
  }, 90_000);
  it('a node pool of a later request is created in a pool whose last update failed: the pool is still there', async () => {
    const resources = await apply(allKinds('upd6'));
    const pool = resources.find((r) => r.kind === 'ResourcePool')!;
    // As a failed update leaves it (settled Failed, operation update, its Huawei id kept).
    await h.stack.ddb.send(
      new UpdateCommand({
        TableName: h.stack.tableName,
        Key: managedKey(PROJECT_ID, 'ResourcePool', pool.name),
        UpdateExpression: 'SET #state = :failed, operation = :update',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':failed': 'Failed', ':update': 'update' },
      }),
    );
    const later = allKinds('upd6', (doc) => {
      if (doc.kind !== 'NodePool') return;
      doc.metadata.name = 'np-upd6-later';
      doc.spec.body.metadata.name = 'np-upd6-later';
      doc.spec.body.spec.resources.nodePool = 'np-upd6-later';
    })
      .split('---\n')
      .find((doc) => doc.includes('kind: NodePool'))!;
    const [nodePool] = await apply(later);
    expect(nodePool).toMatchObject({ kind: 'NodePool', state: 'Succeeded', resolvedPoolName: pool.huaweiId });
  }, 60_000);
});

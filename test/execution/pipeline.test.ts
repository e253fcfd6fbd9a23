import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { allKinds, startHarness, type Harness } from './harness';

describe('dispatch, poll and completion events end to end', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it(
    'creates a pool, a node pool and a notebook by poolRef, and an ' + 'edge deployment, in dependency order, with one request.completed',
    async () => {
      const requestId = await h.submitYaml(allKinds('e2e'));
      await h.drive(requestId);
      const { resources } = (await h.request(requestId))!;
      expect(resources.map((r) => [r.kind, r.state]).sort()).toEqual([
        ['EdgeDeployment', 'Succeeded'],
        ['NodePool', 'Succeeded'],
        ['Notebook', 'Succeeded'],
        ['ResourcePool', 'Succeeded'],
      ]);
      const pool = resources.find((r) => r.kind === 'ResourcePool')!;
      const nodePool = resources.find((r) => r.kind === 'NodePool')!;
      const notebook = resources.find((r) => r.kind === 'Notebook')!;
      // Dependents were created only after the pool was Running, against the pool's server-generated id.
      expect(nodePool.resolvedPoolName).toBe(pool.huaweiId);
      expect(nodePool.createStartedAt! >= pool.finishedAt!).toBe(true);
      expect(notebook.createStartedAt! >= pool.finishedAt!).toBe(true);
      const sim = await h.simResources();
      expect(sim.find((r) => r.kind === 'Notebook' && r.name === 'nb_e2e')!.body.pool_id).toBe(pool.huaweiId);
      expect(sim.find((r) => r.kind === 'NodePool' && r.name === 'np-e2e')).toMatchObject({ parent: pool.huaweiId });

      const events = (await h.events()).filter((e) => (e.data as { requestId: string }).requestId === requestId);
      expect(events.filter((e) => e.type === 'hwc-provisioner.request.completed')).toHaveLength(1);
      const resourceEvents = events.filter((e) => e.type === 'hwc-provisioner.resource.succeeded');
      expect(resourceEvents.map((e) => e.subject).sort()).toEqual([
        'EdgeDeployment/app-e2e',
        'NodePool/train-nodepool-e2e',
        'Notebook/train-notebook-e2e',
        'ResourcePool/train-pool-e2e',
      ]);
      for (const event of events) {
        expect(event).toMatchObject({
          specversion: '1.0',
          source: 'hwc-provisioner',
          datacontenttype: 'application/json',
          id: expect.stringMatching(/^[0-9a-f]{32}$/),
        });
        expect(Date.parse(event.time)).not.toBeNaN();
      }
      expect(resourceEvents.find((e) => e.subject.startsWith('ResourcePool'))!.data).toMatchObject({
        requestId,
        kind: 'ResourcePool',
        region: 'cn-north-4',
        projectId: expect.any(String),
        huaweiId: pool.huaweiId,
        state: 'Succeeded',
        source: { provider: 'api', ref: 'api:test' },
        timings: { acceptedAt: expect.any(String), createStartedAt: expect.any(String), finishedAt: expect.any(String) },
      });
      // The ownership marks went out with the bodies.
      expect(String(sim.find((r) => r.name === 'nb_e2e')!.body.description)).toMatch(/ hwcp-[0-9a-f]{12}$/);
      expect(sim.find((r) => r.name === 'app-e2e')!.body.tags).toContainEqual({
        key: 'hwc-provisioner',
        value: expect.stringMatching(/^[0-9a-f]{12}$/),
      });
    },
  );

  it('ends a sim-fail notebook Failed with the simulator reason, and its event says so', async () => {
    const doc = parse(allKinds('fail').split('---\n')[2]!);
    doc.spec.poolRef = undefined;
    delete doc.spec.poolRef;
    doc.spec.body.flavor = 'modelarts.vm.cpu.sim-fail';
    const requestId = await h.submitYaml(stringify(doc));
    await h.drive(requestId);
    const [resource] = (await h.request(requestId))!.resources;
    expect(resource).toMatchObject({ state: 'Failed', reason: 'CREATE_FAILED' });
    expect(resource!.message).toMatch(/\S/);
    const events = (await h.events()).filter((e) => (e.data as { requestId: string }).requestId === requestId);
    expect(events.map((e) => e.type).sort()).toEqual(['hwc-provisioner.request.completed', 'hwc-provisioner.resource.failed']);
    expect(events.find((e) => e.type === 'hwc-provisioner.request.completed')!.data).toMatchObject({ state: 'Failed' });
  });

  it('fails dependents at once when their pool fails (DependencyFailed) and reports the request PartiallyFailed', async () => {
    const yaml = allKinds('depfail', (doc) => {
      if (doc.kind === 'ResourcePool') doc.spec.body.spec.resources[0].flavor = 'modelarts.vm.gpu.sim-fail';
    });
    const requestId = await h.submitYaml(yaml);
    await h.drive(requestId);
    const { resources } = (await h.request(requestId))!;
    const byKind = Object.fromEntries(resources.map((r) => [r.kind, r]));
    expect(byKind.ResourcePool!.state).toBe('Failed');
    expect(byKind.NodePool).toMatchObject({ state: 'Failed', reason: 'DependencyFailed' });
    expect(byKind.Notebook).toMatchObject({ state: 'Failed', reason: 'DependencyFailed' });
    expect(byKind.EdgeDeployment!.state).toBe('Succeeded');
    const completed = (await h.events()).find(
      (e) => e.type === 'hwc-provisioner.request.completed' && (e.data as { requestId: string }).requestId === requestId,
    );
    expect(completed!.data).toMatchObject({ state: 'PartiallyFailed' });
    // Nothing was created for the dependents.
    expect((await h.simResources()).filter((r) => r.name === 'np-depfail' || r.name === 'nb_depfail')).toEqual([]);
  });

  it('ends a resource TimedOut (not Failed) when the simulator is slower than its timeout', async () => {
    await fetch(`${h.simulator.url}/__sim/config`, {
      method: 'POST',
      body: JSON.stringify({ durations: { EdgeDeployment: 3_600_000 } }),
      headers: { 'content-type': 'application/json' },
    });
    const doc = parse(allKinds('slow').split('---\n')[3]!);
    doc.spec.timeoutMinutes = 1;
    const requestId = await h.submitYaml(stringify(doc));
    // Dispatch and a first poll, then step the product's clock past the one-minute timeout.
    for (let i = 0; i < 20 && (await h.request(requestId))!.resources[0]!.state !== 'Creating'; i++)
      await h.drive(requestId, { timeoutMs: 300 }).catch(() => undefined);
    h.advance(61_000);
    await h.drive(requestId);
    await fetch(`${h.simulator.url}/__sim/config`, {
      method: 'POST',
      body: JSON.stringify({ durations: 'fast' }),
      headers: { 'content-type': 'application/json' },
    });
    const [resource] = (await h.request(requestId))!.resources;
    expect(resource).toMatchObject({ state: 'TimedOut', reason: 'Timeout' });
    expect(resource!.message).toMatch(/not ready after 1 minutes/);
    const events = (await h.events()).filter((e) => (e.data as { requestId: string }).requestId === requestId);
    expect(events.map((e) => e.type)).toContain('hwc-provisioner.resource.timed_out');
  });

  it('reports a second request for a created identity Unchanged with the same spec, and updates it in place with another', async () => {
    const doc = parse(allKinds('ident').split('---\n')[3]!);
    const first = await h.submitYaml(stringify(doc));
    await h.drive(first);
    const same = await h.submitYaml(stringify(doc));
    await h.drive(same);
    doc.spec.body.deployment.replicas = 2;
    const changed = await h.submitYaml(stringify(doc));
    await h.drive(changed);
    const firstId = (await h.request(first))!.resources[0]!.huaweiId;
    expect((await h.request(same))!.resources[0]).toMatchObject({ state: 'Unchanged', huaweiId: firstId });
    expect((await h.request(changed))!.resources[0]).toMatchObject({ state: 'Succeeded', operation: 'update', huaweiId: firstId });
    expect((await h.simResources()).filter((r) => r.name === 'app-ident')).toHaveLength(1);
  });
});

describe('published events match schemas/event.schema.json', () => {
  it('validates every event a full run publishes against the zod source of the schema', async () => {
    const { EventSchema } = await import('../../shared/events/schema');
    const h = await startHarness();
    try {
      const requestId = await h.submitYaml(allKinds('schema'));
      await h.drive(requestId);
      const events = await h.events();
      expect(events.length).toBe(5);
      for (const event of events) expect(EventSchema.safeParse(event).error).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});

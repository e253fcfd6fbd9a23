/** Pool updates driven to convergence against the simulator: one merge-patch with the whole resources list, then the nodes. */
import { describe, expect, it } from 'vitest';
import { resourcePool } from '../../../shared/kinds/resource-pool';
import { poolBody } from '../../simulator/helpers';
import { converge, createAndWait, ledger, ops, resourceOf, simulatorPerFile, target } from '../update-harness';

const ctx = simulatorPerFile();
const TWO = [
  { flavor: 'modelarts.vm.cpu.8u', count: 1 },
  { flavor: 'modelarts.vm.gpu.t4', count: 2 },
];

describe('ResourcePool update', () => {
  it('a count change: one PATCH carrying the whole resources list, then waiting for the nodes', async () => {
    const id = await createAndWait(ctx.cloud, resourcePool, resourceOf('pool-scale', poolBody('pool-scale', TWO)));
    const resources = [
      { flavor: 'modelarts.vm.cpu.8u', count: 3 },
      { flavor: 'modelarts.vm.gpu.t4', count: 2 },
    ];
    const changed = resourceOf('pool-scale', poolBody('pool-scale', resources));
    const steps = await converge(ctx.cloud, resourcePool, changed, id);
    expect(steps.map((s) => s.status)).toEqual(['sent', ...steps.slice(1, -1).map(() => 'waiting'), 'converged']);
    expect(steps.length).toBeGreaterThan(2);
    const entry = await ledger(ctx.sim.url, id);
    expect(entry.operations).toMatchObject([{ op: 'update', body: { spec: { resources } } }]);
    const observed = (await resourcePool.observe(ctx.cloud, target, id)).observed as any;
    expect(observed.status.resources.available).toEqual({ count: 5 });
  });

  it('already converged, and entries listed in another order: no call at all', async () => {
    const id = await createAndWait(ctx.cloud, resourcePool, resourceOf('pool-same', poolBody('pool-same', TWO)));
    const reordered = resourceOf('pool-same', poolBody('pool-same', [...TWO].reverse()));
    expect(await converge(ctx.cloud, resourcePool, reordered, id)).toEqual([{ status: 'converged' }]);
    expect(await ops(ctx.sim.url, id)).toEqual([]);
  });

  it('repeating the step after the PATCH applied waits for the nodes instead of patching again', async () => {
    const id = await createAndWait(ctx.cloud, resourcePool, resourceOf('pool-repeat', poolBody('pool-repeat')));
    const changed = resourceOf('pool-repeat', poolBody('pool-repeat', [{ flavor: 'modelarts.vm.cpu.8u', count: 4 }]));
    const first = await resourcePool.update(ctx.cloud, changed, target, id, await resourcePool.observe(ctx.cloud, target, id));
    expect(first.status).toBe('sent');
    const again = await resourcePool.update(ctx.cloud, changed, target, id, await resourcePool.observe(ctx.cloud, target, id));
    expect(again).toMatchObject({ status: 'waiting', message: expect.stringMatching(/^nodes: available 2\/4, creating 2/) });
    expect(await ops(ctx.sim.url, id)).toEqual(['update']);
  });

  it('a description annotation and scope change apply without touching resources', async () => {
    const id = await createAndWait(ctx.cloud, resourcePool, resourceOf('pool-desc', poolBody('pool-desc')));
    const body = poolBody('pool-desc', undefined, { 'os.modelarts/description': 'for training' });
    body.spec.scope = ['Infer', 'Train', 'Notebook'];
    const steps = await converge(ctx.cloud, resourcePool, resourceOf('pool-desc', body), id);
    expect(steps.map((s) => s.status)).toEqual(['sent', 'converged']);
    expect((await ledger(ctx.sim.url, id)).operations[0].body).toEqual({
      metadata: { annotations: { 'os.modelarts/description': 'for training' } },
      spec: { scope: ['Infer', 'Train', 'Notebook'] },
    });
  });

  it('an abnormal pool ends the update Failed without a call', async () => {
    const observation = { phase: 'Failed' as const, reason: 'Abnormal', message: 'no capacity', observed: {} };
    const noCalls = { send: () => Promise.reject(new Error('no call expected')) };
    const step = await resourcePool.update(noCalls as never, resourceOf('p', poolBody('p')), target, 'pool-x', observation);
    expect(step).toEqual({ status: 'failed', reason: 'Abnormal', message: 'the pool is Abnormal: no capacity' });
  });
});

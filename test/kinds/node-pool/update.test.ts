/** Node-pool updates driven to convergence against the simulator: one merge-patch of spec.resources, then the nodes. */
import { describe, expect, it } from 'vitest';
import { nodePool } from '../../../shared/kinds/node-pool';
import { resourcePool } from '../../../shared/kinds/resource-pool';
import { nodePoolBody, poolBody } from '../../simulator/helpers';
import { converge, createAndWait, ledger, ops, resourceOf, simulatorPerFile, target } from '../update-harness';

const ctx = simulatorPerFile();

describe('NodePool update', () => {
  it('count and maxCount: one PATCH with flavor, count and maxCount, then the new nodes are awaited', async () => {
    const poolId = await createAndWait(ctx.cloud, resourcePool, resourceOf('np-host', poolBody('np-host')));
    const at = { ...target, poolName: poolId };
    const npId = await createAndWait(ctx.cloud, nodePool, resourceOf('np-a', nodePoolBody('np-a', 'modelarts.vm.cpu.8u', 1)), at);
    const changed = resourceOf('np-a', nodePoolBody('np-a', 'modelarts.vm.cpu.8u', 3));
    const steps = await converge(ctx.cloud, nodePool, changed, npId, at);
    expect(steps[0]).toEqual({ status: 'sent', message: 'patched spec.resources count, maxCount' });
    expect(steps.at(-1)).toEqual({ status: 'converged' });
    expect(steps.slice(1, -1).every((s) => s.status === 'waiting')).toBe(true);
    // The simulator files a node pool under its pool.
    expect((await ledger(ctx.sim.url, `${poolId}/${npId}`)).operations).toEqual([
      expect.objectContaining({ op: 'update', body: { spec: { resources: { flavor: 'modelarts.vm.cpu.8u', count: 3, maxCount: 3 } } } }),
    ]);
    expect(await converge(ctx.cloud, nodePool, changed, npId, at)).toEqual([{ status: 'converged' }]);
    expect(await ops(ctx.sim.url, `${poolId}/${npId}`)).toEqual(['update']);
  });
});

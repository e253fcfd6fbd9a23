/** Deployment updates driven to convergence against the simulator: replicas and template in one PUT, the description in another. */
import { describe, expect, it } from 'vitest';
import { edgeDeployment } from '../../../shared/kinds/edge-deployment';
import { deploymentBody } from '../../simulator/helpers';
import { converge, createAndWait, ledger, ops, resourceOf, simulatorPerFile, target } from '../update-harness';

const ctx = simulatorPerFile();

describe('EdgeDeployment update', () => {
  it('a new image, replica count and description: two PUTs (never both in one), then ready at the new count', async () => {
    const id = await createAndWait(ctx.cloud, edgeDeployment, resourceOf('dep-up', deploymentBody('dep-up', 1)));
    const body = { ...deploymentBody('dep-up', 2, 'nginx:1.27'), description: 'version 2' };
    const steps = await converge(ctx.cloud, edgeDeployment, resourceOf('dep-up', body), id);
    expect(steps.filter((s) => s.status === 'sent').length).toBe(2);
    expect(steps.at(-1)).toEqual({ status: 'converged' });
    const entry = await ledger(ctx.sim.url, id);
    expect(entry.operations.map((o: any) => Object.keys(o.body))).toEqual([['deployment'], ['description']]);
    expect(entry.operations[0].body.deployment).toEqual({ replicas: 2, template: body.deployment.template });
    const observed = (await edgeDeployment.observe(ctx.cloud, target, id)).observed as any;
    expect(observed).toMatchObject({ replicas: 2, ready_replicas: 2, description: 'version 2' });
  });

  it('already converged: no call; repeating after the PUT applied only waits for the pods', async () => {
    const resource = resourceOf('dep-same', deploymentBody('dep-same', 1));
    const id = await createAndWait(ctx.cloud, edgeDeployment, resource);
    expect(await converge(ctx.cloud, edgeDeployment, resource, id)).toEqual([{ status: 'converged' }]);
    expect(await ops(ctx.sim.url, id)).toEqual([]);

    const scaled = resourceOf('dep-same', deploymentBody('dep-same', 3));
    const observe = () => edgeDeployment.observe(ctx.cloud, target, id);
    expect((await edgeDeployment.update(ctx.cloud, scaled, target, id, await observe())).status).toBe('sent');
    expect(await edgeDeployment.update(ctx.cloud, scaled, target, id, await observe())).toMatchObject({ status: 'waiting' });
    expect(await ops(ctx.sim.url, id)).toEqual(['update']);
  });

  it('a new template fixes pods that failed under the old one', async () => {
    const id = (await edgeDeployment.create(ctx.cloud, resourceOf('dep-fix', deploymentBody('dep-fix', 1, 'sim-fail:1')), target)).id;
    const steps = await converge(ctx.cloud, edgeDeployment, resourceOf('dep-fix', deploymentBody('dep-fix', 1, 'nginx:alpine')), id);
    expect(steps[0]).toMatchObject({ status: 'sent' });
    expect(steps.at(-1)).toEqual({ status: 'converged' });
  });
});

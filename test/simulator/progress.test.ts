import { describe, expect, it } from 'vitest';
import { createSimulator } from '../../local/huaweicloud-simulator/index';
import { type Json, PID, appClient, deploymentBody, nodePoolBody, notebookBody, poolBody } from './helpers';

/** A simulator on a hand-driven clock: states are checked at exact instants, with no sleeping. */
function steppedSimulator(opts: Parameters<typeof createSimulator>[0] = {}) {
  let t = Date.now();
  const sim = createSimulator({ ...opts, now: () => t });
  return { ...sim, call: appClient(sim.app, () => t), advance: (ms: number) => (t += ms), clock: () => t };
}

describe('simulator: deterministic progress (stepped clock)', () => {
  it('notebook: INIT, then the four action_progress steps, STARTING, RUNNING at exactly the duration', async () => {
    const sim = steppedSimulator({ durations: { Notebook: 1000 } });
    const created = await sim.call('POST', `/v1/${PID}/notebooks`, notebookBody('nb'));
    const at = async (ms: number) => {
      sim.advance(ms);
      return (await sim.call('GET', `/v1/${PID}/notebooks/${created.body.id}`)).body;
    };
    expect(created.body.status).toBe('INIT');
    let nb: Json = await at(150);
    expect(nb.status).toBe('CREATING');
    expect(nb.action_progress.map((s: Json) => s.status)).toEqual(['PROCESSING', 'WAITING', 'WAITING', 'WAITING']);
    nb = await at(250); // 400 ms
    expect(nb.action_progress.map((s: Json) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'PROCESSING', 'WAITING']);
    nb = await at(350); // 750 ms
    expect(nb.status).toBe('STARTING');
    nb = await at(249); // 999 ms
    expect(nb.status).toBe('STARTING');
    nb = await at(1);
    expect(nb.status).toBe('RUNNING');
  });

  it('the realistic preset follows real-world timings', async () => {
    const sim = steppedSimulator({ durations: 'realistic' });
    const nb = (await sim.call('POST', `/v1/${PID}/notebooks`, notebookBody('nb'))).body;
    const pool = (await sim.call('POST', `/v2/${PID}/pools`, poolBody('p'))).body.metadata.name;
    await sim.call('POST', `/v2/${PID}/pools/${pool}/nodepools`, nodePoolBody('np'));
    const dep = (await sim.call('POST', `/v3/${PID}/edgemgr/deployments`, deploymentBody('d', 1))).body;
    const snapshot = async () => ({
      notebook: (await sim.call('GET', `/v1/${PID}/notebooks/${nb.id}`)).body.status,
      pool: (await sim.call('GET', `/v2/${PID}/pools/${pool}`)).body.status.phase,
      nodePoolAvailable: (await sim.call('GET', `/v2/${PID}/pools/${pool}/nodepools/np`)).body.status.resources.available !== undefined,
      ready: (await sim.call('GET', `/v3/${PID}/edgemgr/deployments/${dep.id}`)).body.ready_replicas,
    });
    sim.advance(29_000);
    expect(await snapshot()).toEqual({ notebook: 'CREATING', pool: 'Creating', nodePoolAvailable: false, ready: 0 });
    sim.advance(1_000); // 30 s
    expect((await snapshot()).ready).toBe(1);
    sim.advance(60_000); // 90 s
    expect((await snapshot()).notebook).toBe('RUNNING');
    sim.advance(8 * 60_000 - 90_000); // 8 min
    expect(await snapshot()).toMatchObject({ pool: 'Creating', nodePoolAvailable: true });
    sim.advance(7 * 60_000); // 15 min
    expect((await snapshot()).pool).toBe('Running');
  });

  it('failures come after some progress, at fixed points', async () => {
    const sim = steppedSimulator({ durations: { ResourcePool: 1000, NodePool: 1000, EdgeDeployment: 1000 } });
    const pool = (await sim.call('POST', `/v2/${PID}/pools`, poolBody('p', [{ flavor: 'sim-fail-flavor', count: 1 }]))).body.metadata.name;
    const healthy = (await sim.call('POST', `/v2/${PID}/pools`, poolBody('h'))).body.metadata.name;
    await sim.call('POST', `/v2/${PID}/pools/${healthy}/nodepools`, nodePoolBody('np', 'sim-fail', 1));
    const dep = (await sim.call('POST', `/v3/${PID}/edgemgr/deployments`, deploymentBody('d', 1, 'sim-fail:1'))).body;
    const state = async () => ({
      pool: (await sim.call('GET', `/v2/${PID}/pools/${pool}`)).body.status.phase,
      abnormalNodes: (await sim.call('GET', `/v2/${PID}/pools/${healthy}/nodepools/np`)).body.status.resources.abnormal?.count ?? 0,
      pod: (await sim.call('GET', `/v3/${PID}/edgemgr/pods?deployment_id=${dep.id}`)).body.pods[0].state,
    });
    sim.advance(499);
    expect(await state()).toEqual({ pool: 'Creating', abnormalNodes: 0, pod: 'PENDING' });
    sim.advance(1);
    expect((await state()).pod).toBe('CREATE_FAIL');
    sim.advance(100);
    expect(await state()).toEqual({ pool: 'Abnormal', abnormalNodes: 1, pod: 'CREATE_FAIL' });
    sim.advance(10_000);
    expect(await state()).toEqual({ pool: 'Abnormal', abnormalNodes: 1, pod: 'CREATE_FAIL' });
  });

  it('a duration change applies to new resources only, so nothing moves backwards', async () => {
    const sim = steppedSimulator({ durations: { Notebook: 1000 } });
    const early = (await sim.call('POST', `/v1/${PID}/notebooks`, notebookBody('early'))).body;
    sim.advance(1000);
    sim.state.setConfig({ ...sim.state.config, durations: { ...sim.state.config.durations, Notebook: 60_000 } });
    const late = (await sim.call('POST', `/v1/${PID}/notebooks`, notebookBody('late'))).body;
    sim.advance(1000);
    expect((await sim.call('GET', `/v1/${PID}/notebooks/${early.id}`)).body.status).toBe('RUNNING');
    expect((await sim.call('GET', `/v1/${PID}/notebooks/${late.id}`)).body.status).toBe('INIT');
  });

  it('the token bucket allows R per second with a burst of R', async () => {
    const sim = steppedSimulator({ rateLimitPerSecond: 2 });
    const get = async () => (await sim.call('GET', `/v1/${PID}/notebooks`)).status;
    expect([await get(), await get(), await get()]).toEqual([200, 200, 429]);
    sim.advance(500);
    expect([await get(), await get()]).toEqual([200, 429]);
    sim.advance(5_000);
    expect([await get(), await get(), await get()]).toEqual([200, 200, 429]);
    expect(sim.state.faults.counts.rateLimited).toBe(3);
  });

  it('signature freshness is judged against the simulator clock', async () => {
    const sim = steppedSimulator();
    expect((await sim.call('GET', `/v1/${PID}/notebooks`)).status).toBe(200);
    const signedAt = new Date(sim.clock());
    sim.advance(16 * 60_000);
    const stale = await sim.call('GET', `/v1/${PID}/notebooks`, undefined, { signedAt });
    expect(stale.status).toBe(401);
    expect(stale.body.error_code).toBe('APIGW.0301');
    expect((await sim.call('GET', `/v1/${PID}/notebooks`)).status).toBe(200);
  });

  it('credentials and project id come from options, then the HUAWEICLOUD_SDK_* environment, then the defaults', async () => {
    const saved = { ...process.env };
    try {
      process.env.HUAWEICLOUD_SDK_AK = 'ENVAK';
      process.env.HUAWEICLOUD_SDK_SK = 'env-sk';
      process.env.HUAWEICLOUD_SDK_PROJECT_ID = 'e'.repeat(32);
      const fromEnv = createSimulator();
      expect([fromEnv.state.ak, fromEnv.state.sk, fromEnv.state.projectId]).toEqual(['ENVAK', 'env-sk', 'e'.repeat(32)]);
      const fromOpts = createSimulator({ ak: 'OPTAK', sk: 'opt-sk', projectId: 'a'.repeat(32) });
      expect([fromOpts.state.ak, fromOpts.state.sk, fromOpts.state.projectId]).toEqual(['OPTAK', 'opt-sk', 'a'.repeat(32)]);
      delete process.env.HUAWEICLOUD_SDK_AK;
      delete process.env.HUAWEICLOUD_SDK_SK;
      delete process.env.HUAWEICLOUD_SDK_PROJECT_ID;
      const defaults = createSimulator();
      expect(defaults.state.projectId).toBe(PID);
      expect(PID).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      process.env = saved;
    }
  });
});

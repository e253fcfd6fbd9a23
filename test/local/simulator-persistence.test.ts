/** The simulator's state file: what `npm start` relies on to remember Huawei resources across restarts. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/huaweicloud-simulator/index';
import { type Json, PID, admin, deploymentBody, httpClient, nodePoolBody, notebookBody, poolBody, pollUntil } from '../simulator/helpers';

describe('simulator stateFile', () => {
  let dir: string;
  let file: string;
  const running: RunningSimulator[] = [];
  const start = async (stateFile = file) => {
    const sim = await startSimulator({ port: 0, stateFile });
    running.push(sim);
    return { sim, call: httpClient(sim.url) };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hwcp-sim-state-'));
    file = join(dir, 'simulator.json');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let notebookId: string;
  let poolName: string;
  let deploymentId: string;
  let before: { notebook: Json; pool: Json; nodePool: Json };

  it('writes every create and delete to the file, whole', async () => {
    const { call } = await start();
    notebookId = (await call('POST', `/v1/${PID}/notebooks`, notebookBody('nb-kept'))).body.id;
    poolName = (await call('POST', `/v2/${PID}/pools`, poolBody('pool-kept'))).body.metadata.name;
    await pollUntil(
      () => call('GET', `/v2/${PID}/pools/${poolName}`),
      (r) => r.body.status?.phase === 'Running',
    );
    expect((await call('POST', `/v2/${PID}/pools/${poolName}/nodepools`, nodePoolBody('np-kept'))).status).toBe(200);
    deploymentId = (await call('POST', `/v3/${PID}/edgemgr/deployments`, deploymentBody('app-gone'))).body.id;
    expect((await call('DELETE', `/v3/${PID}/edgemgr/deployments/${deploymentId}`)).status).toBe(204);

    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.version).toBe(1);
    expect(saved.resources.map((r: Json) => `${r.kind} ${r.name}`).sort()).toEqual([
      'EdgeDeployment app-gone',
      'NodePool np-kept',
      'Notebook nb-kept',
      'ResourcePool pool-kept',
    ]);
    expect(saved.resources.find((r: Json) => r.kind === 'EdgeDeployment').deletedAt).toEqual(expect.any(Number));
    // Written beside and renamed over: no partial file is left behind.
    expect(readdirSync(dir)).toEqual(['simulator.json']);

    await pollUntil(
      () => call('GET', `/v1/${PID}/notebooks/${notebookId}`),
      (r) => r.body.status === 'RUNNING',
    );
    before = {
      notebook: (await call('GET', `/v1/${PID}/notebooks/${notebookId}`)).body,
      pool: (await call('GET', `/v2/${PID}/pools/${poolName}`)).body,
      nodePool: (await call('GET', `/v2/${PID}/pools/${poolName}/nodepools/np-kept`)).body,
    };
  });

  it('a new simulator on the same file answers for the same resources, and deleted ones stay deleted', async () => {
    const { call } = await start();
    const notebook = await call('GET', `/v1/${PID}/notebooks/${notebookId}`);
    expect(notebook.status).toBe(200);
    expect(notebook.body).toMatchObject({
      id: notebookId,
      name: 'nb-kept',
      status: 'RUNNING',
      url: before.notebook.url,
      token: before.notebook.token,
    });
    const pool = await call('GET', `/v2/${PID}/pools/${poolName}`);
    expect(pool.body.metadata).toEqual(before.pool.metadata);
    expect(pool.body.status.phase).toBe('Running');
    expect((await call('GET', `/v2/${PID}/pools/${poolName}/nodepools/np-kept`)).body.metadata).toEqual(before.nodePool.metadata);
    // A second node pool of that name is still a conflict: the restart did not forget it.
    expect((await call('POST', `/v2/${PID}/pools/${poolName}/nodepools`, nodePoolBody('np-kept'))).status).toBe(409);
    await pollUntil(
      () => call('GET', `/v3/${PID}/edgemgr/deployments/${deploymentId}`),
      (r) => r.status === 404,
    );
  });

  it('keeps a reset: an emptied simulator comes back empty', async () => {
    const first = await start();
    expect((await admin(first.sim.url, 'POST', '/reset')).status).toBe(200);
    expect(JSON.parse(readFileSync(file, 'utf8')).resources).toEqual([]);
    const second = await start();
    expect((await admin(second.sim.url, 'GET', '/resources')).body).toEqual({ count: 0, resources: [] });
  });

  it('refuses a file it cannot use rather than silently starting empty', async () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"version": 1, "resources": [');
    await expect(startSimulator({ port: 0, stateFile: broken })).rejects.toMatchObject({
      code: 'SIM_STATE_FILE',
      message: expect.stringContaining('is not JSON'),
    });
    writeFileSync(broken, JSON.stringify({ version: 2, resources: [] }));
    await expect(startSimulator({ port: 0, stateFile: broken })).rejects.toMatchObject({
      code: 'SIM_STATE_FILE',
      message: expect.stringContaining('--reset'),
    });
  });
});

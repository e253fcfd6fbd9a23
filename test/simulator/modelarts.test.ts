import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/huaweicloud-simulator/index';
import { type Json, PID, admin, distinct, httpClient, nodePoolBody, notebookBody, poolBody, pollUntil } from './helpers';

let sim: RunningSimulator;
let call: ReturnType<typeof httpClient>;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  call = httpClient(sim.url);
});
beforeEach(async () => {
  await admin(sim.url, 'POST', '/reset');
});
afterAll(() => sim?.close());

const nbPath = (id = '') => `/v1/${PID}/notebooks${id ? `/${id}` : ''}`;
const poolPath = (name = '') => `/v2/${PID}/pools${name ? `/${name}` : ''}`;
const npPath = (pool: string, name = '') => `/v2/${PID}/pools/${pool}/nodepools${name ? `/${name}` : ''}`;
/** A status.resources bucket is one object (the SDK's PoolResourceFlavorCount), left out when no node is in it. */
const sumCounts = (bucket: Json) => bucket?.count ?? 0;

describe('simulator: ModelArts notebooks', () => {
  it('creates (200) and walks INIT → CREATING → STARTING → RUNNING', async () => {
    const created = await call('POST', nbPath(), notebookBody('nb-run-1a2b3c4d'));
    expect(created.status).toBe(200);
    expect(created.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.body).toMatchObject({
      name: 'nb-run-1a2b3c4d',
      status: 'INIT',
      feature: 'NOTEBOOK',
      workspace_id: '0',
      fail_reason: '',
    });
    expect(created.body.action_progress).toHaveLength(4);

    const seen = await pollUntil(
      () => call('GET', nbPath(created.body.id)),
      (r) => r.body.status === 'RUNNING',
    );
    const statuses = distinct(seen.map((r) => r.body.status));
    expect(statuses[statuses.length - 1]).toBe('RUNNING');
    const order = ['INIT', 'CREATING', 'STARTING', 'RUNNING'];
    expect(statuses.map((s) => order.indexOf(s))).toEqual([...statuses.map((s) => order.indexOf(s))].sort((a, b) => a - b));
    expect(statuses).toContain('CREATING');
    const running = seen[seen.length - 1]!.body;
    expect(running.url).toMatch(/^https:\/\//);
    expect(running.action_progress.every((s: Json) => s.status === 'COMPLETED')).toBe(true);
    expect(running.volume.status).toBeUndefined();
  });

  it('sim-fail in the flavor ends in CREATE_FAILED with a fail_reason, after some progress', async () => {
    const created = await call('POST', nbPath(), notebookBody('nb-fail', { flavor: 'modelarts.vm.sim-fail.2u' }));
    expect(created.status).toBe(200);
    const seen = await pollUntil(
      () => call('GET', nbPath(created.body.id)),
      (r) => r.body.status === 'CREATE_FAILED',
    );
    expect(distinct(seen.map((r) => r.body.status))).toContain('CREATING');
    const failed = seen[seen.length - 1]!.body;
    expect(failed.fail_reason).toMatch(/^CreateNotebookFailed: .*sim-fail/);
    expect(failed.action_progress.map((s: Json) => s.status)).toEqual(['COMPLETED', 'FAILED', 'WAITING', 'WAITING']);
  });

  it('sim-fail in the image reports PullImageFailed on the last step', async () => {
    const created = await call('POST', nbPath(), notebookBody('nb-img', { image_id: 'sim-fail-image' }));
    const seen = await pollUntil(
      () => call('GET', nbPath(created.body.id)),
      (r) => r.body.status === 'CREATE_FAILED',
    );
    const failed = seen[seen.length - 1]!.body;
    expect(failed.fail_reason).toMatch(/^PullImageFailed/);
    expect(failed.action_progress[3].status).toBe('FAILED');
  });

  it('lists with a fuzzy name and pages with limit/offset', async () => {
    for (const name of ['alpha-one', 'alpha-two', 'beta-one']) expect((await call('POST', nbPath(), notebookBody(name))).status).toBe(200);
    const alpha = await call('GET', `${nbPath()}?name=ALPHA`);
    expect(alpha.status).toBe(200);
    expect(alpha.body.total).toBe(2);
    expect(alpha.body.data.map((n: Json) => n.name).sort()).toEqual(['alpha-one', 'alpha-two']);
    const page = await call('GET', `${nbPath()}?limit=2&offset=2`);
    expect(page.body).toMatchObject({ total: 3, size: 2, pages: 2, current: 1 });
    expect(page.body.data).toHaveLength(1);
    const all = await call('GET', nbPath());
    expect(all.body.data.map((n: Json) => n.name)).toEqual(['beta-one', 'alpha-two', 'alpha-one']);
  });

  it('allows duplicate names (documented) — each create is a new instance', async () => {
    await call('POST', nbPath(), notebookBody('same-name'));
    await call('POST', nbPath(), notebookBody('same-name'));
    const ledger = await admin(sim.url, 'GET', '/resources?kind=Notebook&name=same-name');
    expect(ledger.body.count).toBe(2);
  });

  it('rejects bodies missing what it needs with 400 ModelArts.50004000', async () => {
    const cases: unknown[] = [
      { image_id: 'x', flavor: 'f' },
      { name: 'nb', flavor: 'f' },
      { name: 'nb', image_id: 'x' },
      { name: 'bad name!', image_id: 'x', flavor: 'f' },
      [1, 2],
    ];
    for (const body of cases) {
      const res = await call('POST', nbPath(), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error_code).toBe('ModelArts.50004000');
      expect(res.body.error_msg).toMatch(/^Bad request\. /);
    }
    const notJson = await call('POST', nbPath(), undefined, { sendBody: undefined });
    expect(notJson.status).toBe(400);
    expect((await admin(sim.url, 'GET', '/resources')).body.count).toBe(0);
  });

  it('accepts custom_spec instead of flavor', async () => {
    const body = notebookBody('nb-custom', { custom_spec: { cpu: 2, memory: 4096 } });
    delete (body as Json).flavor;
    const res = await call('POST', nbPath(), body);
    expect(res.status).toBe(200);
    expect(res.body.custom_spec).toEqual({ cpu: 2, memory: 4096 });
  });

  it('an unknown notebook id is 400 ModelArts.6309; delete goes DELETING then disappears', async () => {
    const missing = await call('GET', nbPath('00000000-0000-4000-8000-000000000000'));
    expect(missing.status).toBe(400);
    expect(missing.body.error_code).toBe('ModelArts.6309');

    const created = await call('POST', nbPath(), notebookBody('nb-del'));
    const deleted = await call('DELETE', nbPath(created.body.id));
    expect(deleted.status).toBe(200);
    expect(deleted.body.status).toBe('DELETING');
    await pollUntil(
      () => call('GET', nbPath(created.body.id)),
      (r) => r.status === 400,
    );
    expect((await call('GET', `${nbPath()}?name=nb-del`)).body.total).toBe(0);
    // Gone from what Huawei holds; still in the ledger of everything created.
    expect((await admin(sim.url, 'GET', '/resources?name=nb-del')).body.count).toBe(0);
    const ledger = await admin(sim.url, 'GET', '/resources?name=nb-del&include=deleted');
    expect(ledger.body.resources[0]).toMatchObject({ status: 'DELETED', outcome: 'deleted', deleted: true });
  });
});

describe('simulator: ModelArts resource pools', () => {
  it('creates (200) with a server-generated metadata.name and the display name as a label', async () => {
    const res = await call('POST', poolPath(), poolBody('train-pool-1a2b3c4d'));
    expect(res.status).toBe(200);
    expect(res.body.apiVersion).toBe('v2');
    expect(res.body.kind).toBe('Pool');
    expect(res.body.metadata.name).toMatch(/^pool-[0-9a-f]{8}-[0-9a-f]{32}$/);
    expect(res.body.metadata.labels).toMatchObject({
      'os.modelarts/name': 'train-pool-1a2b3c4d',
      'os.modelarts/tenant.project.id': PID,
    });
    expect(res.body.metadata.labels['os.modelarts/order.name']).toMatch(/^order-/);
    expect(res.body.status.phase).toBe('Creating');
    expect(sumCounts(res.body.status.resources.creating)).toBe(2);
  });

  it('progresses Creating → Running, nodes moving from creating to available', async () => {
    const created = await call(
      'POST',
      poolPath(),
      poolBody('pool-progress', [
        { flavor: 'modelarts.vm.cpu.8u', count: 2 },
        { flavor: 'modelarts.vm.gpu.t4', count: 1 },
      ]),
    );
    const seen = await pollUntil(
      () => call('GET', poolPath(created.body.metadata.name)),
      (r) => r.body.status.phase === 'Running',
    );
    expect(distinct(seen.map((r) => r.body.status.phase))).toEqual(['Creating', 'Running']);
    const mid = seen.find((r) => sumCounts(r.body.status.resources.available) > 0 && sumCounts(r.body.status.resources.creating) > 0);
    expect(mid, 'a poll should see some nodes available and some creating').toBeDefined();
    const done = seen[seen.length - 1]!.body.status;
    expect(done.resources.creating).toBeUndefined();
    // Nodes of two flavors in one bucket: the total, with no single flavor to name.
    expect(done.resources.available).toEqual({ count: 3 });
    expect(done.scope.every((s: Json) => s.state === 'Enabled')).toBe(true);
    expect(done.driver.gpu.state).toBe('Running');
  });

  it('finds a pool by labelSelector=os.modelarts/name=<name>', async () => {
    const a = await call('POST', poolPath(), poolBody('lookup-a'));
    await call('POST', poolPath(), poolBody('lookup-b'));
    const res = await call('GET', `${poolPath()}?labelSelector=${encodeURIComponent('os.modelarts/name=lookup-a')}`);
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('PoolList');
    expect(res.body.items.map((p: Json) => p.metadata.name)).toEqual([a.body.metadata.name]);
    const none = await call('GET', `${poolPath()}?labelSelector=${encodeURIComponent('os.modelarts/name=lookup-z')}`);
    expect(none.body.items).toEqual([]);
    expect((await call('GET', poolPath())).body.items).toHaveLength(2);
  });

  it('refuses a second live pool with the same display name (409 ModelArts.50015000)', async () => {
    expect((await call('POST', poolPath(), poolBody('dup-pool'))).status).toBe(200);
    const again = await call('POST', poolPath(), poolBody('dup-pool'));
    expect(again.status).toBe(409);
    expect(again.body.error_code).toBe('ModelArts.50015000');
    expect((await admin(sim.url, 'GET', '/resources?kind=ResourcePool')).body.count).toBe(1);
  });

  it('sim-fail ends Abnormal with a message; failed pools only list under status=failed', async () => {
    const created = await call('POST', poolPath(), poolBody('pool-bad', [{ flavor: 'modelarts.vm.sim-fail', count: 1 }]));
    const seen = await pollUntil(
      () => call('GET', poolPath(created.body.metadata.name)),
      (r) => r.body.status.phase === 'Abnormal',
    );
    expect(distinct(seen.map((r) => r.body.status.phase))).toEqual(['Creating', 'Abnormal']);
    const status = seen[seen.length - 1]!.body.status;
    expect(status.message).toContain('sim-fail');
    expect(sumCounts(status.resources.abnormal)).toBe(1);
    expect((await call('GET', poolPath())).body.items).toEqual([]);
    const failed = await call('GET', `${poolPath()}?status=failed`);
    expect(failed.body.items.map((p: Json) => p.metadata.name)).toEqual([created.body.metadata.name]);
  });

  it('a pre-paid pool (billing.mode 1) waits for payment first', async () => {
    const created = await call('POST', poolPath(), poolBody('prepaid', undefined, { 'os.modelarts/billing.mode': '1' }));
    expect(created.body.status.phase).toBe('Waiting');
    const seen = await pollUntil(
      () => call('GET', poolPath(created.body.metadata.name)),
      (r) => r.body.status.phase === 'Running',
    );
    // The create answer counts too: under load the first GET may already be past the short Waiting window.
    expect(distinct([created.body.status.phase, ...seen.map((r) => r.body.status.phase)])).toEqual(['Waiting', 'Creating', 'Running']);
  });

  it('rejects a pool without a display name or resources (400 ModelArts.50004000)', async () => {
    const noName = poolBody('x') as Json;
    delete noName.metadata.labels['os.modelarts/name'];
    const empty = poolBody('y', []);
    for (const body of [noName, empty, poolBody('z', [{ flavor: 'f', count: 0 }])]) {
      const res = await call('POST', poolPath(), body);
      expect(res.status).toBe(400);
      expect(res.body.error_code).toBe('ModelArts.50004000');
    }
  });

  it('delete answers the pool in Deleting, then 404 ModelArts.50015001', async () => {
    const created = await call('POST', poolPath(), poolBody('pool-del'));
    const name = created.body.metadata.name;
    const del = await call('DELETE', poolPath(name));
    expect(del.status).toBe(200);
    expect(del.body.status.phase).toBe('Deleting');
    const seen = await pollUntil(
      () => call('GET', poolPath(name)),
      (r) => r.status === 404,
    );
    expect(seen[seen.length - 1]!.body).toEqual({ error_code: 'ModelArts.50015001', error_msg: `pool ${name} not found` });
  });
});

describe('simulator: ModelArts node pools', () => {
  async function runningPool(label: string): Promise<string> {
    const created = await call('POST', poolPath(), poolBody(label));
    return created.body.metadata.name;
  }

  it('needs an existing pool: 404 ModelArts.50015001 otherwise', async () => {
    const res = await call('POST', npPath('pool-does-not-exist'), nodePoolBody('np-1'));
    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe('ModelArts.50015001');
    expect((await call('GET', npPath('pool-does-not-exist'))).status).toBe(404);
  });

  it('creates (200, request echoed), then creating → available with the spec count', async () => {
    const pool = await runningPool('np-host');
    const res = await call('POST', npPath(pool), nodePoolBody('np-1a2b3c4d', 'modelarts.vm.cpu.8u', 3));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...nodePoolBody('np-1a2b3c4d', 'modelarts.vm.cpu.8u', 3),
      metadata: { name: 'np-1a2b3c4d', annotations: { 'os.modelarts/billing.mode': '0' } },
    });
    const seen = await pollUntil(
      () => call('GET', npPath(pool, 'np-1a2b3c4d')),
      (r) => r.body.status.resources.creating === undefined,
    );
    expect(sumCounts(seen[0]!.body.status.resources.creating)).toBeGreaterThan(0);
    const done = seen[seen.length - 1]!.body;
    expect(done.status.resources.available).toEqual({ flavor: 'modelarts.vm.cpu.8u', count: 3, nodePool: 'np-1a2b3c4d' });
    expect(done.status.resources.abnormal).toBeUndefined();
    expect(done.status.phase).toBeUndefined();
    const list = await call('GET', npPath(pool));
    expect(list.body.kind).toBe('NodePoolList');
    expect(list.body.items.map((n: Json) => n.metadata.name)).toEqual(['np-1a2b3c4d']);
  });

  it('refuses a duplicate node-pool name in the same pool with 409', async () => {
    const pool = await runningPool('np-dup-host');
    expect((await call('POST', npPath(pool), nodePoolBody('np-dup'))).status).toBe(200);
    const again = await call('POST', npPath(pool), nodePoolBody('np-dup'));
    expect(again.status).toBe(409);
    expect(again.body.error_code).toBe('ModelArts.50015000');
    expect((await admin(sim.url, 'GET', '/resources?kind=NodePool')).body.count).toBe(1);
  });

  it('sim-fail in the node flavor ends with abnormal > 0', async () => {
    const pool = await runningPool('np-fail-host');
    await call('POST', npPath(pool), nodePoolBody('np-bad', 'modelarts.vm.sim-fail', 2));
    const seen = await pollUntil(
      () => call('GET', npPath(pool, 'np-bad')),
      (r) => sumCounts(r.body.status.resources.abnormal) > 0,
    );
    const resources = seen[seen.length - 1]!.body.status.resources;
    expect(sumCounts(resources.abnormal)).toBeGreaterThan(0);
    expect(resources.creating).toBeUndefined();
    const ledger = await admin(sim.url, 'GET', '/resources?kind=NodePool');
    expect(ledger.body.resources[0]).toMatchObject({ status: 'Abnormal', outcome: 'failed', parent: pool });
  });

  it('rejects an invalid node-pool name or missing resources (400 ModelArts.50004000)', async () => {
    const pool = await runningPool('np-bad-host');
    const noResources = { apiVersion: 'v2', kind: 'NodePool', metadata: { name: 'np-x' } };
    for (const body of [nodePoolBody('Bad_Name'), noResources]) {
      const res = await call('POST', npPath(pool), body);
      expect(res.status).toBe(400);
      expect(res.body.error_code).toBe('ModelArts.50004000');
    }
  });

  it('unknown node pool is 404; delete removes it, and deleting the pool takes its node pools along', async () => {
    const pool = await runningPool('np-del-host');
    expect((await call('GET', npPath(pool, 'nope'))).status).toBe(404);
    await call('POST', npPath(pool), nodePoolBody('np-a'));
    await call('POST', npPath(pool), nodePoolBody('np-b'));
    const del = await call('DELETE', npPath(pool, 'np-a'));
    expect(del.status).toBe(200);
    expect(del.body.status.resources.deleting).toMatchObject({ count: expect.any(Number) });
    await pollUntil(
      () => call('GET', npPath(pool, 'np-a')),
      (r) => r.status === 404,
    );
    await call('DELETE', poolPath(pool));
    await pollUntil(
      () => call('GET', poolPath(pool)),
      (r) => r.status === 404,
    );
    const ledger = await admin(sim.url, 'GET', '/resources?kind=NodePool&include=deleted');
    expect(ledger.body.resources.map((r: Json) => r.status)).toEqual(['DELETED', 'DELETED']);
  });
});

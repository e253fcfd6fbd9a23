import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SIMULATED_AZS } from '../../local/huaweicloud-simulator/catalog';
import { type RunningSimulator, startSimulator } from '../../local/huaweicloud-simulator/index';
import { deploymentExample, nodePoolExample, notebookExample, poolExample } from '../kinds/request-examples';
import { admin, deploymentBody, type Json, PID, httpClient, poolBody } from './helpers';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const IMAGE = 'e1a07296-22a8-4f05-8bc8-e936c8e54090';
const NODE = '9ebd8efb-9fdd-44a1-abda-9cdbc287a867';
const GROUP = 'c0ffee00-0000-4000-8000-000000000001';
const UNLISTED = '5b1a0c3e-0000-4000-8000-0000000000ff';

const paths = {
  notebookFlavors: `/v1/${PID}/notebooks/flavors`,
  resourceFlavors: `/v1/${PID}/resourceflavors`,
  image: (id: string) => `/v1/${PID}/images/${id}`,
  quotas: `/v1/${PID}/quotas`,
  node: (id: string) => `/v2/${PID}/edgemgr/nodes/${id}`,
  group: (id: string) => `/v2/${PID}/edgemgr/groups/${id}`,
};

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

const notebookFlavorIds = async () => ((await call('GET', paths.notebookFlavors)).body.data as Json[]).map((f) => f.id);
const resourceFlavor = async (flavor: string): Promise<Json> =>
  ((await call('GET', paths.resourceFlavors)).body.items as Json[]).find((i) => i.metadata.name === flavor);

describe('simulator catalog: notebook flavors (GET /v1/{pid}/notebooks/flavors)', () => {
  it('answers the ListFlavors shape, every flavor available, and is not taken for a notebook id', async () => {
    const res = await call('GET', paths.notebookFlavors);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ current: 0, pages: 1, total: res.body.data.length });
    const cpu = res.body.data.find((f: Json) => f.id === 'modelarts.vm.cpu.2u');
    expect(cpu).toMatchObject({ name: 'modelarts.vm.cpu.2u', arch: 'x86_64', category: 'CPU', sold_out: false, vcpus: 2 });
    expect(cpu.storages).toContain('EVS');
    expect(typeof cpu.evs_max_size).toBe('string');
    expect(res.body.data.every((f: Json) => f.sold_out === false)).toBe(true);
  });

  it('filters by category and pages with limit and offset; refuses a category it does not know', async () => {
    const gpu = await call('GET', `${paths.notebookFlavors}?category=GPU`);
    expect(gpu.body.data.length).toBeGreaterThan(0);
    expect(gpu.body.data.every((f: Json) => f.category === 'GPU' && f.gpu)).toBe(true);
    const all = await notebookFlavorIds();
    const page = await call('GET', `${paths.notebookFlavors}?limit=2&offset=2`);
    expect(page.body).toMatchObject({ current: 1, size: 2, total: all.length });
    expect(page.body.data.map((f: Json) => f.id)).toEqual(all.slice(2, 4));
    const bad = await call('GET', `${paths.notebookFlavors}?category=FPGA`);
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('ModelArts.50004000');
  });
});

describe('simulator catalog: resource flavors (GET /v1/{pid}/resourceflavors)', () => {
  it('answers ResourceFlavorList items with a normal phase in every zone and the billing modes', async () => {
    const res = await call('GET', paths.resourceFlavors);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ apiVersion: 'v1', kind: 'ResourceFlavorList', metadata: {} });
    const item = res.body.items.find((i: Json) => i.metadata.name === 'modelarts.vm.gpu.tnt004');
    expect(item).toMatchObject({ apiVersion: 'v1', kind: 'ResourceFlavor', spec: { type: 'Dedicate', billingModes: [0, 1] } });
    expect(item.spec.gpu).toBeDefined();
    expect(item.status.phase).toEqual(Object.fromEntries(SIMULATED_AZS.map((az) => [az, 'normal'])));
  });

  it('pages with limit and metadata.continue until the list ends, and refuses a token it did not give', async () => {
    const whole: string[] = (await call('GET', paths.resourceFlavors)).body.items.map((i: Json) => i.metadata.name);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await call('GET', `${paths.resourceFlavors}?limit=3${token ? `&continue=${token}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items.map((i: Json) => i.metadata.name));
      token = res.body.metadata.continue;
      pages++;
    } while (token);
    expect(seen).toEqual(whole);
    expect(pages).toBe(Math.ceil(whole.length / 3));
    expect((await call('GET', `${paths.resourceFlavors}?continue=garbage`)).status).toBe(400);
    expect((await call('GET', `${paths.resourceFlavors}?limit=501`)).status).toBe(400);
  });

  it('lists the flavor of a pool the simulator holds, though the catalog does not name it', async () => {
    expect(await resourceFlavor('modelarts.vm.custom.9u')).toBeUndefined();
    await call('POST', `/v2/${PID}/pools`, poolBody('held', [{ flavor: 'modelarts.vm.custom.9u', count: 1 }]));
    expect(await resourceFlavor('modelarts.vm.custom.9u')).toBeDefined();
  });
});

describe('simulator catalog: images, quotas, edge nodes and groups', () => {
  it('shows an image ACTIVE; in an open catalog any id exists, in a strict one only the listed', async () => {
    const listed = await call('GET', paths.image(IMAGE));
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ id: IMAGE, status: 'ACTIVE', arch: 'X86_64', resource_categories: ['CPU', 'GPU'] });
    expect((await call('GET', paths.image(UNLISTED))).body.status).toBe('ACTIVE');
    await admin(sim.url, 'PUT', '/catalog', { strict: true });
    const strict = await call('GET', paths.image(UNLISTED));
    expect(strict.status).toBe(404);
    expect(strict.body.error_code).toBe('ModelArts.6701');
    expect(strict.body.error_msg).toContain(UNLISTED);
    expect((await call('GET', paths.image(IMAGE))).status).toBe(200);
  });

  it('answers the pool quota with string numbers, counting the live pools unless told a number', async () => {
    const pool = (body: Json) => body.quotas.resources.find((r: Json) => r.type === 'pool');
    expect(pool((await call('GET', paths.quotas)).body)).toEqual({ type: 'pool', quota: '1000', used: '0' });
    expect((await call('GET', paths.quotas)).body.quotas.resources.map((r: Json) => r.type)).toEqual(['pool', 'network']);
    await call('POST', `/v2/${PID}/pools`, poolBody('one'));
    await call('POST', `/v2/${PID}/pools`, poolBody('two'));
    expect(pool((await call('GET', paths.quotas)).body)).toMatchObject({ used: '2' });
    await admin(sim.url, 'PUT', '/catalog', { quotas: { pool: { quota: 3, used: 3 } } });
    expect(pool((await call('GET', paths.quotas)).body)).toEqual({ type: 'pool', quota: '3', used: '3' });
    await admin(sim.url, 'PUT', '/catalog', { quotas: { pool: { used: null } } });
    expect(pool((await call('GET', paths.quotas)).body)).toEqual({ type: 'pool', quota: '3', used: '2' });
  });

  it('shows an edge node wrapped in `node`, in the state the catalog gives it', async () => {
    const running = await call('GET', paths.node(NODE));
    expect(running.status).toBe(200);
    expect(running.body.node).toMatchObject({ id: NODE, state: 'RUNNING', error_reason: '' });
    await admin(sim.url, 'PUT', '/catalog', { nodes: { [NODE]: 'UNCONNECTED' } });
    const down = (await call('GET', paths.node(NODE))).body.node;
    expect(down.state).toBe('UNCONNECTED');
    expect(down.error_reason).not.toBe('');
    expect((await call('GET', paths.node(UNLISTED))).body.node.state).toBe('RUNNING');
    await admin(sim.url, 'PUT', '/catalog', { strict: true });
    const unknown = await call('GET', paths.node(UNLISTED));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_code).toBe('IEF.100011');
  });

  it('shows a group flat, with its nodes and the deployments placed on it', async () => {
    const created = await call('POST', `/v3/${PID}/edgemgr/deployments`, {
      ...deploymentBody('on-group'),
      node_ids: undefined,
      group_id: GROUP,
    });
    const res = await call('GET', paths.group(GROUP));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: GROUP, gpu_num: 0, deployments: [created.body.id] });
    expect(res.body.node).toBeUndefined();
    expect(res.body.nodes).toEqual([expect.objectContaining({ id: NODE, state: 'RUNNING' })]);
    // An open catalog makes up one running node for a group it does not list.
    expect((await call('GET', paths.group(UNLISTED))).body.nodes).toEqual([expect.objectContaining({ state: 'RUNNING' })]);
    await admin(sim.url, 'PUT', '/catalog', { strict: true });
    expect((await call('GET', paths.group(UNLISTED))).status).toBe(404);
  });

  it('answers a foreign project as each service does, and an unsigned request 401', async () => {
    const other = '0123456789abcdef0123456789abcdef';
    const ief = await call('GET', `/v2/${other}/edgemgr/nodes/${NODE}`);
    expect(ief.status).toBe(400);
    expect(ief.body.error_code).toBe('IEF.100001');
    const ma = await call('GET', `/v1/${other}/resourceflavors`);
    expect(ma.status).toBe(404);
    expect(ma.body.error_code).toBe('ModelArts.0104');
    expect((await call('GET', paths.quotas, undefined, { unsigned: true })).status).toBe(401);
  });

  it('takes faults like every other route: a 5xx with the service code, not processed', async () => {
    await admin(sim.url, 'POST', '/faults', { rate500: 1 });
    const ma = await call('GET', paths.resourceFlavors);
    expect(ma.status).toBe(500);
    expect(ma.body.error_code).toBe('ModelArts.50005000');
    const ief = await call('GET', paths.node(NODE));
    expect(ief.status).toBe(500);
    expect(ief.body.error_code).toBe('IEF.100500');
    await admin(sim.url, 'POST', '/faults', { rate429: 1 });
    expect((await call('GET', paths.notebookFlavors)).status).toBe(429);
  });
});

describe('simulator catalog: admin (GET/PUT /__sim/catalog) and sold out, missing', () => {
  it('shows the default catalog: open, with the pool quota as the API answers it', async () => {
    const res = await admin(sim.url, 'GET', '/catalog');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ strict: false, soldOut: [], missing: [], quotas: { pool: { quota: 1000, used: 0, counted: true } } });
    expect(res.body.flavors).toContain('modelarts.vm.cpu.2u');
    expect(res.body.nodes[NODE]).toBe('RUNNING');
  });

  it('sells a flavor out in chosen zones, or everywhere (then notebooks see sold_out)', async () => {
    const [a, b] = SIMULATED_AZS;
    await admin(sim.url, 'PUT', '/catalog', { soldOut: [{ flavor: 'modelarts.vm.gpu.t4', azs: [a] }] });
    expect((await resourceFlavor('modelarts.vm.gpu.t4')).status.phase).toMatchObject({ [a]: 'soldout', [b]: 'normal' });
    const notebook = async () =>
      ((await call('GET', paths.notebookFlavors)).body.data as Json[]).find((f) => f.id === 'modelarts.vm.gpu.t4');
    expect((await notebook()).sold_out).toBe(false);
    const put = await admin(sim.url, 'PUT', '/catalog', { soldOut: ['modelarts.vm.gpu.t4'] });
    expect(put.body.soldOut).toEqual([{ flavor: 'modelarts.vm.gpu.t4' }]);
    expect(Object.values((await resourceFlavor('modelarts.vm.gpu.t4')).status.phase)).toEqual(SIMULATED_AZS.map(() => 'soldout'));
    expect((await notebook()).sold_out).toBe(true);
    // Arrays replace whole: an empty list sells nothing out.
    await admin(sim.url, 'PUT', '/catalog', { soldOut: [] });
    expect((await notebook()).sold_out).toBe(false);
  });

  it('makes missing ids disappear everywhere, even from an open catalog', async () => {
    await admin(sim.url, 'PUT', '/catalog', { missing: ['modelarts.vm.cpu.8u', IMAGE, NODE, GROUP] });
    expect(await notebookFlavorIds()).not.toContain('modelarts.vm.cpu.8u');
    expect(await resourceFlavor('modelarts.vm.cpu.8u')).toBeUndefined();
    expect((await call('GET', paths.image(IMAGE))).status).toBe(404);
    expect((await call('GET', paths.node(NODE))).status).toBe(404);
    expect((await call('GET', paths.group(GROUP))).status).toBe(404);
  });

  it('merges objects key by key and keeps what a change leaves out', async () => {
    await admin(sim.url, 'PUT', '/catalog', { nodes: { a: 'FAIL' }, images: { x: { status: 'CREATING' } } });
    const res = await admin(sim.url, 'PUT', '/catalog', { nodes: { b: 'STOPPED' } });
    expect(res.body.nodes).toMatchObject({ [NODE]: 'RUNNING', a: 'FAIL', b: 'STOPPED' });
    expect(res.body.images.x).toEqual({ status: 'CREATING' });
    expect((await call('GET', paths.image('x'))).body.status).toBe('CREATING');
    const removed = await admin(sim.url, 'PUT', '/catalog', { nodes: { a: null } });
    expect(removed.body.nodes.a).toBeUndefined();
  });

  it('refuses a change it cannot read, naming the field, and changes nothing', async () => {
    const before = (await admin(sim.url, 'GET', '/catalog')).body;
    for (const [body, words] of [
      [{ nodes: { [NODE]: 'ASLEEP' } }, `nodes.${NODE}`],
      [{ soldOut: [{ flavor: 'x', azs: [] }] }, 'soldOut.0'],
      [{ quotas: { pool: { quota: 'ten' } } }, 'quotas.pool.quota'],
      [{ colour: 'red' }, 'colour'],
    ] as const) {
      const res = await admin(sim.url, 'PUT', '/catalog', body);
      expect(res.status).toBe(400);
      expect(res.body.error).toContain(words);
    }
    expect((await admin(sim.url, 'GET', '/catalog')).body).toEqual(before);
  });

  it('goes back to the start-up catalog on reset', async () => {
    await admin(sim.url, 'PUT', '/catalog', { strict: true, soldOut: ['modelarts.vm.cpu.2u'] });
    await admin(sim.url, 'POST', '/reset');
    expect((await admin(sim.url, 'GET', '/catalog')).body).toMatchObject({ strict: false, soldOut: [] });
  });
});

describe('simulator catalog: the default lists every id the examples and request examples use', () => {
  const manifests = readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(EXAMPLES, f), 'utf8')).map((d) => d.toJS() as Json));
  const bodies = [...manifests.map((m) => m.spec.body), notebookExample(), poolExample(), nodePoolExample(), deploymentExample()];
  const flavors = new Set<string>();
  const images = new Set<string>();
  const nodes = new Set<string>();
  for (const body of bodies) {
    if (body.flavor) flavors.add(body.flavor);
    if (body.image_id) images.add(body.image_id);
    for (const node of body.node_ids ?? []) nodes.add(node);
    const resources = body.spec?.resources;
    for (const r of Array.isArray(resources) ? resources : resources ? [resources] : []) flavors.add(r.flavor);
  }

  it('holds them even when strict', async () => {
    expect(flavors.size).toBeGreaterThanOrEqual(3);
    expect(images.size).toBeGreaterThanOrEqual(1);
    expect(nodes.size).toBeGreaterThanOrEqual(1);
    await admin(sim.url, 'PUT', '/catalog', { strict: true });
    const listed = await notebookFlavorIds();
    for (const flavor of flavors) {
      expect(listed).toContain(flavor);
      expect(await resourceFlavor(flavor)).toBeDefined();
    }
    for (const image of images) expect((await call('GET', paths.image(image))).body.status).toBe('ACTIVE');
    for (const node of nodes) expect((await call('GET', paths.node(node))).body.node.state).toBe('RUNNING');
  });
});

describe('simulator catalog: the constructor option', () => {
  it('starts from the default changed by the option, and a reset returns to it', async () => {
    const strict = await startSimulator({ port: 0, catalog: { strict: true, quotas: { pool: { quota: 2 } } } });
    try {
      const get = httpClient(strict.url);
      expect((await get('GET', paths.image(UNLISTED))).status).toBe(404);
      await admin(strict.url, 'PUT', '/catalog', { strict: false });
      await admin(strict.url, 'POST', '/reset');
      expect((await admin(strict.url, 'GET', '/catalog')).body).toMatchObject({ strict: true, quotas: { pool: { quota: 2 } } });
    } finally {
      await strict.close();
    }
  });

  it('refuses an option the catalog cannot read', async () => {
    await expect(startSimulator({ port: 0, catalog: { nodes: { x: 'ASLEEP' as 'RUNNING' } } })).rejects.toThrow(/catalog: nodes\.x/);
  });
});

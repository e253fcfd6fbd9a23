/**
 * Each kind's preflight against a started simulator through the real client: what passes, what Huawei's catalog
 * says no to (sold out, missing, quota full, a node not running), and what Huawei cannot answer (5xx, too slow).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SIMULATED_AZS } from '../../local/huaweicloud-simulator/catalog';
import { type RunningSimulator, SIMULATOR_DEFAULTS, startSimulator } from '../../local/huaweicloud-simulator/index';
import { HuaweiCloudClient, type HuaweiCall, type HuaweiTransport } from '../../shared/huaweicloud/client';
import { HuaweiPermanentError } from '../../shared/huaweicloud/errors';
import type { AdapterResource, PreflightCheck, PreflightContext } from '../../shared/kinds/adapter';
import { adapterOf } from '../../shared/kinds/registry';
import { admin, type Json, PID } from '../simulator/helpers';
import { deploymentExample, nodePoolExample, notebookExample, poolExample } from './request-examples';

const IMAGE = 'e1a07296-22a8-4f05-8bc8-e936c8e54090';
const NODE = '9ebd8efb-9fdd-44a1-abda-9cdbc287a867';
const GROUP = 'c0ffee00-0000-4000-8000-000000000001';
const target = { projectId: PID };
const CREATE: PreflightContext = { operation: 'create' };

let sim: RunningSimulator;
let cloud: HuaweiCloudClient;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  // A small retry budget: a simulated 5xx gives up fast, as a preflight's bounded look-up would.
  cloud = new HuaweiCloudClient({
    credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
    modelartsEndpoint: sim.url,
    iefEndpoint: sim.url,
    connectTimeoutMs: 500,
    readTimeoutMs: 1_000,
    retryBudgetMs: 300,
    retryBaseMs: 10,
    retryMaxDelayMs: 50,
  });
});
beforeEach(async () => {
  await admin(sim.url, 'POST', '/reset');
});
afterAll(() => sim?.close());

const resourceOf = (body: Json, extra: Record<string, unknown> = {}): AdapterResource => ({
  projectId: PID,
  region: 'cn-north-4',
  name: 'r1',
  spec: { body, ...extra },
});
const catalog = (patch: Json) => admin(sim.url, 'PUT', '/catalog', patch);
const run = (kind: string, body: Json, context: PreflightContext = CREATE, extra: Record<string, unknown> = {}) =>
  adapterOf(kind).preflight(cloud, resourceOf(body, extra), target, context);
const summary = (checks: PreflightCheck[]) => checks.map((c) => `${c.check}:${c.status}`);
const only = (checks: PreflightCheck[], name: string) => {
  const found = checks.filter((c) => c.check === name);
  expect(found, `one ${name} check in ${JSON.stringify(checks)}`).toHaveLength(1);
  return found[0]!;
};

describe('Notebook preflight', () => {
  it("passes Huawei's request example: flavor, EVS size and image", async () => {
    const checks = await run('Notebook', notebookExample());
    expect(summary(checks)).toEqual(['flavor:passed', 'evs-size:passed', 'image:passed']);
    expect(only(checks, 'flavor')).toMatchObject({ path: 'spec.body.flavor', message: 'flavor modelarts.vm.cpu.2u is available' });
    expect(only(checks, 'image').path).toBe('spec.body.image_id');
  });

  it('fails a sold-out flavor, naming it', async () => {
    await catalog({ soldOut: ['modelarts.vm.cpu.2u'] });
    const flavor = only(await run('Notebook', notebookExample()), 'flavor');
    expect(flavor).toEqual({
      check: 'flavor',
      status: 'failed',
      path: 'spec.body.flavor',
      message: 'flavor modelarts.vm.cpu.2u is sold out',
    });
  });

  it('fails a flavor Huawei does not offer', async () => {
    const checks = await run('Notebook', { ...notebookExample(), flavor: 'modelarts.vm.none.1u' });
    expect(only(checks, 'flavor')).toMatchObject({
      status: 'failed',
      message: expect.stringContaining('is not among the notebook flavors'),
    });
    // Nothing to measure the volume against: only the flavor check says so.
    expect(checks.map((c) => c.check)).not.toContain('evs-size');
  });

  it('fails an EVS volume over the flavor limit', async () => {
    const body = { ...notebookExample(), volume: { category: 'EVS', ownership: 'MANAGED', capacity: 5000 } };
    expect(only(await run('Notebook', body), 'evs-size')).toEqual({
      check: 'evs-size',
      status: 'failed',
      path: 'spec.body.volume.capacity',
      message: "an EVS volume of 5000 GB is over flavor modelarts.vm.cpu.2u's limit of 4096 GB",
    });
  });

  it("fails a missing image with Huawei's words, and an image that is not ACTIVE or not for the flavor", async () => {
    await catalog({ missing: [IMAGE] });
    const missing = only(await run('Notebook', notebookExample()), 'image');
    expect(missing).toMatchObject({ status: 'failed', path: 'spec.body.image_id' });
    expect(missing.message).toBe(`image ${IMAGE}: ModelArts.6701: image ${IMAGE} does not exist`);

    await catalog({ missing: [], images: { [IMAGE]: { status: 'CREATING' } } });
    expect(only(await run('Notebook', notebookExample()), 'image').message).toBe(`image ${IMAGE} is CREATING, not ACTIVE`);

    await catalog({ images: { [IMAGE]: { status: 'ACTIVE', arch: 'AARCH64' } } });
    expect(only(await run('Notebook', notebookExample()), 'image')).toMatchObject({
      status: 'failed',
      message: `image ${IMAGE} is built for AARCH64, and flavor modelarts.vm.cpu.2u runs x86_64`,
    });
  });

  it('fails a missing image even in an open catalog, and a strict catalog fails one it does not list', async () => {
    const other = '3f0c8a52-6a1b-4c1e-9d2e-0b7f5a8c1d44';
    expect(only(await run('Notebook', { ...notebookExample(), image_id: other }), 'image').status).toBe('passed');
    await catalog({ strict: true });
    expect(only(await run('Notebook', { ...notebookExample(), image_id: other }), 'image').status).toBe('failed');
  });

  it('answers unknown, never failed, when Huawei answers 5xx', async () => {
    await admin(sim.url, 'POST', '/faults', { rate500: 1 });
    const checks = await run('Notebook', notebookExample());
    expect(summary(checks)).toEqual(['flavor:unknown', 'image:unknown']);
    expect(checks[0]!.message).toContain('ModelArts.50005000');
  });

  it('an update checks what it changes: a new flavor and its image, a volume that grows, nothing else', async () => {
    const current = { body: notebookExample() };
    const same = await run('Notebook', notebookExample(), { operation: 'update', current });
    expect(same).toEqual([]);
    const grown = await run(
      'Notebook',
      { ...notebookExample(), volume: { category: 'EVS', ownership: 'MANAGED', capacity: 60 } },
      {
        operation: 'update',
        current,
      },
    );
    expect(summary(grown)).toEqual(['evs-size:passed']);
    await catalog({ soldOut: ['modelarts.vm.cpu.8u'] });
    const moved = await run('Notebook', { ...notebookExample(), flavor: 'modelarts.vm.cpu.8u' }, { operation: 'update', current });
    expect(summary(moved)).toEqual(['flavor:failed', 'evs-size:passed', 'image:passed']);
  });
});

describe('ResourcePool preflight', () => {
  it("passes Huawei's request example: its flavor and the pool quota", async () => {
    const checks = await run('ResourcePool', poolExample());
    expect(summary(checks)).toEqual(['pool-flavor:passed', 'pool-quota:passed']);
    expect(only(checks, 'pool-flavor')).toMatchObject({ path: 'spec.body.spec.resources[0].flavor' });
    expect(only(checks, 'pool-quota').message).toBe('pool quota: 0 of 1000 pools in use');
  });

  it('fails a flavor sold out in every zone; one sold out in a single zone still passes', async () => {
    await catalog({ soldOut: [{ flavor: 'modelarts.vm.gpu.tnt004', azs: [SIMULATED_AZS[0]] }] });
    expect(only(await run('ResourcePool', poolExample()), 'pool-flavor').status).toBe('passed');
    await catalog({ soldOut: ['modelarts.vm.gpu.tnt004'] });
    expect(only(await run('ResourcePool', poolExample()), 'pool-flavor')).toMatchObject({
      status: 'failed',
      message: `flavor modelarts.vm.gpu.tnt004 is sold out in every availability zone (${SIMULATED_AZS.join(', ')})`,
    });
  });

  it('fails when the pool quota is used up by the pools Huawei holds', async () => {
    await catalog({ quotas: { pool: { quota: 1 } } });
    expect(only(await run('ResourcePool', poolExample()), 'pool-quota').status).toBe('passed');
    await adapterOf('ResourcePool').create(cloud, resourceOf(poolExample()), target);
    expect(only(await run('ResourcePool', poolExample()), 'pool-quota')).toEqual({
      check: 'pool-quota',
      status: 'failed',
      message: 'pool quota used up: 1 of 1 pools in use',
    });
  });

  it('an update checks the flavors that grow, and no quota', async () => {
    const grow = poolExample();
    grow.spec.resources = [
      { flavor: 'modelarts.vm.gpu.tnt004', count: 3 },
      { flavor: 'modelarts.vm.cpu.8u', count: 1 },
    ];
    const current = { body: poolExample() };
    await catalog({ soldOut: ['modelarts.vm.cpu.8u'] });
    const checks = await run('ResourcePool', grow, { operation: 'update', current });
    expect(checks.map((c) => [c.path, c.status])).toEqual([
      ['spec.body.spec.resources[0].flavor', 'passed'],
      ['spec.body.spec.resources[1].flavor', 'failed'],
    ]);
    const shrink = poolExample();
    shrink.spec.resources[0].count = 1;
    expect(await run('ResourcePool', shrink, { operation: 'update', current })).toEqual([]);
  });

  it('answers unknown for both checks when Huawei answers 5xx', async () => {
    await admin(sim.url, 'POST', '/faults', { rate500: 1 });
    expect(summary(await run('ResourcePool', poolExample()))).toEqual(['pool-flavor:unknown', 'pool-quota:unknown']);
  });
});

describe('NodePool preflight', () => {
  const inZone = (az: string) => {
    const body = nodePoolExample();
    body.spec.resources.azs = [{ az, count: 1 }];
    return body;
  };

  it('passes its flavor, and fails it when sold out in the zone its nodes go to', async () => {
    const [a, b] = SIMULATED_AZS;
    expect(await run('NodePool', nodePoolExample())).toEqual([
      {
        check: 'pool-flavor',
        status: 'passed',
        path: 'spec.body.spec.resources.flavor',
        message: 'flavor modelarts.vm.2u4g.dcc is available',
      },
    ]);
    await catalog({ soldOut: [{ flavor: 'modelarts.vm.2u4g.dcc', azs: [a] }] });
    expect(only(await run('NodePool', inZone(b)), 'pool-flavor').status).toBe('passed');
    expect(only(await run('NodePool', inZone(a)), 'pool-flavor')).toMatchObject({
      status: 'failed',
      message: `flavor modelarts.vm.2u4g.dcc is sold out in ${a}`,
    });
  });

  it('fails a flavor Huawei does not list, and an update checks only a growing count', async () => {
    await catalog({ missing: ['modelarts.vm.2u4g.dcc'] });
    expect(only(await run('NodePool', nodePoolExample()), 'pool-flavor').message).toContain('is not among the resource flavors');
    const current = { body: nodePoolExample() };
    expect(await run('NodePool', nodePoolExample(), { operation: 'update', current })).toEqual([]);
    const more = nodePoolExample();
    more.spec.resources.count = 2;
    more.spec.resources.maxCount = 2;
    expect(summary(await run('NodePool', more, { operation: 'update', current }))).toEqual(['pool-flavor:failed']);
  });
});

describe('EdgeDeployment preflight', () => {
  it('passes a RUNNING node; fails an UNCONNECTED or FAIL one, saying the state', async () => {
    const ok = only(await run('EdgeDeployment', deploymentExample()), 'ief-node');
    expect(ok).toMatchObject({ status: 'passed', path: 'spec.body.node_ids[0]' });
    for (const state of ['UNCONNECTED', 'FAIL']) {
      await catalog({ nodes: { [NODE]: state } });
      const down = only(await run('EdgeDeployment', deploymentExample()), 'ief-node');
      expect(down.status).toBe('failed');
      expect(down.message).toMatch(new RegExp(`^edge node edge-node-9ebd8efb \\(${NODE}\\) is ${state}: `));
    }
  });

  it("fails a node Huawei does not know, in Huawei's words", async () => {
    await catalog({ missing: [NODE] });
    expect(only(await run('EdgeDeployment', deploymentExample()), 'ief-node').message).toBe(
      `edge node ${NODE}: IEF.100011: edge node ${NODE} not found`,
    );
  });

  it('passes a group with a RUNNING node and fails one whose nodes are all down', async () => {
    const { node_ids: _nodes, ...rest } = deploymentExample();
    const onGroup = { ...rest, group_id: GROUP };
    expect(summary(await run('EdgeDeployment', onGroup))).toEqual(['ief-group:passed']);
    await catalog({ nodes: { [NODE]: 'UNCONNECTED' } });
    const down = only(await run('EdgeDeployment', onGroup), 'ief-group');
    expect(down).toMatchObject({ status: 'failed', path: 'spec.body.group_id' });
    expect(down.message).toContain('has no RUNNING node');
    expect(down.message).toContain('UNCONNECTED');
  });

  it('answers unknown when IEF answers 5xx, and an update that adds no replica checks nothing', async () => {
    await admin(sim.url, 'POST', '/faults', { rate500: 1 });
    const checks = await run('EdgeDeployment', deploymentExample());
    expect(summary(checks)).toEqual(['ief-node:unknown']);
    expect(checks[0]!.message).toContain('IEF.100500');
    expect(await run('EdgeDeployment', deploymentExample(), { operation: 'update', current: { body: deploymentExample() } })).toEqual([]);
  });
});

describe('preflight look-ups are bounded in time', () => {
  it('a slow Huawei makes the check unknown when the signal aborts, not when the answer comes', async () => {
    await admin(sim.url, 'POST', '/faults', { rateSlow: 1, slowMs: 5_000 });
    const started = Date.now();
    const checks = await run('EdgeDeployment', deploymentExample(), { operation: 'create', signal: AbortSignal.timeout(200) });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(checks).toEqual([
      {
        check: 'ief-node',
        status: 'unknown',
        path: 'spec.body.node_ids[0]',
        message: `edge node ${NODE}: Huawei did not answer show edge node in time`,
      },
    ]);
  });
});

describe('resource flavor list and rules (a transport that answers from a script)', () => {
  /** Answers each call from `answer`, recording the calls. */
  function scripted(answer: (call: HuaweiCall) => unknown): HuaweiTransport & { calls: HuaweiCall[] } {
    const calls: HuaweiCall[] = [];
    return {
      calls,
      send: async (call) => {
        calls.push(call);
        return { status: 200, body: answer(call) };
      },
    };
  }
  const flavorItem = (name: string, billingModes = [0, 1]) => ({
    metadata: { name },
    spec: { billingModes },
    status: { phase: { 'cn-north-4a': 'normal' } },
  });

  it('follows metadata.continue to a flavor on a later page', async () => {
    const transport = scripted((call) =>
      call.query?.continue === 'page-2'
        ? { items: [flavorItem('modelarts.vm.2u4g.dcc')], metadata: {} }
        : { items: [flavorItem('other')], metadata: { continue: 'page-2' } },
    );
    const checks = await adapterOf('NodePool').preflight(transport, resourceOf(nodePoolExample()), target, CREATE);
    expect(summary(checks)).toEqual(['pool-flavor:passed']);
    expect(transport.calls.map((c) => [c.method, c.path, c.query?.continue])).toEqual([
      ['GET', `/v1/${PID}/resourceflavors`, undefined],
      ['GET', `/v1/${PID}/resourceflavors`, 'page-2'],
    ]);
    expect(transport.calls.every((c) => c.callKind === 'read' && c.service === 'modelarts')).toBe(true);
  });

  it('fails a billing mode the flavor is not sold with', async () => {
    const transport = scripted(() => ({ items: [flavorItem('modelarts.vm.2u4g.dcc', [0])], metadata: {} }));
    const body = nodePoolExample();
    body.metadata.annotations = { 'os.modelarts/billing.mode': '1', 'os.modelarts/period.num': '1', 'os.modelarts/period.type': '2' };
    const checks = await adapterOf('NodePool').preflight(transport, resourceOf(body), target, CREATE);
    expect(only(checks, 'pool-flavor')).toMatchObject({
      status: 'failed',
      message: 'flavor modelarts.vm.2u4g.dcc is not sold yearly/monthly (billing mode 1)',
    });
  });

  it('reads quota numbers given as numbers too, and an unlimited quota (-1)', async () => {
    const quotas = (quota: unknown, used: unknown) =>
      scripted((call) =>
        call.path.endsWith('/quotas')
          ? { quotas: { resources: [{ type: 'pool', quota, used }] } }
          : { items: [flavorItem('modelarts.vm.gpu.tnt004')] },
      );
    const check = async (quota: unknown, used: unknown) =>
      only(await adapterOf('ResourcePool').preflight(quotas(quota, used), resourceOf(poolExample()), target, CREATE), 'pool-quota');
    expect((await check(2, 2)).status).toBe('failed');
    expect((await check(-1, 50)).status).toBe('passed');
    expect(await check('x', '1')).toMatchObject({ status: 'unknown' });
  });

  it('answers unknown, not failed, when Huawei refuses a list read', async () => {
    const refusing: HuaweiTransport = {
      send: async () => {
        throw new HuaweiPermanentError({
          operation: 'list resource flavors',
          status: 400,
          errorCode: 'ModelArts.50004000',
          errorMsg: 'Bad request',
        });
      },
    };
    const checks = await adapterOf('NodePool').preflight(refusing, resourceOf(nodePoolExample()), target, CREATE);
    expect(checks).toEqual([expect.objectContaining({ check: 'pool-flavor', status: 'unknown' })]);
  });

  it('answers unknown for a refusal about the caller (403), failed for one about the image (400)', async () => {
    const refusing = (status: number, errorCode: string): HuaweiTransport => ({
      send: async (call) => {
        if (!call.path.includes('/images/')) return { status: 200, body: { data: [] } };
        throw new HuaweiPermanentError({ operation: call.operation, status, errorCode, errorMsg: 'no' });
      },
    });
    const image = async (transport: HuaweiTransport) =>
      only(await adapterOf('Notebook').preflight(transport, resourceOf(notebookExample()), target, CREATE), 'image');
    expect((await image(refusing(403, 'ModelArts.0003'))).status).toBe('unknown');
    expect(await image(refusing(400, 'ModelArts.6309'))).toMatchObject({ status: 'failed', message: `image ${IMAGE}: ModelArts.6309: no` });
  });

  it("a thrown error that is not Huawei's is unknown too", async () => {
    const broken: HuaweiTransport = {
      send: async () => {
        throw new TypeError('socket hang up');
      },
    };
    const checks = await adapterOf('Notebook').preflight(broken, resourceOf(notebookExample()), target, CREATE);
    expect(summary(checks)).toEqual(['flavor:unknown', 'image:unknown']);
    expect(checks[0]!.message).toContain('socket hang up');
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../local/huaweicloud-simulator/index';
import { SIMULATOR_DEFAULTS } from '../../local/huaweicloud-simulator/defaults';
import { HuaweiCloudClient, type HuaweiClientOptions, type HuaweiLogger, type HuaweiTarget } from '../../shared/huaweicloud/client';
import { HuaweiPermanentError, HuaweiUnknownOutcomeError, isHuaweiError } from '../../shared/huaweicloud/errors';
import type { AdapterResource, Observation } from '../../shared/kinds/adapter';
import { adapterOf, type Kind } from '../../shared/kinds/registry';

/*
 * The client against the local simulator: real HTTP, real signatures, the simulator's state
 * machines and fault injection. Bodies are the smallest the create APIs accept. Each kind's calls go
 * through its adapter, as the lifecycle makes them, so the ownership marks meet the simulator too.
 */
let sim: { url: string; close(): Promise<void> };
const target: HuaweiTarget = { projectId: SIMULATOR_DEFAULTS.projectId };

function client(extra: Partial<HuaweiClientOptions> = {}, url = sim.url): HuaweiCloudClient {
  return new HuaweiCloudClient({
    credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
    modelartsEndpoint: url,
    iefEndpoint: url,
    connectTimeoutMs: 1_000,
    readTimeoutMs: 2_000,
    retryBudgetMs: 10_000,
    retryBaseMs: 50,
    retryMaxDelayMs: 400,
    ...extra,
  });
}

async function admin(path: string, body?: unknown, url = sim.url): Promise<unknown> {
  const response = await fetch(`${url}/__sim/${path}`, {
    method: body === undefined && path === 'resources' ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok, `admin ${path}: HTTP ${response.status}`).toBe(true);
  const text = await response.text();
  return text ? (JSON.parse(text) as unknown) : undefined;
}

const suffix = () => randomUUID().slice(0, 8);

/** A resource as the lifecycle hands it to an adapter: named after its body, in the simulator's project. */
function resourceOf(name: string, body: Record<string, unknown>): AdapterResource {
  return { projectId: target.projectId, region: 'cn-north-4', name, spec: { body } };
}

function create(c: HuaweiCloudClient, kind: Kind, t: HuaweiTarget, name: string, body: Record<string, unknown>) {
  return adapterOf(kind).create(c, resourceOf(name, body), t);
}

const find = (c: HuaweiCloudClient, kind: Kind, t: HuaweiTarget, name: string) => adapterOf(kind).find(c, t, name);

function notebookBody(name: string, flavor = 'modelarts.vm.cpu.2u') {
  return {
    name,
    description: `idem:${name}`,
    feature: 'NOTEBOOK',
    flavor,
    image_id: 'e1a07296-22a8-4f05-8bc8-e936c8e54090',
    volume: { category: 'EVS', ownership: 'MANAGED', capacity: 5 },
    workspace_id: '0',
  };
}

function poolBody(name: string, flavor = 'modelarts.vm.cpu.16u64g.d') {
  return {
    apiVersion: 'v2',
    kind: 'Pool',
    metadata: {
      labels: { 'os.modelarts/name': name, 'os.modelarts/workspace.id': '0' },
      annotations: { 'os.modelarts/description': `idem:${name}`, 'os.modelarts/billing.mode': '0' },
    },
    spec: {
      type: 'Dedicate',
      scope: ['Train'],
      resources: [{ flavor, count: 1, maxCount: 1, nodePool: 'nodepool-1' }],
      network: { name: `network-${SIMULATOR_DEFAULTS.projectId}` },
    },
  };
}

function nodePoolBody(name: string, flavor = 'modelarts.vm.cpu.16u64g.d') {
  return {
    apiVersion: 'v2',
    kind: 'NodePool',
    metadata: { name, annotations: { 'os.modelarts/billing.mode': '0' } },
    spec: { resources: { flavor, count: 1, maxCount: 1 } },
  };
}

function deploymentBody(name: string, image = 'nginx:alpine') {
  return {
    name,
    description: 'contract test',
    node_ids: ['29d20c18-c20c-4a45-a087-42c766fc5d97'],
    tags: [{ key: 'idem', value: name }],
    deployment: {
      replicas: 1,
      template: {
        configs: { restart_policy: 'Always' },
        containers: [{ name: 'container-0', image_url: image, resources: { limits: { cpu: '0.25', memory: '500' } } }],
      },
    },
  };
}

/** Observes (show, and pods for IEF) until a terminal phase, returning every phase seen and the last observation. */
async function waitTerminal(c: HuaweiCloudClient, kind: Kind, t: HuaweiTarget, id: string, timeoutMs = 15_000) {
  const phases: Observation['phase'][] = [];
  const deadline = Date.now() + timeoutMs;
  let last: Observation | undefined;
  while (Date.now() < deadline) {
    last = await adapterOf(kind).observe(c, t, id);
    phases.push(last.phase);
    if (last.phase !== 'InProgress') return { phases, status: last, raw: last.observed };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${kind} ${id} still ${JSON.stringify(last && { ...last, observed: undefined })} after ${timeoutMs} ms`);
}

/** A parent pool for node pools, created through the client like any other resource. */
async function readyPool(c: HuaweiCloudClient): Promise<string> {
  const name = `parent-${suffix()}`;
  const { id } = await create(c, 'ResourcePool', target, name, poolBody(name));
  const { status } = await waitTerminal(c, 'ResourcePool', target, id);
  expect(status.phase).toBe('Succeeded');
  return id;
}

beforeAll(async () => {
  sim = await startSimulator({ ...SIMULATOR_DEFAULTS, port: 0, durations: 'fast', seed: 42 });
});

afterAll(async () => {
  await sim?.close();
});

beforeEach(async () => {
  await admin('reset', {});
});

describe('each kind: create, then poll to Succeeded', () => {
  it('Notebook', async () => {
    const c = client();
    const name = `nb-${suffix()}`;
    const { id } = await create(c, 'Notebook', target, name, notebookBody(name));
    const { phases } = await waitTerminal(c, 'Notebook', target, id);
    expect(phases[0]).toBe('InProgress');
    expect(phases.at(-1)).toBe('Succeeded');
    const found = await find(c, 'Notebook', target, name);
    expect(found).toEqual([expect.objectContaining({ id, name })]);
    // The mark at the end of the description survives the round trip: the resource is recognised as ours.
    expect(adapterOf('Notebook').ownedId(found[0], resourceOf(name, notebookBody(name)))).toBe(id);
    expect(adapterOf('Notebook').ownedId(found[0], resourceOf(`other-${name}`, notebookBody(name)))).toBeUndefined();
  });

  it('ResourcePool', async () => {
    const c = client();
    const name = `pool-${suffix()}`;
    const { id } = await create(c, 'ResourcePool', target, name, poolBody(name));
    const { phases } = await waitTerminal(c, 'ResourcePool', target, id);
    expect(phases[0]).toBe('InProgress');
    expect(phases.at(-1)).toBe('Succeeded');
    const found = await find(c, 'ResourcePool', target, name);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ metadata: { name: id } });
    expect(adapterOf('ResourcePool').ownedId(found[0], resourceOf(name, poolBody(name)))).toBe(id);
  });

  it('NodePool', async () => {
    const c = client();
    const poolName = await readyPool(c);
    const t = { ...target, poolName };
    const name = `np-${suffix()}`;
    const { id } = await create(c, 'NodePool', t, name, nodePoolBody(name));
    expect(id).toBe(name);
    const { phases } = await waitTerminal(c, 'NodePool', t, id);
    expect(phases[0]).toBe('InProgress');
    expect(phases.at(-1)).toBe('Succeeded');
    const found = await find(c, 'NodePool', t, name);
    expect(found).toHaveLength(1);
    expect(adapterOf('NodePool').ownedId(found[0], resourceOf(name, nodePoolBody(name)))).toBe(id);
    expect(await find(c, 'NodePool', t, `np-absent-${suffix()}`)).toEqual([]);
  });

  it('EdgeDeployment', async () => {
    const c = client();
    const name = `edge-${suffix()}`;
    const { id } = await create(c, 'EdgeDeployment', target, name, deploymentBody(name));
    const { phases } = await waitTerminal(c, 'EdgeDeployment', target, id);
    expect(phases[0]).toBe('InProgress');
    expect(phases.at(-1)).toBe('Succeeded');
    const found = await find(c, 'EdgeDeployment', target, name);
    expect(found).toEqual([expect.objectContaining({ id, name })]);
    // The ownership tag survives the round trip next to the body's own tags.
    expect(adapterOf('EdgeDeployment').ownedId(found[0], resourceOf(name, deploymentBody(name)))).toBe(id);
    expect(adapterOf('EdgeDeployment').ownedId(found[0], resourceOf(`other-${name}`, deploymentBody(name)))).toBeUndefined();
  });
});

describe('each kind: a sim-fail body reaches Failed with the simulator reason', () => {
  it('Notebook', async () => {
    const c = client();
    const name = `nb-${suffix()}`;
    const { id } = await create(c, 'Notebook', target, name, notebookBody(name, 'modelarts.vm.sim-fail'));
    const { status, raw } = await waitTerminal(c, 'Notebook', target, id);
    expect(status).toMatchObject({ phase: 'Failed', reason: 'CREATE_FAILED' });
    const failReason = (raw as { fail_reason?: string }).fail_reason;
    expect(failReason).toBeTruthy();
    expect(status.message).toContain(failReason);
  });

  it('ResourcePool', async () => {
    const c = client();
    const name = `pool-${suffix()}`;
    const { id } = await create(c, 'ResourcePool', target, name, poolBody(name, 'modelarts.vm.sim-fail'));
    const { status, raw } = await waitTerminal(c, 'ResourcePool', target, id);
    expect(status.phase).toBe('Failed');
    const message = (raw as { status?: { message?: string } }).status?.message;
    expect(message).toContain('sim-fail');
    expect(status.message).toBe(message);
  });

  it('NodePool (the API carries no reason text, only abnormal counts)', async () => {
    const c = client();
    const poolName = await readyPool(c);
    const t = { ...target, poolName };
    const name = `np-${suffix()}`;
    const { id } = await create(c, 'NodePool', t, name, nodePoolBody(name, 'modelarts.vm.sim-fail'));
    const { status } = await waitTerminal(c, 'NodePool', t, id);
    expect(status).toMatchObject({ phase: 'Failed', reason: 'Abnormal' });
    expect(status.message).toMatch(/abnormal [1-9]/);
  });

  it('EdgeDeployment', async () => {
    const c = client();
    const name = `edge-${suffix()}`;
    const { id } = await create(c, 'EdgeDeployment', target, name, deploymentBody(name, 'nginx:sim-fail'));
    const { status } = await waitTerminal(c, 'EdgeDeployment', target, id);
    expect(status.phase).toBe('Failed');
    expect(status.reason).toBeTruthy();
    expect(status.message).toContain('sim-fail');
  });
});

describe('gateway behaviour', () => {
  it('rejects a wrong SK as Permanent 401', async () => {
    const c = client({ credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: 'not-the-secret' } });
    const name = `nb-${suffix()}`;
    const error = await create(c, 'Notebook', target, name, notebookBody(name)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HuaweiPermanentError);
    expect(error).toMatchObject({ status: 401, errorCode: 'APIGW.0301' });
    expect((error as Error).message).not.toContain('not-the-secret');
  });

  it('backs off on 429 and then succeeds', async () => {
    // A dedicated simulator with a tight per-second limit, so the throttling is the gateway's own.
    const limited = await startSimulator({ ...SIMULATOR_DEFAULTS, port: 0, durations: 'fast', rateLimitPerSecond: 2 });
    try {
      const delays: number[] = [];
      const logger: HuaweiLogger = {
        warn: (_m, extra) => {
          if (extra?.['status'] === 429) delays.push(Number(extra['delayMs']));
        },
        error: () => {},
      };
      const c = client({ logger, retryBaseMs: 300, retryMaxDelayMs: 1_000 }, limited.url);
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 6 }, () => find(c, 'Notebook', target, 'nobody')));
      const elapsed = Date.now() - started;
      expect(results).toEqual(Array.from({ length: 6 }, () => []));
      expect(delays.length).toBeGreaterThan(0);
      // Requests run in parallel, so the slowest one waited at least its longest backoff.
      expect(elapsed).toBeGreaterThanOrEqual(Math.max(...delays));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(150);
    } finally {
      await limited.close();
    }
  });
});

describe('under 30% injected faults', () => {
  it('every create ends as success, Permanent or UnknownOutcome, and no read is lost', { timeout: 120_000 }, async () => {
    await admin('faults', { rate429: 0.1, rate500: 0.08, rateSlow: 0.06, rateDrop: 0.06, slowMs: 1_500, seed: 7 });
    const c = client({ connectTimeoutMs: 200, readTimeoutMs: 400, retryBudgetMs: 15_000 });
    const outcomes: Array<{ kind: Kind; name: string; result: 'ok' | 'permanent' | 'unknown'; id?: string }> = [];
    const unexpected: unknown[] = [];

    for (let i = 0; i < 24; i++) {
      const kind: Kind = i % 2 === 0 ? 'Notebook' : 'EdgeDeployment';
      const name = `${kind === 'Notebook' ? 'nb' : 'edge'}-f${i}-${suffix()}`;
      const body = kind === 'Notebook' ? notebookBody(name) : deploymentBody(name);
      try {
        const { id } = await create(c, kind, target, name, body);
        outcomes.push({ kind, name, result: 'ok', id });
      } catch (error) {
        if (error instanceof HuaweiPermanentError) outcomes.push({ kind, name, result: 'permanent' });
        else if (error instanceof HuaweiUnknownOutcomeError) outcomes.push({ kind, name, result: 'unknown' });
        else unexpected.push(isHuaweiError(error) ? error.toJSON() : String(error));
      }
    }
    expect(unexpected).toEqual([]);
    expect(outcomes.filter((o) => o.result === 'ok').length).toBeGreaterThan(0);

    // Reads ride through the same faults: each must come back (retried inside the client).
    for (const o of outcomes.filter((x) => x.result === 'ok')) {
      await expect(adapterOf(o.kind).observe(c, target, o.id!)).resolves.toMatchObject({ observed: { name: o.name } });
      await expect(find(c, o.kind, target, o.name)).resolves.toHaveLength(1);
    }

    // Reconcile the ambiguous ones once the faults stop: found at most once, never duplicated.
    await admin('faults', {});
    let adopted = 0;
    for (const o of outcomes.filter((x) => x.result === 'unknown')) {
      const found = (await find(c, o.kind, target, o.name)).length;
      expect(found).toBeLessThanOrEqual(1);
      adopted += found;
    }
    // Only 429s were resent, so the simulator holds exactly one resource per committed create.
    const ledger = (await admin('resources')) as { count: number };
    expect(ledger.count).toBe(outcomes.filter((o) => o.result === 'ok').length + adopted);
    console.info(
      `fault run: ${outcomes.filter((o) => o.result === 'ok').length} ok, ` +
        `${outcomes.filter((o) => o.result === 'unknown').length} unknown outcome, ` +
        `${outcomes.filter((o) => o.result === 'permanent').length} permanent`,
    );
  });
});

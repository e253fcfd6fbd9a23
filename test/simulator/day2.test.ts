/**
 * Day-2 calls (update, stop/start, merge-patch, delete) sent by the real transport and the kind adapters to the
 * simulator: what each applies, the states it moves through, what is refused, and that faults stay harmless.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../local/huaweicloud-simulator/faults';
import { type RunningSimulator, SIMULATOR_DEFAULTS, startSimulator } from '../../local/huaweicloud-simulator/index';
import { type HuaweiTarget, HuaweiCloudClient } from '../../shared/huaweicloud/client';
import { HuaweiPermanentError } from '../../shared/huaweicloud/errors';
import type { AdapterResource, KindAdapter, Observation } from '../../shared/kinds/adapter';
import { type DeploymentUpdate, edgeDeployment, updateDeployment } from '../../shared/kinds/edge-deployment';
import { nodePool, patchNodePool } from '../../shared/kinds/node-pool';
import { notebook, type NotebookUpdate, startNotebook, stopNotebook, updateNotebook } from '../../shared/kinds/notebook';
import { patchPool, resourcePool } from '../../shared/kinds/resource-pool';
import { type Json, PID, admin, deploymentBody, distinct, nodePoolBody, notebookBody, poolBody, pollUntil } from './helpers';

let sim: RunningSimulator;
let cloud: HuaweiCloudClient;
const DURATION_MS = 300;

beforeAll(async () => {
  sim = await startSimulator({
    port: 0,
    durations: { Notebook: DURATION_MS, ResourcePool: DURATION_MS, NodePool: DURATION_MS, EdgeDeployment: DURATION_MS },
  });
  cloud = new HuaweiCloudClient({
    credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
    modelartsEndpoint: sim.url,
    iefEndpoint: sim.url,
    connectTimeoutMs: 500,
    readTimeoutMs: 1_500,
    retryBudgetMs: 5_000,
    retryBaseMs: 10,
    retryMaxDelayMs: 50,
  });
});
beforeEach(async () => {
  await admin(sim.url, 'POST', '/reset');
});
afterAll(() => sim?.close());

const target: HuaweiTarget = { projectId: PID };
const resourceOf = (name: string, body: Record<string, unknown>): AdapterResource => ({
  projectId: PID,
  region: 'cn-north-4',
  name,
  spec: { body },
});

async function createAndWait(adapter: KindAdapter, resource: AdapterResource, at: HuaweiTarget = target): Promise<string> {
  const { id } = await adapter.create(cloud, resource, at);
  await pollUntil(
    () => adapter.observe(cloud, at, id),
    (o) => o.phase === 'Succeeded',
  );
  return id;
}

async function ledger(id: string): Promise<Json> {
  const all = await admin(sim.url, 'GET', '/resources?include=deleted');
  return all.body.resources.find((r: Json) => r.id === id);
}

/** Polls a notebook's status until `last`, returning the distinct statuses seen on the way. */
async function notebookStatuses(id: string, last: string): Promise<string[]> {
  const seen = await pollUntil(
    () => notebook.observe(cloud, target, id),
    (o) => o.reason === last,
  );
  return distinct(seen.map((o) => o.reason ?? ''));
}

async function refusal(promise: Promise<unknown>): Promise<HuaweiPermanentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HuaweiPermanentError);
  return error as HuaweiPermanentError;
}

/** A fault seed whose first draw lands inside `rate` and whose second does not: one fault, then a clean retry. */
function seedFaultingOnce(rate: number): number {
  for (let seed = 1; ; seed++) {
    const draw = mulberry32(seed);
    if (draw() < rate && draw() >= rate) return seed;
  }
}

/** A status.resources bucket is one object (PoolResourceFlavorCount), absent when empty. */
const count = (bucket: Json) => bucket?.count ?? 0;

describe('notebook: update, stop, start', () => {
  it('applies name, description and storage growth to a running notebook; refuses a flavor change until it is stopped', async () => {
    const id = await createAndWait(notebook, resourceOf('nb-day2', notebookBody('nb-day2')));
    const update: NotebookUpdate = { name: 'nb-day2-renamed', description: 'changed', storage_new_size: 20 };
    const answered = await updateNotebook(cloud, target, id, update);
    // The EVS volume grows after the answer, so the notebook is not ready until the resize ends.
    expect(answered).toMatchObject({ phase: 'InProgress', reason: 'RUNNING', message: 'volume RESIZING' });
    const seen = await pollUntil(
      () => notebook.observe(cloud, target, id),
      (o) => o.phase === 'Succeeded',
    );
    expect(seen.at(-1)!.observed).toMatchObject({ name: 'nb-day2-renamed', description: 'changed', volume: { capacity: 20 } });

    const shrink = await refusal(updateNotebook(cloud, target, id, { storage_new_size: 10 }));
    expect(shrink.status).toBe(400);
    const running = await refusal(updateNotebook(cloud, target, id, { flavor: 'modelarts.vm.cpu.8u' }));
    expect(running.errorMsg).toMatch(/must be stopped to change flavor/);
    // The same flavor again is not a change, so it is accepted while running.
    await updateNotebook(cloud, target, id, { flavor: 'modelarts.vm.cpu.2u', description: 'changed' });
    expect((await ledger(id)).body.flavor).toBe('modelarts.vm.cpu.2u');
  });

  it('stops (RUNNING → STOPPING → STOPPED), takes a new flavor and image, starts (STARTING → RUNNING), and logs each step', async () => {
    const id = await createAndWait(notebook, resourceOf('nb-restart', notebookBody('nb-restart')));
    await refusal(startNotebook(cloud, target, id));

    expect((await stopNotebook(cloud, target, id)).reason).toBe('STOPPING');
    expect(await notebookStatuses(id, 'STOPPED')).toEqual(['STOPPING', 'STOPPED']);
    await refusal(stopNotebook(cloud, target, id));
    await updateNotebook(cloud, target, id, { flavor: 'modelarts.vm.cpu.8u', image_id: 'image-2' });
    expect((await startNotebook(cloud, target, id)).reason).toBe('STARTING');
    expect(await notebookStatuses(id, 'RUNNING')).toEqual(['STARTING', 'RUNNING']);

    const observed = (await notebook.observe(cloud, target, id)).observed as Json;
    expect(observed).toMatchObject({ flavor: 'modelarts.vm.cpu.8u', image: { id: 'image-2' } });
    const entry = await ledger(id);
    expect(entry).toMatchObject({ status: 'RUNNING', outcome: 'succeeded' });
    expect(entry.operations.map((o: Json) => o.op)).toEqual(['stop', 'update', 'start']);
    expect(entry.operations[1].body).toEqual({ flavor: 'modelarts.vm.cpu.8u', image_id: 'image-2' });
  });

  it('refuses a field the update body does not have (pool_id)', async () => {
    const id = await createAndWait(notebook, resourceOf('nb-fixed', notebookBody('nb-fixed')));
    const error = await refusal(updateNotebook(cloud, target, id, { pool_id: 'pool-x' }));
    expect(error.errorMsg).toMatch(/pool_id cannot be updated/);
    expect((await ledger(id)).operations).toEqual([]);
  });

  it('a 5xx on the update is retried by the transport and applied once', async () => {
    const id = await createAndWait(notebook, resourceOf('nb-fault', notebookBody('nb-fault')));
    await admin(sim.url, 'POST', '/faults', { rate500: 0.5, seed: seedFaultingOnce(0.5) });
    await updateNotebook(cloud, target, id, { description: 'after a fault' });
    expect((await admin(sim.url, 'GET', '/faults')).body.counts.rate500).toBe(1);
    const entry = await ledger(id);
    expect(entry.operations.map((o: Json) => o.op)).toEqual(['update']);
    expect(entry.body.description).toBe('after a fault');
  });
});

describe('delete', () => {
  it('notebook: DELETING, then not found; a second delete succeeds; a dropped delete answer is retried harmlessly', async () => {
    const id = await createAndWait(notebook, resourceOf('nb-gone', notebookBody('nb-gone')));
    await admin(sim.url, 'POST', '/faults', { rateDrop: 0.5, seed: seedFaultingOnce(0.5) });
    await notebook.delete!(cloud, target, id);
    expect((await admin(sim.url, 'GET', '/faults')).body.counts.drop).toBe(1);
    await admin(sim.url, 'POST', '/faults', {});
    expect(await ledger(id)).toMatchObject({ status: 'DELETING', outcome: 'deleting', deleted: true });
    await pollUntil(
      () => ledger(id),
      (r) => r.outcome === 'deleted',
    );
    const gone = await refusal(notebook.observe(cloud, target, id));
    expect(gone.errorCode).toBe('ModelArts.6309');
    await notebook.delete!(cloud, target, id);
    expect((await ledger(id)).operations.map((o: Json) => o.op)).toEqual(['delete']);
  });

  it('pool: phase Deleting takes its node pools along, then 404; deleting again succeeds', async () => {
    const poolId = await createAndWait(resourcePool, resourceOf('del-pool', poolBody('del-pool')));
    const npTarget = { ...target, poolName: poolId };
    const npId = await createAndWait(nodePool, resourceOf('np-1', nodePoolBody('np-1')), npTarget);
    await resourcePool.delete!(cloud, target, poolId);
    expect((await resourcePool.observe(cloud, target, poolId)).reason).toBe('Deleting');
    expect((await ledger(`${poolId}/${npId}`)).outcome).toBe('deleting');
    await pollUntil(
      () => ledger(poolId),
      (r) => r.outcome === 'deleted',
    );
    expect((await refusal(resourcePool.observe(cloud, target, poolId))).status).toBe(404);
    await resourcePool.delete!(cloud, target, poolId);
    await nodePool.delete!(cloud, npTarget, npId);
  });

  it('node pool and deployment: gone after the delete, and a repeated delete is not an error', async () => {
    const poolId = await createAndWait(resourcePool, resourceOf('np-pool', poolBody('np-pool')));
    const npTarget = { ...target, poolName: poolId };
    const npId = await createAndWait(nodePool, resourceOf('np-del', nodePoolBody('np-del')), npTarget);
    const depId = await createAndWait(edgeDeployment, resourceOf('dep-del', deploymentBody('dep-del')));
    await nodePool.delete!(cloud, npTarget, npId);
    await edgeDeployment.delete!(cloud, target, depId);
    expect((await edgeDeployment.observe(cloud, target, depId)).reason).toBe('PENDING_DELETE');
    await pollUntil(
      () => ledger(depId),
      (r) => r.outcome === 'deleted',
    );
    await pollUntil(
      () => ledger(`${poolId}/${npId}`),
      (r) => r.outcome === 'deleted',
    );
    expect((await refusal(nodePool.observe(cloud, npTarget, npId))).status).toBe(404);
    expect((await refusal(edgeDeployment.observe(cloud, target, depId))).status).toBe(404);
    await nodePool.delete!(cloud, npTarget, npId);
    await edgeDeployment.delete!(cloud, target, depId);
    expect((await ledger(depId)).operations.map((o: Json) => o.op)).toEqual(['delete']);
  });
});

describe('pool and node pool merge-patch', () => {
  it('replaces spec.resources whole: the omitted entry is scaled away, the raised count grows node by node', async () => {
    const body = poolBody('patch-pool', [
      { flavor: 'modelarts.vm.cpu.8u', count: 1 },
      { flavor: 'modelarts.vm.gpu.t4', count: 2 },
    ]);
    const id = await createAndWait(resourcePool, resourceOf('patch-pool', body));
    const before = (await resourcePool.observe(cloud, target, id)).observed as Json;
    const answered = await patchPool(cloud, target, id, { spec: { resources: [{ flavor: 'modelarts.vm.cpu.8u', count: 3 }] } });
    const after = answered.observed as Json;
    expect(after.spec.resources).toEqual([{ flavor: 'modelarts.vm.cpu.8u', count: 3, maxCount: 3 }]);
    // The merge kept what the patch did not name, and a count change is a new order.
    expect(after.spec.network).toEqual({ name: 'net-sim' });
    expect(after.metadata.labels['os.modelarts/order.name']).not.toBe(before.metadata.labels['os.modelarts/order.name']);
    expect(after.status.resources.available).toEqual({ flavor: 'modelarts.vm.cpu.8u', count: 1 });
    expect(after.status.resources.creating).toEqual({ flavor: 'modelarts.vm.cpu.8u', count: 2 });
    expect(after.status.resources.deleting).toEqual({ flavor: 'modelarts.vm.gpu.t4', count: 2 });

    const seen = await pollUntil(
      async () => ((await resourcePool.observe(cloud, target, id)).observed as Json).status.resources,
      (r) => count(r.available) === 3 && r.creating === undefined && r.deleting === undefined,
    );
    expect(seen.at(-1)!.available).toEqual({ flavor: 'modelarts.vm.cpu.8u', count: 3 });
    expect((await ledger(id)).operations).toMatchObject([{ op: 'update', body: { spec: { resources: [{ count: 3 }] } } }]);
  });

  it('refuses plain JSON, a changed display name, and a count change while nodes are still moving', async () => {
    const id = await createAndWait(resourcePool, resourceOf('strict-pool', poolBody('strict-pool')));
    const path = `/v2/${PID}/pools/${id}`;
    const plain = await refusal(
      cloud.send({ operation: 'patch', callKind: 'update', method: 'PATCH', service: 'modelarts', path, target, body: { spec: {} } }),
    );
    expect(plain).toMatchObject({ status: 415, errorCode: 'ModelArts.50004100' });
    const renamed = await refusal(patchPool(cloud, target, id, { metadata: { labels: { 'os.modelarts/name': 'other' } } }));
    expect(renamed.errorMsg).toMatch(/os\.modelarts\/name"\] cannot be changed/);

    await patchPool(cloud, target, id, { spec: { resources: [{ flavor: 'modelarts.vm.cpu.8u', count: 4 }] } });
    await refusal(patchPool(cloud, target, id, { spec: { resources: [{ flavor: 'modelarts.vm.cpu.8u', count: 5 }] } }));
    // Not a count change: a description annotation applies at once.
    const described = await patchPool(cloud, target, id, { metadata: { annotations: { 'os.modelarts/description': 'busy' } } });
    expect((described.observed as Json).metadata.annotations['os.modelarts/description']).toBe('busy');
  });

  it('node pool: count and maxCount in place (counts move over time); the flavor cannot change', async () => {
    const poolId = await createAndWait(resourcePool, resourceOf('np-host', poolBody('np-host')));
    const npTarget = { ...target, poolName: poolId };
    const npId = await createAndWait(nodePool, resourceOf('np-scale', nodePoolBody('np-scale', 'modelarts.vm.cpu.8u', 1)), npTarget);
    const scaled = await patchNodePool(cloud, npTarget, npId, {
      spec: { resources: { flavor: 'modelarts.vm.cpu.8u', count: 3, maxCount: 3 } },
    });
    expect(scaled.phase).toBe('InProgress');
    expect((scaled.observed as Json).spec.resources).toEqual({
      flavor: 'modelarts.vm.cpu.8u',
      count: 3,
      maxCount: 3,
      nodePool: 'np-scale',
    });
    const seen = await pollUntil(
      () => nodePool.observe(cloud, npTarget, npId),
      (o) => o.phase === 'Succeeded',
    );
    expect(distinct(seen.map((o) => o.message))).toContain('available 2/3, creating 1, abnormal 0');
    expect(seen.at(-1)!.message).toBe('available 3/3, creating 0, abnormal 0');

    const flavor = await refusal(patchNodePool(cloud, npTarget, npId, { spec: { resources: { flavor: 'modelarts.vm.gpu.t4' } } }));
    expect(flavor.errorMsg).toMatch(/spec\.resources\.flavor cannot be changed/);
  });
});

describe('edge deployment update', () => {
  const template = (image: string) => ({ containers: [{ name: 'container-0', image_url: image }] });

  it('takes a description alone, or replicas and template (pods roll, ready again at the new count), never both', async () => {
    const id = await createAndWait(edgeDeployment, resourceOf('dep-up', deploymentBody('dep-up', 1)));
    const described: Observation = await updateDeployment(cloud, target, id, { description: 'new text' });
    expect(described).toMatchObject({ phase: 'Succeeded', observed: { description: 'new text', replicas: 1 } });

    const rolled = await updateDeployment(cloud, target, id, { deployment: { replicas: 3, template: template('nginx:1.27') } });
    expect(rolled).toMatchObject({ phase: 'InProgress', observed: { replicas: 3, ready_replicas: 0 } });
    const seen = await pollUntil(
      () => edgeDeployment.observe(cloud, target, id),
      (o) => o.phase === 'Succeeded',
    );
    expect(seen.at(-1)!.observed).toMatchObject({ replicas: 3, ready_replicas: 3, description: 'new text' });
    expect((seen.at(-1)!.observed as Json).template.containers[0].image_url).toBe('nginx:1.27');

    const both = { description: 'x', deployment: { replicas: 1, template: template('nginx') } } as unknown as DeploymentUpdate;
    const error = await refusal(updateDeployment(cloud, target, id, both));
    expect(error).toMatchObject({ status: 400, errorCode: 'IEF.100020' });
    expect(error.errorMsg).toMatch(/cannot be updated in one request/);
    const renamed = await refusal(updateDeployment(cloud, target, id, { name: 'other' } as unknown as DeploymentUpdate));
    expect(renamed.errorMsg).toMatch(/name cannot be updated/);
    expect((await ledger(id)).operations.map((o: Json) => o.op)).toEqual(['update', 'update']);
  });
});

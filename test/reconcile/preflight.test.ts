import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, SIMULATOR_DEFAULTS, startSimulator } from '../../local/huaweicloud-simulator/index';
import { HuaweiCloudClient } from '../../shared/huaweicloud/client';
import { HuaweiRetryableError } from '../../shared/huaweicloud/errors';
import type { AdapterResource, PreflightCheck } from '../../shared/kinds/adapter';
import { type CloudApi, cloudApi } from '../../shared/reconcile/cloud';
import { preflightMessage, preflightResource } from '../../shared/reconcile/preflight';
import { deploymentExample, notebookExample } from '../kinds/request-examples';
import { admin, PID } from '../simulator/helpers';

const target = { projectId: PID };
const resourceOf = (body: Record<string, unknown>): AdapterResource => ({
  projectId: PID,
  region: 'cn-north-4',
  name: 'r1',
  spec: { body },
});

let sim: RunningSimulator;
let cloud: CloudApi;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  cloud = cloudApi(
    new HuaweiCloudClient({
      credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
      modelartsEndpoint: sim.url,
      iefEndpoint: sim.url,
      retryBudgetMs: 300,
      retryBaseMs: 10,
      retryMaxDelayMs: 50,
    }),
  );
});
beforeEach(async () => {
  await admin(sim.url, 'POST', '/reset');
});
afterAll(() => sim?.close());

/** The real cloud with its preflight replaced. */
const withPreflight = (preflight: CloudApi['preflight']): CloudApi => ({ ...cloud, preflight });

describe('preflightResource', () => {
  it("sorts the kind's checks into failed, unknown and passed", async () => {
    await admin(sim.url, 'PUT', '/catalog', { soldOut: ['modelarts.vm.cpu.2u'] });
    const outcome = await preflightResource(cloud, 'Notebook', resourceOf(notebookExample()), target, { operation: 'create' });
    expect(outcome.failed.map((c) => c.check)).toEqual(['flavor']);
    expect(outcome.unknown).toEqual([]);
    expect(outcome.passed.map((c) => c.check)).toEqual(['evs-size', 'image']);
  });

  it("keeps Huawei's 5xx as unknown checks, and resolves", async () => {
    await admin(sim.url, 'POST', '/faults', { rate500: 1 });
    const outcome = await preflightResource(cloud, 'EdgeDeployment', resourceOf(deploymentExample()), target, { operation: 'create' });
    expect(outcome).toMatchObject({ failed: [], passed: [], unknown: [{ check: 'ief-node', status: 'unknown' }] });
  });

  it('turns an error thrown by the checks into one unknown check, never a throw', async () => {
    const throwing = withPreflight(async () => {
      throw new HuaweiRetryableError({ operation: 'list resource flavors', status: 503, errorMsg: 'busy' });
    });
    const outcome = await preflightResource(throwing, 'ResourcePool', resourceOf({}), target, { operation: 'create' });
    expect(outcome.failed).toEqual([]);
    expect(outcome.unknown).toEqual([
      { check: 'preflight', status: 'unknown', message: expect.stringMatching(/^the checks could not run: .*busy/) },
    ]);
  });

  it('gives up at the deadline on checks that never answer', async () => {
    const hanging = withPreflight(() => new Promise<PreflightCheck[]>(() => {}));
    const started = Date.now();
    const outcome = await preflightResource(hanging, 'Notebook', resourceOf({}), target, { operation: 'create' }, { timeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(outcome.unknown).toEqual([{ check: 'preflight', status: 'unknown', message: 'Huawei did not answer the checks in time' }]);
  });

  it("honours the caller's signal as well as its own deadline", async () => {
    const hanging = withPreflight(() => new Promise<PreflightCheck[]>(() => {}));
    const controller = new AbortController();
    const pending = preflightResource(hanging, 'Notebook', resourceOf({}), target, { operation: 'create', signal: controller.signal });
    controller.abort();
    expect((await pending).unknown.map((c) => c.check)).toEqual(['preflight']);
  });

  it("keeps the kind's own unknown checks when its look-ups report in time", async () => {
    await admin(sim.url, 'POST', '/faults', { rateSlow: 1, slowMs: 5_000 });
    const outcome = await preflightResource(
      cloud,
      'EdgeDeployment',
      resourceOf(deploymentExample()),
      target,
      { operation: 'create' },
      { timeoutMs: 150 },
    );
    expect(outcome.unknown).toEqual([expect.objectContaining({ check: 'ief-node', path: 'spec.body.node_ids[0]' })]);
  });

  it('passes the context through to the kind', async () => {
    const seen: unknown[] = [];
    const recording = withPreflight(async (kind, resource, at, context) => {
      seen.push({
        kind,
        name: resource.name,
        at,
        operation: context.operation,
        current: context.current,
        signal: context.signal instanceof AbortSignal,
      });
      return [];
    });
    const current = { body: { a: 1 } };
    await preflightResource(recording, 'NodePool', resourceOf({}), target, { operation: 'update', current });
    expect(seen).toEqual([{ kind: 'NodePool', name: 'r1', at: target, operation: 'update', current, signal: true }]);
  });
});

describe('preflightMessage', () => {
  it('words each outcome as a refusal, a warning or a plan line, with the manifest path', () => {
    const check = { check: 'flavor', path: 'spec.body.flavor', message: 'flavor modelarts.vm.gpu.t4 is sold out' };
    expect(preflightMessage({ ...check, status: 'failed' })).toBe('would fail: flavor modelarts.vm.gpu.t4 is sold out (spec.body.flavor)');
    expect(preflightMessage({ ...check, status: 'unknown', message: 'flavor x: Huawei did not answer' })).toBe(
      'could not check: flavor x: Huawei did not answer (spec.body.flavor)',
    );
    expect(preflightMessage({ check: 'pool-quota', status: 'passed', message: 'pool quota: 1 of 5 pools in use' })).toBe(
      'ok: pool quota: 1 of 5 pools in use',
    );
  });
});

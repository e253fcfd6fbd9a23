/**
 * Drives a kind's update step against the simulator through the real client, as the lifecycle does: observe,
 * one step, observe again, until converged or failed. Each step sees a fresh observation, so a step that
 * repeats after its change applied is visible in the simulator's per-resource operations log.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type RunningSimulator, SIMULATOR_DEFAULTS, startSimulator } from '../../local/huaweicloud-simulator/index';
import { type HuaweiTarget, HuaweiCloudClient } from '../../shared/huaweicloud/client';
import type { AdapterResource, KindAdapter, UpdateStep } from '../../shared/kinds/adapter';
import { admin, type Json, PID, pollUntil } from '../simulator/helpers';

export const DURATION_MS = 300;

/** Starts one simulator for the file, reset before each test. */
export function simulatorPerFile() {
  const ctx = {} as { sim: RunningSimulator; cloud: HuaweiCloudClient };
  beforeAll(async () => {
    ctx.sim = await startSimulator({
      port: 0,
      durations: { Notebook: DURATION_MS, ResourcePool: DURATION_MS, NodePool: DURATION_MS, EdgeDeployment: DURATION_MS },
    });
    ctx.cloud = new HuaweiCloudClient({
      credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
      modelartsEndpoint: ctx.sim.url,
      iefEndpoint: ctx.sim.url,
      connectTimeoutMs: 500,
      readTimeoutMs: 1_500,
      retryBudgetMs: 5_000,
      retryBaseMs: 10,
      retryMaxDelayMs: 50,
    });
  });
  beforeEach(async () => {
    await admin(ctx.sim.url, 'POST', '/reset');
  });
  afterAll(() => ctx.sim?.close());
  return ctx;
}

export const target: HuaweiTarget = { projectId: PID };

export const resourceOf = (name: string, body: Record<string, unknown>, extra: Record<string, unknown> = {}): AdapterResource => ({
  projectId: PID,
  region: 'cn-north-4',
  name,
  spec: { body, ...extra },
});

export async function createAndWait(
  cloud: HuaweiCloudClient,
  adapter: KindAdapter,
  resource: AdapterResource,
  at: HuaweiTarget = target,
): Promise<string> {
  const { id } = await adapter.create(cloud, resource, at);
  await pollUntil(
    () => adapter.observe(cloud, at, id),
    (o) => o.phase === 'Succeeded',
  );
  return id;
}

/**
 * Update steps until converged or failed, each from a fresh observation. A step that throws (a refused call
 * after a lost answer) is recorded and followed by a new look, as the lifecycle's retry would.
 */
export async function converge(
  cloud: HuaweiCloudClient,
  adapter: KindAdapter,
  resource: AdapterResource,
  id: string,
  at: HuaweiTarget = target,
  timeoutMs = 8_000,
): Promise<(UpdateStep | { status: 'threw'; message: string })[]> {
  const steps: (UpdateStep | { status: 'threw'; message: string })[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let step: UpdateStep | { status: 'threw'; message: string };
    try {
      step = await adapter.update(cloud, resource, at, id, await adapter.observe(cloud, at, id));
    } catch (error) {
      step = { status: 'threw', message: (error as Error).message };
    }
    steps.push(step);
    if (step.status === 'converged' || step.status === 'failed') return steps;
    if (Date.now() > deadline) throw new Error(`no convergence in ${timeoutMs} ms: ${JSON.stringify(steps.slice(-3))}`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

/** The simulator's record of one resource: its current body and the update, stop, start and delete calls it took. */
export async function ledger(url: string, id: string): Promise<Json> {
  const all = await admin(url, 'GET', '/resources?include=deleted');
  return all.body.resources.find((r: Json) => r.id === id);
}

export const ops = async (url: string, id: string): Promise<string[]> => (await ledger(url, id)).operations.map((o: Json) => o.op);

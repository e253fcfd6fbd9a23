import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/huaweicloud-simulator/index';
import { type Json, PID, admin, deploymentBody, httpClient, notebookBody, poolBody } from './helpers';

let sim: RunningSimulator;
let call: ReturnType<typeof httpClient>;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 7 });
  call = httpClient(sim.url);
});
beforeEach(async () => {
  await admin(sim.url, 'POST', '/reset');
});
afterAll(() => sim?.close());

const nbPath = `/v1/${PID}/notebooks`;

describe('simulator: fault injection', () => {
  it('100% rate429 answers 429 APIGW.0308 and does not process the request', async () => {
    const set = await admin(sim.url, 'POST', '/faults', { rate429: 1, seed: 42 });
    expect(set.status).toBe(200);
    expect(set.body.settings).toMatchObject({ rate429: 1, seed: 42 });
    const res = await call('POST', nbPath, notebookBody('nb-throttled'));
    expect(res.status).toBe(429);
    expect(res.body.error_code).toBe('APIGW.0308');
    expect(res.body.request_id).toBe(res.headers.get('x-request-id'));
    expect((await admin(sim.url, 'GET', '/resources')).body.count).toBe(0);
    expect((await admin(sim.url, 'GET', '/faults')).body.counts).toMatchObject({ rate429: 1, rate500: 0, drop: 0, slow: 0 });
  });

  it('100% rate500 answers a 5xx with a service error_code and does not process the request', async () => {
    await admin(sim.url, 'POST', '/faults', { rate500: 1 });
    const ma = await call('POST', nbPath, notebookBody('nb-500'));
    expect(ma.status).toBe(500);
    expect(ma.body.error_code).toMatch(/^ModelArts\./);
    const ief = await call('POST', `/v3/${PID}/edgemgr/deployments`, deploymentBody('dep-500'));
    expect(ief.status).toBe(500);
    expect(ief.body.error_code).toMatch(/^IEF\./);
    expect((await admin(sim.url, 'GET', '/resources')).body.count).toBe(0);
    expect((await admin(sim.url, 'GET', '/faults')).body.counts.rate500).toBe(2);
  });

  it('drop commits the create, then destroys the connection: a network error for the client', async () => {
    await admin(sim.url, 'POST', '/faults', { rateDrop: 1 });
    await expect(call('POST', nbPath, notebookBody('nb-dropped'))).rejects.toThrow();
    const ledger = await admin(sim.url, 'GET', '/resources?name=nb-dropped');
    expect(ledger.body.count).toBe(1);
    expect(ledger.body.resources[0]).toMatchObject({ kind: 'Notebook', name: 'nb-dropped', project: PID, outcome: 'in_progress' });
    expect((await admin(sim.url, 'GET', '/faults')).body.counts.drop).toBe(1);
    // Once faults are off, the client can find what it created by listing (how it should reconcile).
    await admin(sim.url, 'POST', '/faults', {});
    const found = await call('GET', `${nbPath}?name=nb-dropped`);
    expect(found.body.total).toBe(1);
  });

  it('slow delays the answer by slowMs but processes the request at once', async () => {
    await admin(sim.url, 'POST', '/faults', { rateSlow: 1, slowMs: 300 });
    const started = Date.now();
    const pending = call('POST', `/v2/${PID}/pools`, poolBody('slow-pool'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await admin(sim.url, 'GET', '/resources?kind=ResourcePool')).body.count).toBe(1);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect((await admin(sim.url, 'GET', '/faults')).body.counts.slow).toBe(1);
  });

  it('a seed replays the same fault sequence', async () => {
    const run = async () => {
      await admin(sim.url, 'POST', '/faults', { rate429: 0.5, seed: 1234 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await call('GET', nbPath)).status);
      return statuses;
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    expect(first).toContain(429);
    expect(first).toContain(200);
  });

  it('faults apply to API routes only, and unsigned requests are refused before any fault', async () => {
    await admin(sim.url, 'POST', '/faults', { rate500: 1 });
    expect((await admin(sim.url, 'GET', '/resources')).status).toBe(200);
    expect((await call('GET', nbPath, undefined, { unsigned: true })).status).toBe(401);
    expect((await admin(sim.url, 'GET', '/faults')).body.counts.rate500).toBe(0);
  });

  it('rejects unusable fault settings', async () => {
    for (const body of [{ rate429: 2 }, { rate429: 0.6, rate500: 0.6 }, { slowMs: -1 }, { rateBogus: 1 }, { seed: 1.5 }]) {
      const res = await admin(sim.url, 'POST', '/faults', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('reset clears resources, faults and counters', async () => {
    await call('POST', nbPath, notebookBody('nb-before-reset'));
    await admin(sim.url, 'POST', '/faults', { rate429: 1 });
    await call('GET', nbPath);
    const reset = await admin(sim.url, 'POST', '/reset');
    expect(reset.status).toBe(200);
    expect((await admin(sim.url, 'GET', '/resources')).body).toEqual({ count: 0, resources: [] });
    const faults = (await admin(sim.url, 'GET', '/faults')).body;
    expect(faults.settings).toMatchObject({ rate429: 0, rate500: 0, rateSlow: 0, rateDrop: 0, seed: 7 });
    expect(faults.counts).toEqual({ rate429: 0, rate500: 0, slow: 0, drop: 0, rateLimited: 0 });
    expect((await call('GET', nbPath)).status).toBe(200);
  });
});

describe('simulator: rate limit and run-time config', () => {
  it('answers 429 APIGW.0308 beyond the configured requests per second, and counts them', async () => {
    const set = await admin(sim.url, 'POST', '/config', { rateLimitPerSecond: 5 });
    expect(set.body.rateLimitPerSecond).toBe(5);
    const statuses = await Promise.all(Array.from({ length: 12 }, () => call('GET', nbPath).then((r) => r)));
    const limited = statuses.filter((r) => r.status === 429);
    expect(statuses.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(5);
    // Real time: a slow machine spreads the burst and the bucket refills a little meanwhile (exact counts: progress.test.ts).
    expect(statuses.filter((r) => r.status === 200).length).toBeLessThan(10);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.body.error_code).toBe('APIGW.0308');
    expect((await admin(sim.url, 'GET', '/faults')).body.counts.rateLimited).toBe(limited.length);
    // The bucket refills: after a second, requests pass again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await call('GET', nbPath)).status).toBe(200);
  });

  it('durations can be made arbitrarily slow, for tests that need a timeout', async () => {
    const set = await admin(sim.url, 'POST', '/config', { durations: { Notebook: 3_600_000 } });
    expect(set.body.durations).toMatchObject({ Notebook: 3_600_000, ResourcePool: 900 });
    const created = await call('POST', nbPath, notebookBody('nb-forever'));
    await new Promise((resolve) => setTimeout(resolve, 700));
    const res = await call('GET', `${nbPath}/${created.body.id}`);
    expect(res.body.status).toBe('INIT');
  });

  it('accepts the named presets and refuses nonsense', async () => {
    expect((await admin(sim.url, 'POST', '/config', { durations: 'realistic' })).body.durations).toEqual({
      Notebook: 90_000,
      ResourcePool: 900_000,
      NodePool: 480_000,
      EdgeDeployment: 30_000,
    });
    for (const body of [{ durations: { Bogus: 1 } }, { durations: { Notebook: -5 } }, { rateLimitPerSecond: 'x' }, { other: 1 }]) {
      expect((await admin(sim.url, 'POST', '/config', body)).status, JSON.stringify(body)).toBe(400);
    }
    const config = (await admin(sim.url, 'GET', '/config')).body as Json;
    expect(config.durations.Notebook).toBe(90_000);
  });
});

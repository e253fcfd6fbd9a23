import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/huaweicloud-simulator/index';
import { type Json, PID, admin, deploymentBody, distinct, httpClient, pollUntil } from './helpers';

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

const depPath = (id = '') => `/v3/${PID}/edgemgr/deployments${id ? `/${id}` : ''}`;
const podsOf = (id: string) => call('GET', `/v3/${PID}/edgemgr/pods?deployment_id=${id}`);

describe('simulator: IEF deployments', () => {
  it('creates (201) a flat deployment with ready_replicas 0 and an empty state', async () => {
    const res = await call('POST', depPath(), deploymentBody('app-1a2b3c4d', 2));
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body).toMatchObject({
      name: 'app-1a2b3c4d',
      replicas: 2,
      ready_replicas: 0,
      state: '',
      api_version: 'v3',
      project_id: PID,
      tags: [{ key: 'idem', value: 'abc123' }],
      node_ids: ['9ebd8efb-9fdd-44a1-abda-9cdbc287a867'],
    });
    expect(res.body.template.containers[0]).toMatchObject({ name: 'container-0', image_url: 'nginx:alpine', privileged: false });
  });

  it('ready_replicas rises to replicas while pods go PENDING → RUNNING', async () => {
    const created = await call('POST', depPath(), deploymentBody('app-rise', 3));
    const seen = await pollUntil(
      () => call('GET', depPath(created.body.id)),
      (r) => r.body.ready_replicas === 3,
    );
    const ready = distinct(seen.map((r) => r.body.ready_replicas));
    expect(ready).toEqual([...ready].sort());
    expect(ready[0]).toBeLessThan(3);
    const pods = await podsOf(created.body.id);
    expect(pods.status).toBe(200);
    expect(pods.body.count).toBe(3);
    for (const pod of pods.body.pods) {
      expect(pod).toMatchObject({
        deployment_id: created.body.id,
        project_id: PID,
        state: 'RUNNING',
        node_id: '9ebd8efb-9fdd-44a1-abda-9cdbc287a867',
      });
      expect(pod.containers[0]).toMatchObject({ name: 'container-0', is_ready: 'true', state: 'Running' });
    }
  });

  it('pods start PENDING', async () => {
    const created = await call('POST', depPath(), deploymentBody('app-pending', 1));
    const pods = await podsOf(created.body.id);
    expect(pods.body.pods[0]).toMatchObject({ state: 'PENDING', containers: [{ is_ready: 'false' }] });
  });

  it('sim-fail in the container image ends with pods CREATE_FAIL and a reason; ready_replicas stays below replicas', async () => {
    const created = await call('POST', depPath(), deploymentBody('app-bad', 1, 'swr.example/sim-fail/nginx:1'));
    const seen = await pollUntil(
      () => podsOf(created.body.id),
      (r) => r.body.pods[0].state !== 'PENDING',
    );
    expect(seen[0]!.body.pods[0].state).toBe('PENDING');
    const pod = seen[seen.length - 1]!.body.pods[0];
    expect(pod.state).toBe('CREATE_FAIL');
    expect(pod.reason).toBe('ImagePullBackOff');
    expect(pod.message).toContain('sim-fail');
    expect((await call('GET', depPath(created.body.id))).body.ready_replicas).toBe(0);
    const ledger = await admin(sim.url, 'GET', '/resources?kind=EdgeDeployment');
    expect(ledger.body.resources[0]).toMatchObject({ status: 'CREATE_FAIL', outcome: 'failed' });
  });

  it('sim-fail elsewhere (a tag value) fails the pods as FAILED', async () => {
    const body = deploymentBody('app-crash', 1) as Json;
    body.tags = [{ key: 'mode', value: 'sim-fail' }];
    const created = await call('POST', depPath(), body);
    const seen = await pollUntil(
      () => podsOf(created.body.id),
      (r) => r.body.pods[0].state !== 'PENDING',
    );
    expect(seen[seen.length - 1]!.body.pods[0]).toMatchObject({ state: 'FAILED', reason: 'CrashLoopBackOff' });
  });

  it('lists by fuzzy name with a total count', async () => {
    for (const name of ['web-a', 'web-b', 'db-a']) expect((await call('POST', depPath(), deploymentBody(name, 1))).status).toBe(201);
    const web = await call('GET', `${depPath()}?name=web`);
    expect(web.status).toBe(200);
    expect(web.body.count).toBe(2);
    expect(web.body.deployments.map((d: Json) => d.name).sort()).toEqual(['web-a', 'web-b']);
    const paged = await call('GET', `${depPath()}?limit=1&offset=1`);
    expect(paged.body.count).toBe(3);
    expect(paged.body.deployments).toHaveLength(1);
  });

  it('rejects invalid bodies with 400 and an IEF validation code', async () => {
    const noContainers = deploymentBody('ok-name') as Json;
    noContainers.deployment.template.containers = [];
    const noReplicas = deploymentBody('ok-name') as Json;
    delete noReplicas.deployment.replicas;
    for (const body of [deploymentBody('Upper_Case'), noContainers, noReplicas, { name: 'x' }]) {
      const res = await call('POST', depPath(), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error_code).toBe('IEF.100020');
    }
  });

  it('delete answers 204, the deployment shows PENDING_DELETE, then 404', async () => {
    // A longer duration gives the delete window (a third of it) enough room for the GET below on a busy machine.
    await admin(sim.url, 'POST', '/config', { durations: { EdgeDeployment: 1500 } });
    const created = await call('POST', depPath(), deploymentBody('app-del', 1));
    const del = await call('DELETE', depPath(created.body.id));
    expect(del.status).toBe(204);
    expect(del.body).toBeUndefined();
    const during = await call('GET', depPath(created.body.id));
    expect(during.body.state).toBe('PENDING_DELETE');
    const seen = await pollUntil(
      () => call('GET', depPath(created.body.id)),
      (r) => r.status === 404,
    );
    expect(seen[seen.length - 1]!.body.error_code).toMatch(/^IEF\./);
    expect((await podsOf(created.body.id)).body.count).toBe(0);
  });
});

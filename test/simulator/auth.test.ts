import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../local/huaweicloud-simulator/index';
import { PID, admin, httpClient, notebookBody } from './helpers';

let sim: RunningSimulator;
let call: ReturnType<typeof httpClient>;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  call = httpClient(sim.url);
});
afterAll(() => sim?.close());

describe('simulator: signature verification (API Gateway layer)', () => {
  it('listens on loopback and reports its base URL', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
  });

  it('accepts a request signed with the configured AK/SK', async () => {
    const res = await call('GET', `/v1/${PID}/notebooks`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('rejects an unsigned request with 401 APIGW.0301 and a request id', async () => {
    const res = await call('GET', `/v1/${PID}/notebooks`, undefined, { unsigned: true });
    expect(res.status).toBe(401);
    expect(res.body.error_code).toBe('APIGW.0301');
    expect(res.body.error_msg).toMatch(/^Incorrect IAM authentication information: /);
    expect(res.body.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('rejects a wrong secret key', async () => {
    const res = await call('POST', `/v1/${PID}/notebooks`, notebookBody('nb-wrong-sk'), { sk: 'not-the-secret' });
    expect(res.status).toBe(401);
    expect(res.body.error_code).toBe('APIGW.0301');
    expect(res.body.error_msg).toContain('signature mismatch');
  });

  it('rejects an unknown access key', async () => {
    const res = await call('GET', `/v2/${PID}/pools`, undefined, { ak: 'SOMEONEELSE' });
    expect(res.status).toBe(401);
    expect(res.body.error_code).toBe('APIGW.0301');
  });

  it('rejects a body that differs from the signed one, and creates nothing', async () => {
    const res = await call('POST', `/v1/${PID}/notebooks`, notebookBody('nb-signed'), {
      sendBody: JSON.stringify(notebookBody('nb-tampered')),
    });
    expect(res.status).toBe(401);
    const ledger = await admin(sim.url, 'GET', '/resources?name=nb-tampered');
    expect(ledger.body.count).toBe(0);
  });

  it('rejects an X-Sdk-Date more than 15 minutes away, in either direction', async () => {
    const old = await call('GET', `/v1/${PID}/notebooks`, undefined, { signedAt: new Date(Date.now() - 16 * 60_000) });
    expect(old.status).toBe(401);
    expect(old.body.error_msg).toContain('clock skew');
    const future = await call('GET', `/v1/${PID}/notebooks`, undefined, { signedAt: new Date(Date.now() + 16 * 60_000) });
    expect(future.status).toBe(401);
    const slightlyOff = await call('GET', `/v1/${PID}/notebooks`, undefined, { signedAt: new Date(Date.now() - 10 * 60_000) });
    expect(slightlyOff.status).toBe(200);
  });

  it('signs query strings too: a signed list with query parameters passes', async () => {
    const res = await call('GET', `/v2/${PID}/pools?labelSelector=${encodeURIComponent('os.modelarts/name=x y')}&status=`);
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('PoolList');
  });
});

describe('simulator: project id in the path', () => {
  const otherPid = 'ffffffffffffffffffffffffffffffff';

  it('ModelArts answers 404 for a project that is not the configured one', async () => {
    for (const path of [`/v1/${otherPid}/notebooks`, `/v2/${otherPid}/pools`, `/v2/${otherPid}/pools/pool-x/nodepools`]) {
      const res = await call('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body.error_code, path).toMatch(/^ModelArts\./);
    }
  });

  it('IEF answers 400 IEF.100001 PROJECT_ID not found', async () => {
    const res = await call('GET', `/v3/${otherPid}/edgemgr/deployments`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error_code: 'IEF.100001', error_msg: 'PROJECT_ID not found' });
  });

  it('a foreign project is refused before the body is looked at, so nothing is created', async () => {
    const res = await call('POST', `/v1/${otherPid}/notebooks`, notebookBody('nb-other-project'));
    expect(res.status).toBe(404);
    expect((await admin(sim.url, 'GET', '/resources?name=nb-other-project')).body.count).toBe(0);
  });
});

describe('simulator: other answers', () => {
  it('unknown API paths get a gateway 404 with a request id', async () => {
    const res = await call('GET', `/v9/${PID}/whatever`);
    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe('APIGW.0101');
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('admin routes need no signature and still carry X-Request-Id', async () => {
    const res = await admin(sim.url, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, projectId: PID });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  HuaweiCloudClient,
  isNotFoundError,
  type HuaweiLogger,
  type HuaweiTarget,
  type HuaweiTransport,
} from '../../shared/huaweicloud/client';
import { HuaweiPermanentError, HuaweiRetryableError, HuaweiUnknownOutcomeError } from '../../shared/huaweicloud/errors';
import { verifySignature } from '../../shared/huaweicloud/signer';
import { adapterOf, type Kind } from '../../shared/kinds/registry';

/*
 * A scripted HTTP server: each test queues what the next requests get. It checks every signature,
 * so these tests also prove the client signs what it sends (path, query, body, headers).
 */
type Step = (req: IncomingMessage, res: ServerResponse, body: string) => void;
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  signatureOk: boolean;
}

const creds = { ak: 'UNITTESTAK0000000001', sk: 'unit-test-sk-do-not-log' };
const PID = 'proj0000000000000000000000000001';
let server: Server;
let base: string;
let script: Step[] = [];
let seen: Seen[] = [];

function json(status: number, body: unknown, headers: Record<string, string> = {}): Step {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `rid-${seen.length}`, ...headers });
    res.end(JSON.stringify(body));
  };
}
const drop: Step = (req) => req.socket.destroy();
const hang: Step = () => {};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verdict = verifySignature(
        { method: req.method!, url: `http://${req.headers.host}${req.url}`, headers: req.headers as Record<string, string>, body },
        (ak) => (ak === creds.ak ? creds.sk : undefined),
      );
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, signatureOk: verdict.ok });
      const step = script.shift() ?? json(500, { error_code: 'TEST.0', error_msg: 'script exhausted' });
      step(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  script = [];
  seen = [];
});

const logs: Array<{ level: string; message: string; extra?: Record<string, unknown> }> = [];
const logger: HuaweiLogger = {
  warn: (message, extra) => logs.push({ level: 'warn', message, ...(extra ? { extra } : {}) }),
  error: (message, extra) => logs.push({ level: 'error', message, ...(extra ? { extra } : {}) }),
};

function client(extra: Partial<ConstructorParameters<typeof HuaweiCloudClient>[0]> = {}) {
  return new HuaweiCloudClient({
    credentials: creds,
    modelartsEndpoint: base,
    iefEndpoint: `${base}/`,
    connectTimeoutMs: 200,
    readTimeoutMs: 300,
    retryBudgetMs: 3_000,
    retryBaseMs: 20,
    retryMaxDelayMs: 100,
    logger,
    ...extra,
  });
}

const target = { projectId: PID };

/*
 * The kinds' calls, made the way the lifecycle makes them: through each kind's adapter over the client.
 * Async, so an adapter that refuses a call synchronously still yields a rejected promise here.
 */
const create = async (c: HuaweiTransport, kind: Kind, t: HuaweiTarget, body: Record<string, unknown>) =>
  adapterOf(kind).create(c, { projectId: t.projectId, region: 'cn-north-4', name: 'r1', spec: { body } }, t);
const find = async (c: HuaweiTransport, kind: Kind, t: HuaweiTarget, name: string) => adapterOf(kind).find(c, t, name);
const observe = async (c: HuaweiTransport, kind: Kind, t: HuaweiTarget, id: string) => adapterOf(kind).observe(c, t, id);
/** No kind deletes yet (the adapters' delete slot is empty), so a delete is sent as one call. */
const remove = (c: HuaweiTransport, path: string, t: HuaweiTarget = target) =>
  c.send({ operation: 'remove', callKind: 'delete', method: 'DELETE', service: 'modelarts', path, target: t, notFoundIsNormal: true });

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

describe('HuaweiCloudClient requests', () => {
  it('creates each kind on its endpoint and extracts the id', async () => {
    script = [
      json(200, { id: 'nb-id', status: 'CREATING' }),
      json(200, { kind: 'Pool', metadata: { name: 'pool-abc' } }),
      json(200, { kind: 'NodePool', metadata: { name: 'np-1' } }),
      json(201, { id: 'dep-id', name: 'edge' }),
    ];
    const c = client();
    await expect(create(c, 'Notebook', target, { name: 'nb' })).resolves.toMatchObject({ id: 'nb-id' });
    await expect(create(c, 'ResourcePool', target, { kind: 'Pool' })).resolves.toMatchObject({ id: 'pool-abc' });
    await expect(create(c, 'NodePool', { ...target, poolName: 'pool-abc' }, { kind: 'NodePool' })).resolves.toMatchObject({ id: 'np-1' });
    await expect(create(c, 'EdgeDeployment', { ...target, iefInstanceId: 'inst-1' }, { name: 'edge' })).resolves.toMatchObject({
      id: 'dep-id',
    });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      `POST /v1/${PID}/notebooks`,
      `POST /v2/${PID}/pools`,
      `POST /v2/${PID}/pools/pool-abc/nodepools`,
      `POST /v3/${PID}/edgemgr/deployments`,
    ]);
    expect(seen.every((s) => s.signatureOk)).toBe(true);
    expect(seen[0]!.headers['x-project-id']).toBe(PID);
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(seen[3]!.headers['ief-instance-id']).toBe('inst-1');
    expect(seen[3]!.headers['authorization']).toContain('ief-instance-id');
    // The body as given, plus the notebook's ownership mark at the end of its description.
    expect(JSON.parse(seen[0]!.body)).toEqual({ name: 'nb', description: expect.stringMatching(/^hwcp-[0-9a-f]{12}$/) });
  });

  it('finds by exact name after the fuzzy list call', async () => {
    script = [
      json(200, {
        data: [
          { id: '1', name: 'nb-a' },
          { id: '2', name: 'nb-a-2' },
        ],
        total: 2,
      }),
      json(200, {
        items: [{ metadata: { name: 'pool-1', labels: { 'os.modelarts/name': 'p a' } } }, { metadata: { name: 'pool-2', labels: {} } }],
      }),
      // The list hides failed pools unless asked: a failed pool is still a pool an earlier attempt made.
      json(200, { items: [{ metadata: { name: 'pool-3', labels: { 'os.modelarts/name': 'p a' } }, status: { phase: 'Abnormal' } }] }),
      json(404, { error_code: 'ModelArts.50004004', error_msg: 'nodepool not found' }),
      json(200, {
        count: 2,
        deployments: [
          { id: 'd1', name: 'edge' },
          { id: 'd2', name: 'edge-x' },
        ],
      }),
    ];
    const c = client();
    expect(await find(c, 'Notebook', target, 'nb-a')).toEqual([{ id: '1', name: 'nb-a' }]);
    expect((await find(c, 'ResourcePool', target, 'p a')).map((p) => (p as { metadata: { name: string } }).metadata.name)).toEqual([
      'pool-1',
      'pool-3',
    ]);
    expect(await find(c, 'NodePool', { ...target, poolName: 'pool-1' }, 'np-x')).toEqual([]);
    expect(await find(c, 'EdgeDeployment', target, 'edge')).toEqual([{ id: 'd1', name: 'edge' }]);
    expect(seen.map((s) => s.url)).toEqual([
      `/v1/${PID}/notebooks?name=nb-a&limit=50`,
      `/v2/${PID}/pools?labelSelector=os.modelarts%2Fname%3Dp%20a`,
      `/v2/${PID}/pools?labelSelector=os.modelarts%2Fname%3Dp%20a&status=failed`,
      `/v2/${PID}/pools/pool-1/nodepools/np-x`,
      `/v3/${PID}/edgemgr/deployments?name=edge&limit=100`,
    ]);
    expect(seen.every((s) => s.signatureOk)).toBe(true);
  });

  it('observes with a show and the pod list, and answers a delete of what is gone with a quiet not-found', async () => {
    script = [
      json(200, { id: 'd1', replicas: 1 }),
      json(200, { count: 1, pods: [{ id: 'p1', state: 'FAILED' }] }),
      (_q, res) => res.writeHead(204).end(),
      json(404, {}),
    ];
    const c = client();
    // The failed pod is only seen if the pod list was read.
    expect(await observe(c, 'EdgeDeployment', target, 'd1')).toMatchObject({ phase: 'Failed', observed: { id: 'd1', replicas: 1 } });
    logs.length = 0;
    await expect(remove(c, `/v3/${PID}/edgemgr/deployments/d1`)).resolves.toMatchObject({ status: 204 });
    const gone = await failure(remove(c, `/v3/${PID}/edgemgr/deployments/d1`));
    expect(isNotFoundError(gone)).toBe(true);
    // A delete expects "not found" as a normal answer: it is not logged as a failure.
    expect(logs).toEqual([]);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      `GET /v3/${PID}/edgemgr/deployments/d1`,
      `GET /v3/${PID}/edgemgr/pods?deployment_id=d1`,
      `DELETE /v3/${PID}/edgemgr/deployments/d1`,
      `DELETE /v3/${PID}/edgemgr/deployments/d1`,
    ]);
  });

  it('treats the ModelArts notebook not-found codes as not found', async () => {
    script = [json(400, { error_code: 'ModelArts.6309', error_msg: 'The instance does not exist.' })];
    const error = await failure(observe(client(), 'Notebook', target, 'gone'));
    expect(error).toBeInstanceOf(HuaweiPermanentError);
    expect(isNotFoundError(error)).toBe(true);
  });
});

describe('HuaweiCloudClient retries and error mapping', () => {
  it('retries a 429 on a create, honouring Retry-After', async () => {
    script = [json(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }, { 'retry-after': '0.3' }), json(200, { id: 'nb-1' })];
    const started = Date.now();
    await expect(create(client(), 'Notebook', target, { name: 'nb' })).resolves.toMatchObject({ id: 'nb-1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(seen).toHaveLength(2);
    // Each attempt is re-signed with a fresh date.
    expect(seen.every((s) => s.signatureOk)).toBe(true);
  });

  it('gives up on persistent 429 within the budget as Retryable', async () => {
    script = Array.from({ length: 50 }, () => json(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }));
    const started = Date.now();
    const error = await failure(observe(client({ retryBudgetMs: 400 }), 'Notebook', target, 'x'));
    expect(error).toBeInstanceOf(HuaweiRetryableError);
    expect(error).toMatchObject({ status: 429, errorCode: 'APIGW.0308' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('never resends a create after a 5xx', async () => {
    script = [json(500, { error_code: 'ModelArts.0001', error_msg: 'internal' }), json(200, { id: 'dup' })];
    const error = await failure(create(client(), 'Notebook', target, { name: 'nb' }));
    expect(error).toBeInstanceOf(HuaweiUnknownOutcomeError);
    expect(error).toMatchObject({ status: 500, errorCode: 'ModelArts.0001', requestId: 'rid-1', operation: 'create Notebook' });
    expect(seen).toHaveLength(1);
  });

  it('never resends a create after a dropped connection or a timeout', async () => {
    script = [drop];
    expect(await failure(create(client(), 'ResourcePool', target, {}))).toBeInstanceOf(HuaweiUnknownOutcomeError);
    script = [hang];
    const error = await failure(create(client(), 'ResourcePool', target, {}));
    expect(error).toBeInstanceOf(HuaweiUnknownOutcomeError);
    expect((error as Error).message).toContain('timed out');
    expect(seen).toHaveLength(2);
  });

  it('retries reads on 5xx, dropped connections and timeouts', async () => {
    script = [json(503, {}), drop, hang, json(200, { id: 'nb', status: 'RUNNING' })];
    await expect(observe(client(), 'Notebook', target, 'nb')).resolves.toMatchObject({
      phase: 'Succeeded',
      observed: { status: 'RUNNING' },
    });
    expect(seen).toHaveLength(4);
  });

  it('maps 400/401/403 to Permanent without retrying', async () => {
    script = [
      json(400, { error_code: 'ModelArts.50004000', error_msg: 'Bad request. invalid nodepool name' }),
      json(401, { error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information' }),
      json(403, { error_code: 'ModelArts.0003', error_msg: 'forbidden' }),
    ];
    const c = client();
    expect(await failure(create(c, 'NodePool', { ...target, poolName: 'p' }, {}))).toMatchObject({
      code: 'HUAWEI_PERMANENT',
      status: 400,
      errorCode: 'ModelArts.50004000',
    });
    expect(await failure(observe(c, 'Notebook', target, 'x'))).toMatchObject({ code: 'HUAWEI_PERMANENT', status: 401 });
    expect(await failure(remove(c, `/v1/${PID}/notebooks/x`))).toMatchObject({ code: 'HUAWEI_PERMANENT', status: 403 });
    expect(seen).toHaveLength(3);
  });

  it('maps a 2xx create without an id, and credential failures, to the three classes', async () => {
    script = [json(200, { status: 'CREATING' })];
    expect(await failure(create(client(), 'Notebook', target, {}))).toBeInstanceOf(HuaweiUnknownOutcomeError);
    const broken = client({ credentials: () => Promise.reject(new Error('secrets manager down')) });
    expect(await failure(observe(broken, 'Notebook', target, 'x'))).toBeInstanceOf(HuaweiRetryableError);
    // A node pool without its pool has no path to be sent to.
    expect(await failure(create(client(), 'NodePool', target, {}))).toBeInstanceOf(HuaweiPermanentError);
  });

  it('logs request ids and error codes but never headers or secrets', async () => {
    logs.length = 0;
    script = [
      json(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }),
      json(400, { error_code: 'ModelArts.0104', error_msg: 'Parameter error' }),
    ];
    const error = await failure(create(client(), 'Notebook', target, { name: 'nb' }));
    expect(logs.map((l) => l.level)).toEqual(['warn', 'error']);
    expect(logs[1]!.extra).toMatchObject({ errorCode: 'ModelArts.0104', requestId: 'rid-2', status: 400 });
    const everything = JSON.stringify({ logs, error, message: (error as Error).message, cause: (error as Error).cause });
    for (const secret of [creds.sk, creds.ak, 'SDK-HMAC-SHA256', 'Signature=']) expect(everything).not.toContain(secret);
  });
});

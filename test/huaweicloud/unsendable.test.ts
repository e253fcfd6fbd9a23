/**
 * A request the client cannot build (a header value fetch refuses, a path segment that would change the
 * path) was certainly never sent: it is a permanent failure, reported at once, never an unknown outcome.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HuaweiCloudClient, type HuaweiLogger, type HuaweiTarget, type HuaweiTransport } from '../../shared/huaweicloud/client';
import { HuaweiInvalidRequestError, HuaweiPermanentError } from '../../shared/huaweicloud/errors';
import { adapterOf, type Kind } from '../../shared/kinds/registry';

const creds = { ak: 'UNSENDABLEAK00000001', sk: 'unsendable-sk' };
const PID = '0123456789abcdef0123456789abcdef';
let server: Server;
let base: string;
let received: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', metadata: { name: 'x' }, deployments: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
});

const logs: string[] = [];
const logger: HuaweiLogger = { warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) };

function client() {
  return new HuaweiCloudClient({
    credentials: creds,
    modelartsEndpoint: base,
    iefEndpoint: base,
    retryBudgetMs: 2_000,
    retryBaseMs: 10,
    retryMaxDelayMs: 20,
    logger,
  });
}

/* Each kind's calls through its adapter, as the lifecycle makes them; async so any refusal is a rejection. */
const create = async (c: HuaweiTransport, kind: Kind, t: HuaweiTarget, body: Record<string, unknown>) =>
  adapterOf(kind).create(c, { projectId: t.projectId, region: 'cn-north-4', name: 'r1', spec: { body } }, t);
const find = async (c: HuaweiTransport, kind: Kind, t: HuaweiTarget, name: string) => adapterOf(kind).find(c, t, name);
const observe = async (c: HuaweiTransport, kind: Kind, t: HuaweiTarget, id: string) => adapterOf(kind).observe(c, t, id);

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

describe('requests the client cannot build', () => {
  it.each(['a\r\nx-injected: 1', 'a\nb', 'a\0b'])(
    'a create with ief-instance-id %j fails permanently and names the header, not its value',
    async (iefInstanceId) => {
      const error = await failure(create(client(), 'EdgeDeployment', { projectId: PID, iefInstanceId }, { name: 'app' }));
      expect(error).toBeInstanceOf(HuaweiInvalidRequestError);
      expect(error).toBeInstanceOf(HuaweiPermanentError);
      expect(error).toMatchObject({ code: 'HUAWEI_PERMANENT', operation: 'create EdgeDeployment' });
      expect((error as Error).message).toContain('request not sent');
      expect((error as Error).message).toContain('ief-instance-id');
      expect((error as Error).message).not.toContain('x-injected');
      expect(received).toEqual([]);
    },
  );

  it('a read with such a header is not retried', async () => {
    logs.length = 0;
    const started = Date.now();
    const error = await failure(observe(client(), 'EdgeDeployment', { projectId: PID, iefInstanceId: 'a\r\nb' }, 'dep-1'));
    expect(error).toBeInstanceOf(HuaweiInvalidRequestError);
    expect(logs.filter((l) => l.startsWith('warn'))).toEqual([]);
    expect(Date.now() - started).toBeLessThan(500);
    expect(received).toEqual([]);
  });

  it.each(['.', '..', ''])('refuses %j as a path segment rather than send a request to another path', async (segment) => {
    const c = client();
    for (const call of [
      () => create(c, 'NodePool', { projectId: PID, poolName: segment }, {}),
      () => observe(c, 'Notebook', { projectId: PID }, segment),
      // No kind deletes yet (the adapters' delete slot is empty): the delete a kind would send.
      () =>
        c.send({
          operation: 'remove',
          callKind: 'delete',
          method: 'DELETE',
          service: 'modelarts',
          path: `/v1/${PID}/notebooks/${encodeURIComponent(segment)}`,
          target: { projectId: PID },
        }),
      () => find(c, 'NodePool', { projectId: PID, poolName: 'pool-1' }, segment),
      () => create(c, 'Notebook', { projectId: segment }, {}),
    ]) {
      const error = await failure(call());
      expect(error).toBeInstanceOf(HuaweiInvalidRequestError);
    }
    expect(received).toEqual([]);
  });

  it('encodes every other path segment whole', async () => {
    const c = client();
    await observe(c, 'Notebook', { projectId: PID }, 'a/b?c#d');
    await observe(c, 'NodePool', { projectId: PID, poolName: 'p/../q' }, '../x');
    expect(received).toEqual([`GET /v1/${PID}/notebooks/a%2Fb%3Fc%23d`, `GET /v2/${PID}/pools/p%2F..%2Fq/nodepools/..%2Fx`]);
  });
});

/** The Huawei client's node:http transport against a local server: what it sends, what it reads, and how it gives up. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFetch, refusedHeaderName } from '../../shared/huaweicloud/http';

type Route = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe('httpFetch', () => {
  let server: Server;
  let base: string;
  const routes = new Map<string, Route>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => routes.get(req.url ?? '')?.(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the method, headers and body, and reads the status, a header and the body', async () => {
    routes.set('/echo?x=1', (req, body, res) => {
      res.writeHead(201, { 'x-request-id': 'r-1', 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, project: req.headers['x-project-id'], length: req.headers['content-length'], body }));
    });
    const answer = await httpFetch(`${base}/echo?x=1`, { method: 'POST', headers: { 'X-Project-Id': 'p1' }, body: '{"name":"é"}' });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('X-Request-Id')).toBe('r-1');
    expect(answer.headers.get('retry-after')).toBeNull();
    expect(JSON.parse(await answer.text())).toEqual({ method: 'POST', project: 'p1', length: '13', body: '{"name":"é"}' });
  });

  it('rejects with the signal reason when it aborts before the answer', async () => {
    routes.set('/never', () => {});
    const controller = new AbortController();
    const reason = new Error('timeout:response');
    setTimeout(() => controller.abort(reason), 50);
    await expect(httpFetch(`${base}/never`, { method: 'GET', headers: {}, signal: controller.signal })).rejects.toBe(reason);
  });

  it('rejects reading the body with the signal reason when it aborts half-way', async () => {
    routes.set('/slow', (_req, _body, res) => {
      res.writeHead(200);
      res.write('{"partial":');
    });
    const controller = new AbortController();
    const answer = await httpFetch(`${base}/slow`, { method: 'GET', headers: {}, signal: controller.signal });
    const reason = new Error('timeout:body');
    setTimeout(() => controller.abort(reason), 50);
    await expect(answer.text()).rejects.toBe(reason);
  });

  it('rejects with the socket error code when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(httpFetch(`http://127.0.0.1:${port}/`, { method: 'GET', headers: {} })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('refusedHeaderName', () => {
  it('names the first header node:http would refuse, and nothing for sendable ones', () => {
    expect(refusedHeaderName({ 'X-Project-Id': 'p1', authorization: 'SDK-HMAC-SHA256 Access=a' })).toBeUndefined();
    expect(refusedHeaderName({ ok: 'v', 'ief-instance-id': 'x\r\nx-injected: 1' })).toBe('ief-instance-id');
    expect(refusedHeaderName({ 'X-Project-Id': 'p\u0100' })).toBe('X-Project-Id');
    expect(refusedHeaderName({ 'bad name': 'v' })).toBe('bad name');
  });
});

/**
 * The body limit as a client on the network meets it: over @hono/node-server on a loopback port, with the body
 * framed by Content-Length (decided by the header) and chunked (counted as it streams).
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitBody } from '../../shared/http/body-limit';

const LIMIT = 1024;

function send(port: number, body: string, framing: 'length' | 'chunked'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> =
      framing === 'length' ? { 'content-length': Buffer.byteLength(body) } : { 'transfer-encoding': 'chunked' };
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    // Several writes: a chunked body arrives in pieces, and the limit must hold over their sum.
    for (let i = 0; i < body.length; i += 300) req.write(body.slice(i, i + 300));
    req.end();
  });
}

describe('limitBody', () => {
  let server: ServerType;
  let port: number;

  beforeAll(async () => {
    const app = new Hono();
    app.post(
      '/',
      limitBody(LIMIT, (c) => c.text('too large', 413)),
      async (c) => c.text(`read ${(await c.req.arrayBuffer()).byteLength}`),
    );
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      });
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  for (const framing of ['length', 'chunked'] as const) {
    it(`lets a body of the limit through and refuses one byte more (${framing})`, async () => {
      expect(await send(port, 'a'.repeat(LIMIT), framing)).toEqual({ status: 200, text: `read ${LIMIT}` });
      expect(await send(port, 'a'.repeat(LIMIT + 1), framing)).toEqual({ status: 413, text: 'too large' });
    });
  }
});

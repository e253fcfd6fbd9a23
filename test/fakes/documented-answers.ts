/**
 * A loopback server answering fixed JSON at fixed paths: a provider's documented response examples served over real
 * HTTP, for tests that read them through the product's own fetch. Records what it was asked.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AnswerServer {
  url: string;
  requests: { path: string; query: URLSearchParams; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** `answers` maps a path (no query) to the JSON body answered with 200; any other path is a 404. */
export async function serveAnswers(answers: Record<string, unknown>): Promise<AnswerServer> {
  const requests: AnswerServer['requests'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ path: url.pathname, query: url.searchParams, headers: req.headers });
    const known = Object.hasOwn(answers, url.pathname);
    res.writeHead(known ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(known ? answers[url.pathname] : { message: 'Not Found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

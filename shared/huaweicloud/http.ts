/**
 * The HTTP transport of the Huawei client: the part of fetch it uses (status, one header, the body as text, an
 * abort signal), over node:http and node:https. Global fetch is undici, which Node compiles on first use, with
 * its HTTP parser in WebAssembly whose background compilation outlives the call: in the functions that call
 * Huawei at their first invocation (intake's preflight, dispatch, poll) that was the largest part of the cold
 * start. node:http is already loaded by the AWS SDK's handler.
 */
import { request as httpRequest, validateHeaderName, validateHeaderValue, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

interface HttpRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** What the client reads of an answer; a fetch Response is one. */
export interface HttpAnswer {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** fetch is one (tests pass fakes built on Response); httpFetch is the default. */
export type HttpFetch = (url: string, init: HttpRequestInit) => Promise<HttpAnswer>;

/**
 * Why node:http would refuse these headers, or undefined. Checked before sending, by name only, so the caller
 * can report a request that never left rather than a network failure.
 */
export function refusedHeaderName(headers: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      return name;
    }
  }
  return undefined;
}

/** Rejects as fetch does: with the signal's reason once it aborts, whether before the answer or while reading its body. */
export const httpFetch: HttpFetch = (url, init) =>
  new Promise((resolve, reject) => {
    const { signal } = init;
    if (signal?.aborted) return reject(signal.reason);
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: init.method, headers: init.body === undefined ? init.headers : withLength(init) });
    const onAbort = () => {
      req.destroy();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    req.once('response', (res) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(answer(res, signal));
    });
    req.end(init.body);
  });

function withLength(init: HttpRequestInit): Record<string, string> {
  return { ...init.headers, 'content-length': String(Buffer.byteLength(init.body!)) };
}

function answer(res: IncomingMessage, signal: AbortSignal | undefined): HttpAnswer {
  return {
    status: res.statusCode ?? 0,
    headers: {
      get(name) {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    text: () =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        const onAbort = () => {
          res.destroy();
          reject(signal!.reason);
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        });
        res.once('end', () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(Buffer.concat(chunks).toString('utf8'));
        });
      }),
  };
}

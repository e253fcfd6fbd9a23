/** Test helpers for the Huawei Cloud simulator: signed fetch with the shared signer, admin calls, polling. */
import type { Hono } from 'hono';
import { SIMULATOR_DEFAULTS } from '../../local/huaweicloud-simulator/defaults';
import type { SimEnv } from '../../local/huaweicloud-simulator/http';
import { signRequest } from '../../shared/huaweicloud/signer';

export const PID = SIMULATOR_DEFAULTS.projectId;

// Tests read arbitrary JSON bodies; `any` keeps the assertions readable.
export type Json = any;

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Json;
}

export interface CallOptions {
  sk?: string;
  ak?: string;
  /** Signing time; defaults to now. */
  signedAt?: Date;
  /** Send these bytes instead of the signed body (to test tampering). */
  sendBody?: string;
  unsigned?: boolean;
}

type Fetcher = (url: string, init: RequestInit) => Promise<Response>;

async function toApiResponse(res: Response): Promise<ApiResponse> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

function makeCall(baseUrl: string, fetcher: Fetcher, clock: () => number = Date.now) {
  return async (method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<ApiResponse> => {
    const url = `${baseUrl}${path}`;
    const text = body === undefined ? undefined : JSON.stringify(body);
    const base = { 'content-type': 'application/json', 'X-Project-Id': PID };
    const headers = opts.unsigned
      ? base
      : signRequest(
          { method, url, headers: base, body: text },
          { ak: opts.ak ?? SIMULATOR_DEFAULTS.ak, sk: opts.sk ?? SIMULATOR_DEFAULTS.sk },
          opts.signedAt ?? new Date(clock()),
        );
    return toApiResponse(await fetcher(url, { method, headers, body: opts.sendBody ?? text }));
  };
}

/** Signed calls over real HTTP to a started simulator. */
export function httpClient(baseUrl: string) {
  return makeCall(baseUrl, (url, init) => fetch(url, init));
}

/** Signed calls straight into the Hono app (no sockets), for fake-clock tests; signs at the fake time. */
export function appClient(app: Hono<SimEnv>, clock?: () => number) {
  return makeCall('http://127.0.0.1:9', async (url, init) => app.request(url, init), clock);
}

export async function admin(baseUrl: string, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const res = await fetch(`${baseUrl}/__sim${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return toApiResponse(res);
}

/** Polls `read` until `done` holds; returns every value seen so tests can assert the path taken. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000, intervalMs = 25): Promise<T[]> {
  const seen: T[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    seen.push(value);
    if (done(value)) return seen;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Collapses consecutive repeats: ['INIT','INIT','CREATING'] → ['INIT','CREATING']. */
export function distinct<T>(values: T[]): T[] {
  return values.filter((v, i) => i === 0 || v !== values[i - 1]);
}

export const notebookBody = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  description: 'simulator test',
  feature: 'NOTEBOOK',
  flavor: 'modelarts.vm.cpu.2u',
  image_id: 'e1a07296-22a8-4f05-8bc8-e936c8e54090',
  volume: { category: 'EVS', ownership: 'MANAGED', capacity: 5 },
  ...extra,
});

export const poolBody = (
  name: string,
  resources: unknown[] = [{ flavor: 'modelarts.vm.cpu.8u', count: 2 }],
  annotations: Record<string, string> = {},
) => ({
  apiVersion: 'v2',
  kind: 'Pool',
  metadata: {
    labels: { 'os.modelarts/name': name, 'os.modelarts/workspace.id': '0' },
    annotations: { 'os.modelarts/billing.mode': '0', ...annotations },
  },
  spec: { type: 'Dedicate', scope: ['Train', 'Infer'], resources, network: { name: 'net-sim' } },
});

export const nodePoolBody = (name: string, flavor = 'modelarts.vm.cpu.8u', count = 2) => ({
  apiVersion: 'v2',
  kind: 'NodePool',
  metadata: { name, annotations: { 'os.modelarts/billing.mode': '0' } },
  spec: { resources: { flavor, count, maxCount: count, nodePool: name } },
});

export const deploymentBody = (name: string, replicas = 2, image = 'nginx:alpine') => ({
  name,
  description: 'simulator test',
  node_ids: ['9ebd8efb-9fdd-44a1-abda-9cdbc287a867'],
  tags: [{ key: 'idem', value: 'abc123' }],
  deployment: {
    replicas,
    template: {
      configs: { host_network: true, restart_policy: 'Always' },
      containers: [{ name: 'container-0', image_url: image, resources: { limits: { cpu: '0.25', memory: '500' } } }],
    },
  },
});

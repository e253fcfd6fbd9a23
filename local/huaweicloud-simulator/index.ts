/** Local simulator of the ModelArts and IEF APIs: a Hono app plus a loopback-only Node server around it. */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { applyCatalogPatch, type CatalogPatch, defaultCatalog } from './catalog';
import { DEFAULT_SEED, SIMULATOR_DEFAULTS, resolveDurations, type DurationsOption } from './defaults';
import { gateway } from './gateway';
import { gatewayError, huaweiError, newRequestId, serviceOf, type SimEnv } from './http';
import { adminRoutes } from './routes/admin';
import { iefRoutes } from './routes/ief';
import { modelartsRoutes } from './routes/modelarts';
import { readSnapshot, writeSnapshot } from './persistence';
import { SimulatorState } from './state';

export { DURATION_PRESETS, SIMULATOR_DEFAULTS } from './defaults';
export type { FaultCounts } from './faults';
export type { SimulatorState } from './state';

export interface SimulatorOptions {
  ak?: string;
  sk?: string;
  projectId?: string;
  durations?: DurationsOption;
  /** Seed for the fault PRNG (also the default when POST /__sim/faults gives none). */
  seed?: number;
  rateLimitPerSecond?: number;
  /** One line per request: method, path, status, time, request id. */
  logger?: (line: string) => void;
  /** Clock in epoch ms, for tests that step time instead of waiting. Signature skew uses it too. */
  now?: () => number;
  /**
   * A JSON file that keeps the resources across restarts: read at start (when it exists), rewritten after
   * every create, delete and reset. Faults, counters and /__sim/config are not kept.
   */
  stateFile?: string;
  /**
   * Changes to the default catalog (flavors, images, edge nodes and groups, sold out, missing, pool quota,
   * strict), as PUT /__sim/catalog takes them; a reset returns to this catalog.
   */
  catalog?: CatalogPatch;
}

export interface StartSimulatorOptions extends SimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
}

export interface RunningSimulator {
  /** `http://127.0.0.1:PORT`, the one base URL for ModelArts and IEF. */
  url: string;
  port: number;
  state: SimulatorState;
  close(): Promise<void>;
}

function fromEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The start-up catalog: the default with the option's changes; a change the catalog refuses is a programming error. */
function startCatalog(patch: CatalogPatch | undefined) {
  if (patch === undefined) return defaultCatalog();
  const applied = applyCatalogPatch(defaultCatalog(), patch);
  if (!applied.ok) throw new Error(`simulator option catalog: ${applied.error}`);
  return applied.value;
}

export function createSimulator(opts: SimulatorOptions = {}): { app: Hono<SimEnv>; state: SimulatorState } {
  const state = new SimulatorState({
    ak: opts.ak ?? fromEnv('HUAWEICLOUD_SDK_AK') ?? SIMULATOR_DEFAULTS.ak,
    sk: opts.sk ?? fromEnv('HUAWEICLOUD_SDK_SK') ?? SIMULATOR_DEFAULTS.sk,
    projectId: opts.projectId ?? fromEnv('HUAWEICLOUD_SDK_PROJECT_ID') ?? SIMULATOR_DEFAULTS.projectId,
    durations: resolveDurations(opts.durations),
    rateLimitPerSecond: opts.rateLimitPerSecond,
    seed: opts.seed ?? DEFAULT_SEED,
    now: opts.now ?? Date.now,
    catalog: startCatalog(opts.catalog),
    ...(opts.stateFile ? { onChange: () => writeSnapshot(opts.stateFile!, state.snapshot()) } : {}),
  });
  const saved = opts.stateFile ? readSnapshot(opts.stateFile) : undefined;
  if (saved) state.restore(saved);
  const log = opts.logger;
  const app = new Hono<SimEnv>();

  app.use('*', async (c, next) => {
    const requestId = newRequestId();
    const started = Date.now();
    c.set('requestId', requestId);
    await next();
    c.res.headers.set('X-Request-Id', requestId);
    const fault = c.get('fault');
    log?.(`${c.req.method} ${c.req.path} ${c.res.status} ${Date.now() - started}ms ${requestId}${fault ? ` fault=${fault}` : ''}`);
  });

  app.route('/__sim', adminRoutes(state));
  const apiGateway = gateway(state);
  for (const prefix of ['/v1/*', '/v2/*', '/v3/*']) app.use(prefix, apiGateway);
  app.route('/', modelartsRoutes(state));
  app.route('/', iefRoutes(state));

  app.notFound((c) => gatewayError(c, 404, 'APIGW.0101', `no API at ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    log?.(`error on ${c.req.method} ${c.req.path}: ${error instanceof Error ? error.message : String(error)}`);
    const code = serviceOf(c.req.path) === 'IEF' ? 'IEF.100500' : 'ModelArts.50005000';
    return huaweiError(c, 500, code, 'Internal server error');
  });

  return { app, state };
}

/** Listens on 127.0.0.1 only: the simulator accepts well-known development credentials. */
export async function startSimulator(opts: StartSimulatorOptions = {}): Promise<RunningSimulator> {
  const { app, state } = createSimulator(opts);
  const server = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: '127.0.0.1' }) as Server;
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    state,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        // Slow-fault responses would otherwise hold their connections open for slowMs.
        state.releaseDelays();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      })),
  };
}

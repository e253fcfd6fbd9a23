/**
 * Benchmark 7: the pages. (1) A request page of N resources (200 in a full run) rendered by the product's app in its
 * own process, under autocannon, beside the JSON view of the same request (GET /requests/{id}: the same reads
 * without the HTML); target p99 < 100 ms. (2) One page of the requests list with a small and a large table: the
 * items DynamoDB reads (ScannedCount, and the capacity it says it consumed) must not grow with the table.
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { runLimited } from '../shared/concurrency';
import { signLink } from '../shared/http/links';
import { deriveRequestId } from '../shared/intake/ids';
import { terminalConditions } from '../shared/reconcile/conditions';
import { managedKey, managedListKey } from '../shared/store/keys';
import { listRequests, type RequestListFilter } from '../shared/store/lists';
import { putRequestOnce, resourceKey, type TableRef } from '../shared/store/requests';
import type { RequestRecord, RequestState } from '../shared/store/types';
import type { BenchStack } from './lib/stack';
import { log, median, round, startChild } from './lib/util';

interface UiBenchOptions {
  /** Resources of the request whose page is rendered. */
  resources: number;
  /** Connections of the loaded run; the viewer's run has one. */
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** Requests in the table for the two list measurements: the small table, then the large one. */
  tableSizes: [number, number];
  /** Items per list page, as /ui asks for them. */
  pageSize: number;
  /** List calls timed per table size (their median is reported). */
  listSamples: number;
}

interface PageSide {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMeanMs: number;
  requests: number;
  errors: number;
  non2xx: number;
  timeouts: number;
  /** Bytes of one answer. */
  bytes: number;
}

interface ListSample {
  requestsInTable: number;
  /** Query calls one page made. */
  queries: number;
  /** Index items DynamoDB read (ScannedCount, summed over the page's queries). */
  itemsRead: number;
  /** Read capacity DynamoDB reported for the page (ReturnConsumedCapacity TOTAL). */
  consumedCapacity: number;
  itemsReturned: number;
  medianMs: number;
}

const SIGNING_KEY = 'bench-ui-signing-key-0123456789abcdef';
const API_TOKEN = 'bench-ui-api-token-0123456789abcdefgh';
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const REGION = 'cn-north-4';
const PROVIDERS = ['github', 'gitlab', 'jira', 'api'] as const;
/** The state filter a list page is also measured with: a rare state, so the filter has to read past most items. */
const RARE_STATE: RequestState = 'Failed';

async function writeAll(table: TableRef, items: Record<string, unknown>[]): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  await runLimited(batches, 8, async (batch) => {
    let pending = batch.map((Item) => ({ PutRequest: { Item } }));
    while (pending.length > 0) {
      const result = await table.ddb.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: pending } }));
      pending = (result.UnprocessedItems?.[table.tableName] ?? []) as typeof pending;
    }
  });
}

/**
 * A finished push of `count` resources as the pipeline leaves it: the request, its resource items with their
 * timeline, and the managed resources they created; one in twenty failed with Huawei's error.
 */
async function seedLargeRequest(table: TableRef, count: number, runId: string): Promise<string> {
  const requestId = deriveRequestId('bench-ui', runId);
  const t0 = Date.now() - 10 * 60_000;
  const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
  const commit = randomBytes(20).toString('hex');
  const source = {
    provider: 'github' as const,
    ref: `acme/infra@${commit}`,
    repository: 'acme/infra',
    commit,
    branch: 'main',
    user: 'github:octocat',
  };
  await putRequestOnce(table, {
    requestId,
    source,
    phase: 'Accepted',
    resourceCount: count,
    createdAt: at(0),
    updatedAt: at(120),
    completedAt: at(120),
    finishedCount: count,
  });
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 2 === 0 ? 'Notebook' : 'EdgeDeployment';
    const name = `${kind === 'Notebook' ? 'nb' : 'app'}-${runId}-${i}`;
    const failed = i % 20 === 19;
    const huaweiId = randomBytes(16).toString('hex');
    const finished = at(30 + (i % 60));
    items.push({
      ...resourceKey(requestId, kind, name),
      type: 'resource',
      requestId,
      kind,
      name,
      projectId: PROJECT,
      region: REGION,
      owner: 'github:acme/infra',
      file: `provisioning/bench-${Math.floor(i / 10)}.yaml`,
      manifest: { apiVersion: 'hwc-provisioner/v1', kind, metadata: { name }, spec: { body: { name, flavor: 'modelarts.vm.cpu.2u' } } },
      state: failed ? 'Failed' : 'Succeeded',
      operation: 'create',
      huaweiId,
      createdAt: at(0),
      dispatchStartedAt: at(2),
      createStartedAt: at(3),
      finishedAt: finished,
      updatedAt: finished,
      ...(failed
        ? { reason: 'CREATE_FAILED', message: 'ModelArts.6404: the image could not be pulled (request id 5b0c8e1f)' }
        : { message: 'ready (RUNNING)' }),
    });
    items.push({
      ...managedKey(PROJECT, kind, name),
      ...managedListKey(PROJECT, kind, name),
      type: 'managed',
      projectId: PROJECT,
      kind,
      name,
      region: REGION,
      owner: 'github:acme/infra',
      source: { provider: 'github', ref: source.ref, repository: 'acme/infra', file: 'provisioning/bench.yaml' },
      desired: { body: { name } },
      specHash: randomBytes(16).toString('hex'),
      generation: 1,
      requestId,
      requestIds: [requestId],
      state: failed ? 'Failed' : 'Succeeded',
      operation: 'create',
      huaweiId,
      observation: { at: finished, phase: failed ? 'CREATE_FAILED' : 'RUNNING' },
      conditions: terminalConditions(finished, { state: failed ? 'Failed' : 'Succeeded' }),
      createdAt: at(0),
      updatedAt: finished,
    });
  }
  await writeAll(table, items);
  return requestId;
}

/** Finished requests from every source, newest last, up to `total` in the table (those already there count). */
async function fillRequests(table: TableRef, from: number, total: number, runId: string): Promise<void> {
  const t0 = Date.parse('2026-11-01T00:00:00.000Z');
  const indexes = Array.from({ length: total - from }, (_, i) => from + i);
  await runLimited(indexes, 16, async (i) => {
    const provider = PROVIDERS[i % PROVIDERS.length]!;
    const createdAt = new Date(t0 + i * 60_000).toISOString();
    const record: RequestRecord & { outcome: RequestState } = {
      requestId: deriveRequestId('bench-ui-list', runId, String(i)),
      source:
        provider === 'api'
          ? { provider, ref: 'api:ci', caller: 'ci', user: 'api:ci' }
          : provider === 'jira'
            ? { provider, ref: `OPS-${i}`, ticket: `OPS-${i}`, user: 'jira:5b10ac8d82e05b22cc7d4ef5' }
            : {
                provider,
                ref: `acme/infra@${i}`,
                repository: 'acme/infra',
                commit: String(i),
                branch: 'main',
                user: `${provider}:octocat`,
              },
      phase: 'Accepted',
      resourceCount: 1 + (i % 5),
      createdAt,
      updatedAt: createdAt,
      completedAt: createdAt,
      // One in a hundred failed: what a state filter has to find among the rest.
      outcome: i % 100 === 99 ? 'Failed' : 'Succeeded',
    };
    await putRequestOnce(table, record);
  });
}

async function load(url: string, headers: Record<string, string>, opts: UiBenchOptions): Promise<PageSide> {
  const first = await fetch(url, { headers });
  const bytes = (await first.arrayBuffer()).byteLength;
  if (first.status !== 200) throw new Error(`ui bench: ${url} answered ${first.status}`);
  const run = (duration: number) => autocannon({ url, connections: opts.connections, duration, headers, timeout: 10 });
  if (opts.warmupSeconds > 0) await run(opts.warmupSeconds);
  const r = await run(opts.seconds);
  return {
    requestsPerSecond: round(r.requests.average, 1),
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    latencyMeanMs: round(r.latency.average, 2),
    requests: r.requests.total,
    errors: r.errors,
    non2xx: r.non2xx,
    timeouts: r.timeouts,
    bytes,
  };
}

export async function benchUi(stack: BenchStack, opts: UiBenchOptions) {
  const resources = await stack.provision('ui');
  const clients = stack.clients();
  const table: TableRef = { ddb: clients.ddb, tableName: resources.tableName };
  const runId = randomBytes(3).toString('hex');
  try {
    log(`ui: a request of ${opts.resources} resources`);
    const requestId = await seedLargeRequest(table, opts.resources, runId);
    const env = {
      ...resources.env,
      UI_SIGNING_KEY: SIGNING_KEY,
      API_TOKENS: `bench:read-all=${API_TOKEN}`,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
    // The pages and the API in two processes, as the ui and api functions are deployed.
    const server = startChild<{ port: number }>('procs/ui-server.ts', ['ui'], env);
    const apiServer = startChild<{ port: number }>('procs/ui-server.ts', ['api'], env);
    const bearer = { authorization: `Bearer ${API_TOKEN}` };
    const lists: { all: ListSample[]; failedOnly: ListSample[]; listPage: (PageSide & { requestsInTable: number })[] } = {
      all: [],
      failedOnly: [],
      listPage: [],
    };
    let page: PageSide;
    let json: PageSide;
    let pageLoaded: PageSide;
    let jsonLoaded: PageSide;
    let rows: number;
    try {
      const [{ port }, { port: apiPort }] = await Promise.all([server.ready, apiServer.ready]);
      const base = `http://127.0.0.1:${port}`;
      const api = `http://127.0.0.1:${apiPort}`;
      const pageUrl = `${base}/ui/requests/${requestId}?t=${signLink(requestId, SIGNING_KEY, new Date())}`;
      // The page measured must be the whole page: every resource has its row.
      rows = ((await (await fetch(pageUrl)).text()).match(/<tr[^>]*>(?:(?!<\/tr>)[\s\S])*?data-state=/g) ?? []).length;
      if (rows !== opts.resources) throw new Error(`ui bench: the page shows ${rows} resource rows, not ${opts.resources}`);
      // One viewer (what a person waits for: the target), then many at once (what the function sustains).
      const viewer = { ...opts, connections: 1 };
      log(`ui: request page (${opts.resources} resources), one connection for ${opts.seconds} s, then ${opts.connections}`);
      page = await load(pageUrl, {}, viewer);
      pageLoaded = await load(pageUrl, {}, opts);
      log(`ui: request page p99 ${page.latencyP99Ms} ms (${pageLoaded.latencyP99Ms} ms loaded); now its JSON view`);
      json = await load(`${api}/requests/${requestId}`, bearer, viewer);
      jsonLoaded = await load(`${api}/requests/${requestId}`, bearer, opts);
      log(`ui: JSON view p99 ${json.latencyP99Ms} ms (${jsonLoaded.latencyP99Ms} ms loaded)`);

      // Every Query the list makes, with what DynamoDB says it read and consumed.
      const counted = { queries: 0, scanned: 0, capacity: 0 };
      clients.dynamodb.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName !== 'QueryCommand') return next(args);
          (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
          const result = await next(args);
          const output = result.output as { ScannedCount?: number; ConsumedCapacity?: { CapacityUnits?: number } };
          counted.queries++;
          counted.scanned += output.ScannedCount ?? 0;
          counted.capacity += output.ConsumedCapacity?.CapacityUnits ?? 0;
          return result;
        },
        { step: 'initialize', name: 'uiBenchCounter' },
      );
      const measure = async (filter: RequestListFilter, size: number): Promise<ListSample> => {
        counted.queries = counted.scanned = counted.capacity = 0;
        const first = await listRequests(table, filter, { limit: opts.pageSize });
        const one = { ...counted };
        const times: number[] = [];
        for (let i = 0; i < opts.listSamples; i++) {
          const started = performance.now();
          await listRequests(table, filter, { limit: opts.pageSize });
          times.push(performance.now() - started);
        }
        return {
          requestsInTable: size,
          queries: one.queries,
          itemsRead: one.scanned,
          consumedCapacity: round(one.capacity, 1),
          itemsReturned: first.items.length,
          medianMs: round(median(times), 2),
        };
      };
      let filled = 1; // the large request
      for (const size of opts.tableSizes) {
        log(`ui: ${size} requests in the table`);
        await fillRequests(table, filled, size, runId);
        filled = size;
        lists.all.push(await measure({}, size));
        lists.failedOnly.push(await measure({ state: RARE_STATE }, size));
        const listed = await load(`${base}/ui`, bearer, { ...opts, warmupSeconds: 0, seconds: Math.max(1, Math.round(opts.seconds / 3)) });
        lists.listPage.push({ requestsInTable: size, ...listed });
        log(
          `ui: one list page read ${lists.all.at(-1)!.itemsRead} items (${lists.failedOnly.at(-1)!.itemsRead} with ` +
            `state=${RARE_STATE}); GET /ui p99 ${listed.latencyP99Ms} ms`,
        );
      }
    } finally {
      await Promise.all([server.stop(), apiServer.stop()]);
    }
    const [small, large] = lists.all as [ListSample, ListSample];
    return {
      setup: {
        resources: opts.resources,
        connections: `1 (the target's figure), then ${opts.connections} (loaded)`,
        seconds: opts.seconds,
        warmupSeconds: opts.warmupSeconds,
        processes:
          'the pages as the ui function serves them and the API as the api function does, each in its own Node process ' +
          '(deployed wiring, Powertools at INFO); autocannon in the bench process; ' +
          'DynamoDB Local in memory',
        page: `GET /ui/requests/{id}?t=<signed link>, ${rows} resource rows (one in twenty failed), managed items read for each`,
        baseline: 'GET /requests/{id} with a bearer token: the same request read, answered as JSON',
        list:
          `listRequests (shared/store/lists.ts) for one page of ${opts.pageSize}, unfiltered and state=${RARE_STATE} (1 in 100); ` +
          'and GET /ui (the list page, bearer token) under autocannon for a third of the page time',
        tableSizes: opts.tableSizes,
      },
      requestPage: page,
      baseline: json,
      loaded: { connections: opts.connections, requestPage: pageLoaded, baseline: jsonLoaded },
      list: lists,
      targets: {
        requestPageP99Ms: 100,
        requestPageP99Met: page.latencyP99Ms < 100,
        listReadsIndependentOfTableSize: large.itemsRead === small.itemsRead && large.queries === small.queries,
      },
    };
  } finally {
    clients.destroy();
  }
}

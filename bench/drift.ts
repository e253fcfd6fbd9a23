/**
 * Benchmark 6: drift looks. N ready managed notebooks (real ones in the simulator, their items written directly)
 * beside M unrelated finished resources, and one whole DRIFT_INTERVAL_MINUTES driven minute by minute on a fake
 * clock: each simulated minute is one driftTick with the poller's settings and a Huawei client paced at the
 * simulator's rate limit. Per tick: items read against the resources whose slot fell in that minute, Huawei reads
 * and 429s, wall time against the budget. At the end every resource must have been read once and its next slot
 * be exactly one interval on.
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { SIMULATOR_DEFAULTS, startSimulator } from '../local/huaweicloud-simulator/index';
import { runLimited } from '../shared/concurrency';
import { HuaweiCloudClient } from '../shared/huaweicloud/client';
import type { ResourceSpec } from '../shared/kinds/adapter';
import { adapterOf } from '../shared/kinds/registry';
import { cloudApi } from '../shared/reconcile/cloud';
import { terminalConditions } from '../shared/reconcile/conditions';
import { driftTick, type DriftStats } from '../shared/reconcile/drift';
import { nextDriftAt } from '../shared/reconcile/drift-schedule';
import type { ReconcileDeps } from '../shared/reconcile/resource';
import { specHash } from '../shared/reconcile/verdict';
import { DRIFT_PARTITION } from '../shared/store/due';
import { managedKey } from '../shared/store/managed';
import { requestKey, resourceKey } from '../shared/store/requests';
import { DUE_INDEX } from '../shared/store/schema';
import type { BenchStack } from './lib/stack';
import { log, round } from './lib/util';

interface DriftBenchOptions {
  resources: number;
  /** Finished resources of an unrelated request: table size a tick must not pay for. */
  unrelated: number;
  intervalMinutes: number;
  rateLimitPerSecond: number;
  budgetMs: number;
  concurrency: number;
}

interface TickSample {
  minute: number;
  /** Resources whose slot fell in this minute (from the schedule written at set-up). */
  due: number;
  /** Due but not looked at by the end of the tick (left for the next one). */
  backlog: number;
  itemsRead: number;
  looked: number;
  unreadable: number;
  events: number;
  deferred: boolean;
  huaweiReads: number;
  throttled: number;
  queryItemsScanned: number;
  dynamoCalls: Record<string, number>;
  wallMs: number;
}

/** A fixed minute-aligned start: slots are placed by a hash of the identity, so figures repeat run to run. */
const T0 = Date.parse('2026-12-01T00:00:00.000Z');
const MINUTE = 60_000;
const PROJECT = SIMULATOR_DEFAULTS.projectId;
const REGION = 'cn-north-4';

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

/** The most calls in any one second (a sliding window over the calls' send times, in ms). */
function busiestSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 1000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

const notebookSpec = (name: string): ResourceSpec =>
  ({
    body: {
      name: name.replaceAll('-', '_'),
      feature: 'NOTEBOOK',
      workspace_id: '0',
      flavor: 'modelarts.vm.cpu.2u',
      image_id: 'e1a07296-22a8-4f05-8bc8-e936c8e54090',
      volume: { category: 'evs', ownership: 'managed', capacity: 50 },
    },
  }) as ResourceSpec;

export async function benchDrift(stack: BenchStack, opts: DriftBenchOptions) {
  const resources = await stack.provision('dr');
  const clients = stack.clients();
  const table = { ddb: clients.ddb, tableName: resources.tableName };
  let dynamo = { calls: {} as Record<string, number>, scanned: 0 };
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const name = String(context.commandName);
      dynamo.calls[name] = (dynamo.calls[name] ?? 0) + 1;
      if (name === 'QueryCommand') dynamo.scanned += (result.output as { ScannedCount?: number }).ScannedCount ?? 0;
      return result;
    },
    { step: 'initialize', name: 'benchCounter' },
  );
  // Created unthrottled (set-up, not measured); the limit is switched on before the first tick.
  const simulator = await startSimulator({ port: 0, durations: 'fast' });
  const credentials = { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk };
  const endpoints = { modelartsEndpoint: simulator.url, iefEndpoint: simulator.url };

  // Every call the ticks make to Huawei: when it left, which simulated minute, which notebook, and 429s.
  let minute = 0;
  const reads = { times: [] as number[], byMinute: new Map<number, number>(), byId: new Map<string, number>(), throttled: 0 };
  const counting: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    reads.times.push(performance.now());
    reads.byMinute.set(minute, (reads.byMinute.get(minute) ?? 0) + 1);
    const id = url.pathname.split('/').at(-1) ?? '';
    reads.byId.set(id, (reads.byId.get(id) ?? 0) + 1);
    const response = await fetch(input, init);
    if (response.status === 429) reads.throttled++;
    return response;
  };
  const paced = cloudApi(
    new HuaweiCloudClient({ credentials, ...endpoints, fetch: counting, maxRequestsPerSecond: opts.rateLimitPerSecond }),
  );
  let clock = new Date(T0);
  const deps: ReconcileDeps = {
    table,
    topic: { sns: clients.sns, topicArn: resources.topicArn },
    dispatch: { sqs: clients.sqs, queueUrl: resources.queues.dispatch.url },
    cloud: paced,
    now: () => clock,
    settings: { leaseSeconds: 90, waitRecheckSeconds: 15, pollScale: 1, maxReceives: 5 },
  };
  const writeAll = async (items: Record<string, unknown>[]) => {
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
    await runLimited(batches, 8, async (batch) => {
      let pending = batch.map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const result = await clients.ddb.send(new BatchWriteCommand({ RequestItems: { [resources.tableName]: pending } }));
        pending = (result.UnprocessedItems?.[resources.tableName] ?? []) as typeof pending;
      }
    });
  };

  try {
    const runId = randomBytes(3).toString('hex');
    const requestId = `req_drift${runId}`;
    const t0 = new Date(T0).toISOString();

    log(`drift: creating ${opts.resources} notebooks in the simulator`);
    let setupStarted = performance.now();
    const creator = cloudApi(new HuaweiCloudClient({ credentials, ...endpoints }));
    const names = Array.from({ length: opts.resources }, (_, i) => `nb-${runId}-${i}`);
    const ids = await runLimited(names, 16, async (name) => {
      const resource = { projectId: PROJECT, region: REGION, name, spec: notebookSpec(name) };
      return (await creator.create('Notebook', resource, adapterOf('Notebook').target(resource))).id;
    });
    const createSeconds = (performance.now() - setupStarted) / 1000;

    log(`drift: writing ${opts.resources} managed items (ready, in the drift partition) and ${opts.unrelated} finished resources`);
    setupStarted = performance.now();
    const slots = new Map<string, string>();
    const managedItems = names.map((name, i) => {
      const spec = notebookSpec(name);
      const key = managedKey(PROJECT, 'Notebook', name);
      const dueAt = nextDriftAt({ projectId: PROJECT, kind: 'Notebook', name }, new Date(T0), opts.intervalMinutes);
      slots.set(key.pk, dueAt);
      return {
        ...key,
        projectId: PROJECT,
        kind: 'Notebook',
        name,
        region: REGION,
        owner: 'api:bench',
        source: { provider: 'api', ref: 'api:bench', caller: 'bench', file: 'bench.yaml' },
        desired: adapterOf('Notebook').desired(spec),
        specHash: specHash('Notebook', spec, REGION),
        generation: 1,
        requestId,
        requestIds: [requestId],
        state: 'Succeeded',
        operation: 'create',
        huaweiId: ids[i],
        observation: { at: t0, phase: 'Succeeded' },
        conditions: terminalConditions(t0, { state: 'Succeeded' }),
        createdAt: t0,
        updatedAt: t0,
        duePk: DRIFT_PARTITION,
        dueAt,
      };
    });
    const unrelatedItems = Array.from({ length: opts.unrelated }, (_, i) => {
      const name = `done-${runId}-${i}`;
      return {
        ...resourceKey(requestId, 'Notebook', name),
        type: 'resource',
        requestId,
        kind: 'Notebook',
        name,
        projectId: PROJECT,
        region: REGION,
        file: 'bench.yaml',
        manifest: { apiVersion: 'hwc-provisioner/v1', kind: 'Notebook', metadata: { name }, spec: notebookSpec(name) },
        state: 'Succeeded',
        huaweiId: randomBytes(16).toString('hex'),
        createdAt: t0,
        finishedAt: t0,
        updatedAt: t0,
        message: 'ready (RUNNING)',
      };
    });
    await writeAll([
      {
        ...requestKey(requestId),
        type: 'request',
        requestId,
        source: { provider: 'api', ref: 'api:bench', caller: 'bench' },
        phase: 'Succeeded',
        resourceCount: opts.unrelated,
        createdAt: t0,
        updatedAt: t0,
      },
      ...managedItems,
      ...unrelatedItems,
    ]);
    const writeSeconds = (performance.now() - setupStarted) / 1000;

    // The schedule as written: how many slots fall in each simulated minute (T0 + k - 1, T0 + k].
    const dueByMinute = new Map<number, number>();
    for (const at of slots.values()) {
      const k = Math.ceil((Date.parse(at) - T0) / MINUTE);
      dueByMinute.set(k, (dueByMinute.get(k) ?? 0) + 1);
    }
    const outside = [...dueByMinute.keys()].filter((k) => k < 1 || k > opts.intervalMinutes);
    if (outside.length > 0) throw new Error(`drift bench: slots outside the first interval, minutes ${outside.join(', ')}`);

    // The notebooks are RUNNING by now ('fast' durations); then the limit, with a full bucket, for the ticks alone.
    const configured = await fetch(`${simulator.url}/__sim/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rateLimitPerSecond: opts.rateLimitPerSecond }),
    });
    if (!configured.ok) throw new Error(`simulator refused its rate limit: ${configured.status} ${await configured.text()}`);

    // At T0 nothing is due (every slot is after it): the tick reads nothing and only warms connections.
    const warm = await driftTick(deps, { budgetMs: opts.budgetMs, concurrency: opts.concurrency, intervalMinutes: opts.intervalMinutes });
    if (warm.itemsRead !== 0) throw new Error(`drift bench: a tick at T0 read ${warm.itemsRead} items; nothing is due yet`);

    log(`drift: ${opts.intervalMinutes} ticks, one per simulated minute, Huawei paced at ${opts.rateLimitPerSecond}/s`);
    const ticks: TickSample[] = [];
    let dueSoFar = 0;
    let lookedSoFar = 0;
    const cadenceStarted = performance.now();
    for (let k = 1; k <= opts.intervalMinutes; k++) {
      minute = k;
      clock = new Date(T0 + k * MINUTE);
      dynamo = { calls: {}, scanned: 0 };
      const throttledBefore = reads.throttled;
      const started = performance.now();
      const stats: DriftStats = await driftTick(deps, {
        budgetMs: opts.budgetMs,
        concurrency: opts.concurrency,
        intervalMinutes: opts.intervalMinutes,
      });
      const wallMs = performance.now() - started;
      const due = dueByMinute.get(k) ?? 0;
      dueSoFar += due;
      lookedSoFar += stats.looked;
      ticks.push({
        minute: k,
        due,
        backlog: dueSoFar - lookedSoFar,
        itemsRead: stats.itemsRead,
        looked: stats.looked,
        unreadable: stats.unreadable,
        events: stats.events,
        deferred: stats.deferred,
        huaweiReads: reads.byMinute.get(k) ?? 0,
        throttled: reads.throttled - throttledBefore,
        queryItemsScanned: dynamo.scanned,
        dynamoCalls: { ...dynamo.calls },
        wallMs: round(wallMs, 0),
      });
      const t = ticks.at(-1)!;
      log(
        `drift minute ${k}: due ${due}, read ${t.itemsRead}, looked ${t.looked}, Huawei ${t.huaweiReads}, ` +
          `429 ${t.throttled}, ${t.wallMs} ms${t.deferred ? ', deferred' : ''}`,
      );
    }
    const cadenceSeconds = (performance.now() - cadenceStarted) / 1000;
    const simulatorCounts = (await (await fetch(`${simulator.url}/__sim/faults`)).json()) as { counts: { rateLimited: number } };

    // Every resource once: each item's next slot is its first plus exactly one interval, and none is due any more.
    let advancedByOneInterval = 0;
    let stillDue = 0;
    let seen = 0;
    const end = new Date(T0 + opts.intervalMinutes * MINUTE).toISOString();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await clients.ddb.send(
        new QueryCommand({
          TableName: resources.tableName,
          IndexName: DUE_INDEX.name,
          KeyConditionExpression: '#pk = :drift',
          ExpressionAttributeNames: { '#pk': DUE_INDEX.pk },
          ExpressionAttributeValues: { ':drift': DRIFT_PARTITION },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        seen++;
        const first = slots.get(String(item.pk));
        if (first && Date.parse(String(item.dueAt)) - Date.parse(first) === opts.intervalMinutes * MINUTE) advancedByOneInterval++;
        if (String(item.dueAt) <= end) stillDue++;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const readCounts = names.map((_, i) => reads.byId.get(ids[i]!) ?? 0);

    const perTick = (f: (t: TickSample) => number) => ticks.map(f);
    const itemsRead = perTick((t) => t.itemsRead);
    const huaweiReads = perTick((t) => t.huaweiReads);
    const wall = perTick((t) => t.wallMs);
    const due = perTick((t) => t.due);
    const evenShare = opts.resources / opts.intervalMinutes;
    const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
    const looks = {
      total: sum(perTick((t) => t.looked)),
      resourcesReadOnce: readCounts.filter((n) => n === 1).length,
      resourcesReadMoreThanOnce: readCounts.filter((n) => n > 1).length,
      resourcesNeverRead: readCounts.filter((n) => n === 0).length,
      dueAtAdvancedByOneInterval: advancedByOneInterval,
      driftItemsAfter: seen,
      stillDueAfterCadence: stillDue,
      unreadable: sum(perTick((t) => t.unreadable)),
      events: sum(perTick((t) => t.events)),
    };
    const itemsPerTick = {
      expectedEvenShare: round(evenShare, 1),
      dueMax: Math.max(...due),
      dueMin: Math.min(...due),
      max: Math.max(...itemsRead),
      mean: round(sum(itemsRead) / ticks.length, 1),
      /** Items a tick read beyond the resources due in its minute and those left over from the one before. */
      readBeyondDue: sum(ticks.map((t, i) => t.itemsRead - t.due - (i > 0 ? ticks[i - 1]!.backlog : 0))),
      maxQueryItemsScanned: Math.max(...perTick((t) => t.queryItemsScanned)),
      maxOverDue: round(Math.max(...ticks.map((t) => t.itemsRead / Math.max(1, t.due))), 3),
    };
    const huawei = {
      total: sum(huaweiReads),
      maxPerMinute: Math.max(...huaweiReads),
      minPerMinute: Math.min(...huaweiReads),
      evenSharePerMinute: round(evenShare, 1),
      maxOverEvenShare: round(Math.max(...huaweiReads) / evenShare, 3),
      busiestSecond: busiestSecond(reads.times),
      throttledClient429: reads.throttled,
      throttledSimulatorCount: simulatorCounts.counts.rateLimited,
    };
    const tickTime = {
      budgetMs: opts.budgetMs,
      p50Ms: percentile(wall, 50),
      p99Ms: percentile(wall, 99),
      maxMs: Math.max(...wall),
      deferredTicks: ticks.filter((t) => t.deferred).length,
      maxBacklog: Math.max(...perTick((t) => t.backlog)),
    };
    return {
      setup: {
        resources: opts.resources,
        unrelatedItems: opts.unrelated,
        tableItems: 1 + opts.resources + opts.unrelated,
        intervalMinutes: opts.intervalMinutes,
        rateLimitPerSecond: opts.rateLimitPerSecond,
        start: t0,
        tick:
          `driftTick once per simulated minute T0 + k, k = 1..${opts.intervalMinutes} (deps.now fake, ticks back to back), ` +
          `budget ${opts.budgetMs / 1000} s (what a 45 s poll tick leaves after in-flight work's two thirds), ` +
          `concurrency ${opts.concurrency}; each look a signed GET of the notebook and one UpdateItem`,
        huawei:
          `simulator limited to ${opts.rateLimitPerSecond} requests/s (token bucket) once the notebooks exist; the ticks' client ` +
          `paced at HUAWEICLOUD_MAX_REQUESTS_PER_SECOND = ${opts.rateLimitPerSecond}`,
        createSeconds: round(createSeconds, 1),
        writeSeconds: round(writeSeconds, 1),
        cadenceSeconds: round(cadenceSeconds, 1),
      },
      looks,
      itemsPerTick,
      huawei,
      tickTime,
      ticks,
      targets: {
        everyResourceLookedAtOnce:
          looks.total === opts.resources &&
          looks.resourcesReadOnce === opts.resources &&
          looks.dueAtAdvancedByOneInterval === opts.resources &&
          looks.stillDueAfterCadence === 0,
        itemsReadAreTheDueOnes: itemsPerTick.readBeyondDue === 0 && itemsPerTick.maxQueryItemsScanned <= itemsPerTick.max,
        readsSpreadEvenly: huawei.maxOverEvenShare <= 1.25,
        noThrottling: huawei.throttledClient429 === 0 && huawei.throttledSimulatorCount === 0,
        tickWithinBudget: tickTime.maxMs <= opts.budgetMs && tickTime.deferredTicks === 0,
      },
    };
  } finally {
    clients.destroy();
    await simulator.close();
  }
}

/**
 * Benchmark 3: poller cost. One tick over N resources in flight, then the same N plus M finished resources in
 * the table: DynamoDB items read (the tick's itemsRead, and the Query's Count / ScannedCount / consumed
 * capacity), calls by type and wall time. The sparse due index should make the second tick cost the first.
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { SIMULATOR_DEFAULTS, startSimulator } from '../local/huaweicloud-simulator/index';
import { adapterOf } from '../shared/kinds/registry';
import { cloudApi } from '../shared/reconcile/cloud';
import type { ReconcileDeps } from '../shared/reconcile/dispatch';
import { HuaweiCloudClient } from '../shared/huaweicloud/client';
import { runLimited } from '../shared/concurrency';
import { pollTick, type TickStats } from '../shared/reconcile/poll';
import { DUE_PARTITION } from '../shared/store/due';
import { requestKey, resourceKey } from '../shared/store/requests';
import type { BenchStack } from './lib/stack';
import { log, median, ratio, round } from './lib/util';

interface Counters {
  calls: Record<string, number>;
  queryCount: number;
  queryScanned: number;
  queryConsumed: number;
}

export interface TickSample {
  itemsRead: number;
  polled: number;
  wallMs: number;
  queryItemsReturned: number;
  queryItemsScanned: number;
  queryConsumedCapacity: number;
  calls: Record<string, number>;
}

const newCounters = (): Counters => ({ calls: {}, queryCount: 0, queryScanned: 0, queryConsumed: 0 });

export async function benchPoller(stack: BenchStack, opts: { inFlight: number; finished: number; reps: number; concurrency: number }) {
  const resources = await stack.provision('po');
  const clients = stack.clients();
  const table = { ddb: clients.ddb, tableName: resources.tableName };
  let counters = newCounters();
  // Counts every DynamoDB call, and asks each Query for its consumed capacity (measurement only).
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (context.commandName === 'QueryCommand') input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const name = String(context.commandName);
      counters.calls[name] = (counters.calls[name] ?? 0) + 1;
      if (context.commandName === 'QueryCommand') {
        const output = result.output as { Count?: number; ScannedCount?: number; ConsumedCapacity?: { CapacityUnits?: number } };
        counters.queryCount += output.Count ?? 0;
        counters.queryScanned += output.ScannedCount ?? 0;
        counters.queryConsumed += output.ConsumedCapacity?.CapacityUnits ?? 0;
      }
      return result;
    },
    { step: 'initialize', name: 'benchCounter' },
  );
  // Notebooks that stay creating for the whole benchmark: every poll is a real signed show that answers "in progress".
  const simulator = await startSimulator({ port: 0, durations: { Notebook: 6 * 3_600_000 } });
  const cloud = cloudApi(
    new HuaweiCloudClient({
      credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
      modelartsEndpoint: simulator.url,
      iefEndpoint: simulator.url,
    }),
  );
  const projectId = SIMULATOR_DEFAULTS.projectId;
  let offsetMs = 0;
  const deps: ReconcileDeps = {
    table,
    topic: { sns: clients.sns, topicArn: resources.topicArn },
    dispatch: { sqs: clients.sqs, queueUrl: resources.queues.dispatch.url },
    cloud,
    now: () => new Date(Date.now() + offsetMs),
    settings: { leaseSeconds: 90, waitRecheckSeconds: 15, pollScale: 1, maxReceives: 5 },
  };
  try {
    const runId = randomBytes(3).toString('hex');
    const requestId = `req_bench${runId}`;
    const now = new Date();
    const iso = now.toISOString();
    const manifest = (name: string) => ({
      apiVersion: 'hwc-provisioner/v1',
      kind: 'Notebook',
      metadata: { name },
      spec: {
        body: {
          name: name.replaceAll('-', '_'),
          feature: 'NOTEBOOK',
          workspace_id: '0',
          flavor: 'modelarts.vm.cpu.2u',
          image_id: 'e1a07296-22a8-4f05-8bc8-e936c8e54090',
          volume: { category: 'evs', ownership: 'managed', capacity: 50 },
        },
      },
    });

    log(`poller: creating ${opts.inFlight} notebooks in the simulator and their records`);
    const names = Array.from({ length: opts.inFlight }, (_, i) => `nb-${runId}-${i}`);
    const ids = await runLimited(names, 16, async (name) => {
      const resource = { projectId, region: 'cn-north-4', name, spec: manifest(name).spec };
      return (await cloud.create('Notebook', resource, adapterOf('Notebook').target(resource))).id;
    });
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
    const base = (name: string) => ({
      requestId,
      kind: 'Notebook',
      name,
      projectId,
      region: 'cn-north-4',
      file: 'bench.yaml',
      manifest: manifest(name),
      createdAt: iso,
    });
    await writeAll([
      {
        ...requestKey(requestId),
        type: 'request',
        requestId,
        source: { provider: 'api', ref: 'api:bench', caller: 'bench' },
        phase: 'Accepted',
        resourceCount: opts.inFlight + opts.finished,
        createdAt: iso,
        updatedAt: iso,
      },
      ...names.map((name, i) => ({
        ...resourceKey(requestId, 'Notebook', name),
        type: 'resource',
        ...base(name),
        state: 'Creating',
        huaweiId: ids[i],
        attempt: 1,
        polls: 0,
        createStartedAt: iso,
        deadlineAt: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
        duePk: DUE_PARTITION,
        dueAt: iso,
        updatedAt: iso,
      })),
    ]);

    const measure = async (label: string): Promise<TickSample> => {
      const samples: TickSample[] = [];
      for (let rep = 0; rep < opts.reps; rep++) {
        // An hour on: every in-flight resource is due again (its next poll was at most minutes away).
        offsetMs += 3_600_000;
        counters = newCounters();
        const started = performance.now();
        const stats: TickStats = await pollTick(deps, { budgetMs: 45_000, concurrency: opts.concurrency, requeueGraceSeconds: 120 });
        const wallMs = performance.now() - started;
        if (stats.deferred || stats.polled !== opts.inFlight) throw new Error(`tick did not poll everything: ${JSON.stringify(stats)}`);
        samples.push({
          itemsRead: stats.itemsRead,
          polled: stats.polled,
          wallMs: round(wallMs, 0),
          queryItemsReturned: counters.queryCount,
          queryItemsScanned: counters.queryScanned,
          queryConsumedCapacity: round(counters.queryConsumed, 1),
          calls: { ...counters.calls },
        });
        log(`poller ${label} rep ${rep + 1}: itemsRead ${stats.itemsRead}, ${round(wallMs, 0)} ms`);
      }
      const mid = samples.sort((a, b) => a.wallMs - b.wallMs)[Math.floor(samples.length / 2)]!;
      return { ...mid, wallMs: round(median(samples.map((s) => s.wallMs)), 0) };
    };

    // One unmeasured tick first: connections, JIT and DynamoDB Local's caches warm, for both measurements alike.
    offsetMs += 3_600_000;
    await pollTick(deps, { budgetMs: 45_000, concurrency: opts.concurrency, requeueGraceSeconds: 120 });
    const inFlightOnly = await measure(`${opts.inFlight} in flight`);

    log(`poller: writing ${opts.finished} finished resources with BatchWriteItem`);
    const writeStarted = performance.now();
    const finishedNames = Array.from({ length: opts.finished }, (_, i) => `done-${runId}-${i}`);
    await writeAll(
      finishedNames.map((name) => ({
        ...resourceKey(requestId, 'Notebook', name),
        type: 'resource',
        ...base(name),
        state: 'Succeeded',
        huaweiId: randomBytes(16).toString('hex'),
        finishedAt: iso,
        updatedAt: iso,
        message: 'ready (RUNNING)',
      })),
    );
    const writeSeconds = (performance.now() - writeStarted) / 1000;

    const withHistory = await measure(`${opts.inFlight} in flight + ${opts.finished} finished`);
    return {
      setup: {
        inFlight: opts.inFlight,
        finished: opts.finished,
        repetitions: opts.reps,
        tick:
          `pollTick with the product defaults (concurrency ${opts.concurrency}, budget 45 s); every in-flight ` +
          'item due; each poll a signed show against the simulator (still creating) and one UpdateItem',
        finishedWrite:
          `${opts.finished} items by BatchWriteItem (25 per call, 8 in parallel) in ` +
          `${round(writeSeconds, 1)} s (${round(opts.finished / writeSeconds, 0)} items/s)`,
      },
      inFlightOnly,
      withHistory,
      ratio: {
        itemsRead: ratio(withHistory.itemsRead, inFlightOnly.itemsRead),
        queryItemsScanned: ratio(withHistory.queryItemsScanned, inFlightOnly.queryItemsScanned),
        wallTime: ratio(withHistory.wallMs, inFlightOnly.wallMs),
      },
    };
  } finally {
    clients.destroy();
    await simulator.close();
  }
}

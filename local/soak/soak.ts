/**
 * The fault-injection soak: the whole local stack under injected Huawei faults, a dispatcher-and-poller process
 * that is SIGKILLed at its dangerous points and started again, one DynamoDB Local restart and one fauxqs
 * restart (which loses every message), while requests of all four kinds keep arriving: creates first, then day
 * 2 (updates in place, replacements, deletes and orphans of what was created), each sent once the request it
 * follows has completed. It then checks what must hold whatever happened: no resource created twice, every
 * resource terminal, exactly one terminal event per resource of each request (after de-duplication by id), one
 * request.completed per request; no update lost or applied twice, no delete undone, nothing left behind by a
 * replacement (the simulator's per-resource operations log).
 *
 * `npm run soak` (scripts/soak.ts) runs the full size and writes reports/reliability.json;
 * test/soak/soak.test.ts runs a short one inside `npm test`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
  CreateQueueCommand,
  GetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { CloudEvent } from '../../shared/events/cloudevents';
import { randomRequestId } from '../../shared/intake/ids';
import { removalOfCall, RemovalRefusedError, type Removal } from '../../shared/intake/removal';
import { submit, type IntakeDeps } from '../../shared/intake/submit';
import { getManaged } from '../../shared/store/managed';
import { requestKey } from '../../shared/store/requests';
import { TERMINAL_STATES, type ResourceState } from '../../shared/store/types';
import {
  findFreePort,
  localAwsConfig,
  localSetupAwsConfig,
  startDynamoDbLocal,
  startSqsEmulator,
  type DynamoDbLocal,
  type SqsEmulator,
} from '../emulators';
import { SIMULATOR_DEFAULTS, startSimulator, type FaultCounts, type RunningSimulator } from '../huaweicloud-simulator/index';
import { provisionResources, subscribeQueue, type LocalResources } from '../resources';
import { planWorkload, type PlannedRequest, type PlannedResource } from './workload';
import { day2Checks, type Day2Report, type SimLedgerEntry } from './day2';

export interface SoakOptions {
  /** Resources requested in all (the four kinds mixed, chains included). */
  resources: number;
  seed: number;
  /** Submissions are spread evenly over this window. */
  submitOverMs: number;
  /** Per crash point and pass, the chance the dispatcher process SIGKILLs itself. */
  crashProbability: number;
  /** The same after an update step or a delete call was answered (dispatcher or poller), before it is recorded. */
  day2CrashProbability: number;
  /** The share of the resources created in the first 80% of the plan that get day-2 requests (an update, a
   *  replacement, a delete or an orphan; now and then a delete after a change). */
  day2Share: number;
  faults: { rate429: number; rate500: number; rateSlow: number; rateDrop: number; slowMs: number };
  /** Huawei client timeouts (ms) of the dispatcher and the poller; slowMs must exceed connect + read. */
  huawei: { connectTimeoutMs: number; readTimeoutMs: number; retryBudgetMs: number };
  /** The product's tuning knobs (shared/config.ts ExecutionEnvSchema), small for the soak. */
  execution: { leaseSeconds: number; waitRecheckSeconds: number; queuedGraceSeconds: number; pollScale: number; maxReceives: number };
  pollEveryMs: number;
  /** Share of the submissions after which DynamoDB Local, then fauxqs, is restarted. */
  restartDynamoDbAt: number;
  restartSqsAt: number;
  /** How long after the last submission everything may take to settle before what is left counts as stuck. */
  settleTimeoutMs: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export const FULL_SOAK: SoakOptions = {
  resources: 500,
  seed: 20_251_123,
  submitOverMs: 6 * 60_000,
  crashProbability: 0.02,
  day2CrashProbability: 0.08,
  day2Share: 0.5,
  faults: { rate429: 0.1, rate500: 0.1, rateSlow: 0.05, rateDrop: 0.05, slowMs: 4_000 },
  huawei: { connectTimeoutMs: 500, readTimeoutMs: 1_500, retryBudgetMs: 3_000 },
  execution: { leaseSeconds: 20, waitRecheckSeconds: 2, queuedGraceSeconds: 15, pollScale: 0.05, maxReceives: 5 },
  pollEveryMs: 1_000,
  restartDynamoDbAt: 0.35,
  restartSqsAt: 0.65,
  settleTimeoutMs: 5 * 60_000,
};

export interface SoakReport {
  startedAt: string;
  durationSeconds: number;
  options: Omit<SoakOptions, 'log'>;
  pass: boolean;
  failures: string[];
  requests: {
    planned: number;
    /** Of which day 2 (update, recreate, delete, orphan). */
    day2: number;
    accepted: number;
    resubmitted: number;
    submitRetries: number;
    completedEvents: number;
    lost: number;
  };
  resources: {
    requested: number;
    byKind: Record<string, number>;
    expectedCreates: number;
    createdInSimulator: number;
    duplicates: number;
    duplicateNames: string[];
    outcomes: Record<string, number>;
    unexpectedOutcomes: { resource: string; expected: string; actual: string; reason?: string; message?: string }[];
    stuck: number;
    stuckResources: { resource: string; state: string; message?: string }[];
  };
  /** Updates, replacements, deletes and orphans, checked against the simulator's per-resource operations log. */
  day2: Day2Report;
  events: {
    /** Terminal events: resource.succeeded/updated/deleted/orphaned/failed/timed_out and request.completed. */
    received: number;
    otherTypesReceived: number;
    unique: number;
    duplicatesDropped: number;
    resourceEvents: number;
    resourcesWithExactlyOne: number;
    resourcesWithNone: string[];
    resourcesWithMoreThanOne: string[];
    eventStateMismatches: string[];
    requestCompletedPerRequestExactlyOne: boolean;
  };
  dlq: {
    messages: number;
    /** Messages that used up their receives for a resource the poller follows: acknowledged, not dead-lettered. */
    leftToPoller: number;
    byReason: Record<string, number>;
    items: {
      resource: string;
      receiveCount: string;
      finalState: string;
      lastRetryReason?: string;
      standingAtLastReceive?: Record<string, unknown>;
    }[];
  };
  /** Up to ten problem resources with their record, Huawei resources and dispatcher trace. */
  diagnostics: { problem: string; resource: string; record: unknown; simulator: unknown[]; dispatcher: string[] }[];
  faults: { injected: FaultCounts; apiCalls: number };
  disruptions: {
    processKills: number;
    killsByPoint: Record<string, number>;
    dispatcherStarts: number;
    dispatcherErrors: Record<string, number>;
    dynamodbRestarts: number;
    dynamodbRestartMs: number;
    sqsRestarts: number;
    sqsRestartMs: number;
    dispatchMessagesLostInSqsRestart: number;
    pollTicks: number;
    pollTickErrors: number;
  };
  load: {
    submitWindowSeconds: number;
    settleSeconds: number;
    resourcesPerMinuteSubmitted: number;
    resourcesPerMinuteFinished: number;
    /** Accepted → terminal per resource, from the events' timings (seconds). */
    resourceSeconds: { p50: number; p95: number; max: number };
  };
}

const WORKER = fileURLToPath(new URL('./dispatcher-worker.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PREFIX = 'soak';
const EVENTS_QUEUE = `${PREFIX}-observer`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Tracked {
  plan: PlannedRequest;
  requestId: string;
  accepted: boolean;
  /** When the first submission was accepted (ms). */
  acceptedAt?: number;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const workDir = mkdtempSync(join(tmpdir(), 'hwcp-soak-'));
  const stops: (() => Promise<unknown>)[] = [];
  const failures: string[] = [];
  const plan = planWorkload(options.resources, options.seed, options.day2Share);
  const creates = plan.filter((p) => p.after === undefined);
  log(
    `soak: ${plan.length} requests (${plan.length - creates.length} day 2), ${options.resources} resources created, ` +
      `seed ${options.seed}, state in ${workDir}`,
  );

  let sqsEmulator: SqsEmulator | undefined;
  let dynamodb: DynamoDbLocal | undefined;
  let simulator: RunningSimulator | undefined;
  try {
    // Fixed ports, so a restarted emulator is found where the clients (and the queue URLs) point.
    sqsEmulator = await startSqsEmulator({ port: await findFreePort() });
    stops.push(() => sqsEmulator!.stop());
    dynamodb = await startDynamoDbLocal({ dbPath: join(workDir, 'dynamodb'), port: await findFreePort() });
    stops.push(() => dynamodb!.stop());
    const sqsEndpoint = sqsEmulator.endpoint;
    const provision = async (): Promise<{ resources: LocalResources; eventsQueueUrl: string }> => {
      const resources = await provisionResources({
        prefix: PREFIX,
        sqsEndpoint,
        dynamodbEndpoint: dynamodb!.endpoint,
        asSetupCaller: true,
      });
      const setupSqs = new SQSClient(localSetupAwsConfig(sqsEndpoint));
      const setupSns = new SNSClient(localSetupAwsConfig(sqsEndpoint));
      try {
        // The soak's own subscriber: a queue on the topic, as a user's system would have.
        const { QueueUrl } = await setupSqs.send(new CreateQueueCommand({ QueueName: EVENTS_QUEUE }));
        const { Attributes } = await setupSqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
        await subscribeQueue(setupSns, resources.topicArn, Attributes!.QueueArn!);
        return { resources, eventsQueueUrl: QueueUrl! };
      } finally {
        setupSqs.destroy();
        setupSns.destroy();
      }
    };
    const { resources, eventsQueueUrl } = await provision();

    let apiCalls = 0;
    simulator = await startSimulator({ port: 0, projectId: SIMULATOR_DEFAULTS.projectId, seed: options.seed, logger: () => apiCalls++ });
    stops.push(() => simulator!.close());
    await fetchJson(`${simulator.url}/__sim/faults`, { method: 'POST', body: JSON.stringify({ ...options.faults, seed: options.seed }) });

    const env: Record<string, string> = {
      ...filteredProcessEnv(),
      ...resources.env,
      HUAWEICLOUD_SDK_AK: SIMULATOR_DEFAULTS.ak,
      HUAWEICLOUD_SDK_SK: SIMULATOR_DEFAULTS.sk,
      HUAWEICLOUD_SDK_PROJECT_ID: SIMULATOR_DEFAULTS.projectId,
      HUAWEICLOUD_MODELARTS_ENDPOINT: simulator.url,
      HUAWEICLOUD_IEF_ENDPOINT: simulator.url,
      HUAWEICLOUD_CONNECT_TIMEOUT_MS: String(options.huawei.connectTimeoutMs),
      HUAWEICLOUD_READ_TIMEOUT_MS: String(options.huawei.readTimeoutMs),
      DISPATCH_LEASE_SECONDS: String(options.execution.leaseSeconds),
      WAIT_RECHECK_SECONDS: String(options.execution.waitRecheckSeconds),
      QUEUED_GRACE_SECONDS: String(options.execution.queuedGraceSeconds),
      POLL_BACKOFF_SCALE: String(options.execution.pollScale),
      DISPATCH_MAX_RECEIVES: String(options.execution.maxReceives),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SOAK_CRASH_PROBABILITY: String(options.crashProbability),
      SOAK_DAY2_CRASH_PROBABILITY: String(options.day2CrashProbability),
      SOAK_POLL_EVERY_MS: String(options.pollEveryMs),
      SOAK_DISPATCH_QUEUE_ARN: resources.queues.dispatch.arn,
      SOAK_HUAWEI_RETRY_BUDGET_MS: String(options.huawei.retryBudgetMs),
      SOAK_RETRY_BASE_SECONDS: '1',
      SOAK_VISIBILITY_TIMEOUT_S: '20',
      SOAK_CONCURRENCY: '2',
    };

    // Clients of the driver: intake as the product builds it, observers with the setup key.
    const aws = localAwsConfig(sqsEndpoint);
    const sqs = new SQSClient(aws);
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(localAwsConfig(dynamodb.endpoint)), {
      marshallOptions: { removeUndefinedValues: true },
    });
    const observer = new SQSClient(localSetupAwsConfig(sqsEndpoint));
    stops.push(async () => {
      sqs.destroy();
      ddb.destroy();
      observer.destroy();
    });
    const table = { ddb, tableName: resources.tableName };
    const intake: IntakeDeps = {
      table,
      dispatch: { sqs, queueUrl: resources.queues.dispatch.url },
      defaults: { projectId: SIMULATOR_DEFAULTS.projectId, region: 'cn-north-4' },
      queuedGraceSeconds: options.execution.queuedGraceSeconds,
    };

    // ---- the dispatcher process, started again whenever it dies ----
    const worker = new WorkerSupervisor(env, options.seed, log);
    stops.push(() => worker.stop());
    worker.start();

    // ---- the subscriber ----
    const events: CloudEvent[] = [];
    const dlqMessages: Message[] = [];
    let collecting = true;
    const receiveAll = async (url: string, into: (messages: Message[]) => void, waitTimeSeconds = 0): Promise<number> => {
      const { Messages = [] } = await observer.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitTimeSeconds,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length > 0) {
        into(Messages);
        await observer.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
      return Messages.length;
    };
    let otherEvents = 0;
    // Terminal events only (resource.* and request.completed); intake's request.accepted/rejected are counted apart.
    const takeEvents = (messages: Message[]) => {
      for (const m of messages) {
        const event = JSON.parse(m.Body!) as CloudEvent;
        if (event.type.startsWith('hwc-provisioner.resource.') || event.type === 'hwc-provisioner.request.completed') events.push(event);
        else otherEvents++;
      }
    };
    const collector = (async () => {
      while (collecting) {
        try {
          await receiveAll(eventsQueueUrl, takeEvents, 1);
        } catch {
          await sleep(200);
        }
      }
    })();
    stops.push(async () => {
      collecting = false;
      await collector;
    });

    // ---- disruptions ----
    let dynamodbRestartMs = 0;
    let sqsRestartMs = 0;
    let dispatchMessagesLost = 0;
    const restartDynamoDb = async () => {
      const t = Date.now();
      log('disruption: restarting DynamoDB Local (file-backed, same port)');
      await dynamodb!.restart!();
      dynamodbRestartMs = Date.now() - t;
      log(`disruption: DynamoDB Local back after ${dynamodbRestartMs} ms`);
    };
    const restartSqs = async () => {
      const t = Date.now();
      log('disruption: restarting fauxqs (all queues, subscriptions and messages are lost)');
      await sqsEmulator!.restart({
        // Everyone else gets 503 now. What reached the soak's subscriber queue and the DLQs is read out
        // first: those queues stand for the user's and the operator's, which a real SQS would not lose.
        beforeStop: async () => {
          await sleep(300);
          while ((await receiveAll(eventsQueueUrl, takeEvents)) > 0);
          while ((await receiveAll(resources.queues.dispatch.dlqUrl, (m) => dlqMessages.push(...m))) > 0);
          const { Attributes } = await observer.send(
            new GetQueueAttributesCommand({
              QueueUrl: resources.queues.dispatch.url,
              AttributeNames: [
                'ApproximateNumberOfMessages',
                'ApproximateNumberOfMessagesNotVisible',
                'ApproximateNumberOfMessagesDelayed',
              ],
            }),
          );
          dispatchMessagesLost = Object.values(Attributes ?? {}).reduce((sum, v) => sum + Number(v), 0);
        },
        // The same names give the same URLs and ARNs; nobody else is served until the subscription is back.
        prepare: async () => {
          for (let attempt = 1; ; attempt++) {
            try {
              await provision();
              return;
            } catch (error) {
              if (attempt >= 30) throw error;
              await sleep(1_000);
            }
          }
        },
      });
      sqsRestartMs = Date.now() - t;
      log(`disruption: fauxqs back after ${sqsRestartMs} ms; ${dispatchMessagesLost} dispatch message(s) were lost with it`);
    };

    // ---- intake ----
    const tracked: Tracked[] = plan.map((p) => ({ plan: p, requestId: randomRequestId(), accepted: false }));
    const byIndex = new Map(tracked.map((t) => [t.plan.index, t]));
    let submitRetries = 0;
    let resubmitted = 0;
    /** A delete or orphan request's removals, as DELETE /resources builds them; built once, re-sent as they are. */
    const removalsOf = new Map<Tracked, Removal[]>();
    const buildRemovals = async (t: Tracked): Promise<Removal[]> => {
      const asked = t.plan.removals ?? [];
      const projectId = SIMULATOR_DEFAULTS.projectId;
      // One resource: the API's own check. A pool with its node pools and notebooks: the removals a push of
      // their removed file would make (the API refuses a pool that still holds them, one call at a time).
      if (asked.length === 1) return [await removalOfCall(table, { projectId, ...asked[0]! }, 'api:soak')];
      const out: Removal[] = [];
      for (const r of asked) {
        const managed = await getManaged(table, projectId, r.kind, r.name);
        if (!managed) throw new SoakInputError(`request ${t.plan.index}: no managed ${r.kind}/${r.name} to remove`);
        out.push({ projectId, region: managed.region, ...r, file: 'request', spec: managed.desired });
      }
      return out;
    };
    const send = async (t: Tracked) => {
      for (;;) {
        try {
          if (t.plan.removals && !removalsOf.has(t)) removalsOf.set(t, await buildRemovals(t));
          const outcome = await submit(intake, {
            requestId: t.requestId,
            source: { provider: 'api', ref: `api:soak-${t.plan.index}`, caller: 'soak' },
            files: t.plan.removals ? [] : [{ file: `soak-${t.plan.index}.yaml`, text: t.plan.yaml }],
            ...(t.plan.removals ? { removals: removalsOf.get(t)! } : {}),
          });
          if (outcome.status !== 'accepted')
            throw new SoakInputError(
              `request ${t.plan.index} (${t.plan.shape}) was not accepted: ${JSON.stringify(outcome).slice(0, 500)}`,
            );
          return outcome;
        } catch (error) {
          if (error instanceof SoakInputError) throw error;
          if (error instanceof RemovalRefusedError)
            throw new SoakInputError(`request ${t.plan.index} (${t.plan.shape}) refused: ${error.message}`);
          // DynamoDB or SQS restarting: the caller retries with the same request id, which submit() resumes.
          submitRetries++;
          await sleep(500);
        }
      }
    };
    const inFlight = new Set<Promise<void>>();
    const launch = (t: Tracked) => {
      const p = (async () => {
        try {
          await send(t);
        } catch (error) {
          // Refused: the soak asked for something the product does not accept; reported, the rest goes on.
          failures.push((error as Error).message);
          return;
        }
        t.accepted = true;
        t.acceptedAt = Date.now();
        if (t.plan.resubmit) {
          const again = await send(t);
          if (again.status === 'accepted' && again.duplicate) resubmitted++;
          else failures.push(`request ${t.plan.index}: a second submission with the same id was not recognised as a duplicate`);
        }
      })();
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };
    let disruption: Promise<void> = Promise.resolve();
    const createsTracked = tracked.filter((t) => t.plan.after === undefined);
    const restartDynamoDbIndex = Math.floor(createsTracked.length * options.restartDynamoDbAt);
    const restartSqsIndex = Math.floor(createsTracked.length * options.restartSqsAt);
    const submitStarted = Date.now();

    // Day 2: each request once the one it follows has completed, `delayShare` of the window later.
    const day2Pending = new Set(tracked.filter((t) => t.plan.after !== undefined));
    const day2Total = day2Pending.size;
    const completedAt = new Map<number, number>();
    let day2Deadline = Number.POSITIVE_INFINITY;
    let day2Error: unknown;
    const day2Loop = (async () => {
      while (day2Pending.size > 0 && Date.now() < day2Deadline) {
        const waitingOn = [...new Set([...day2Pending].map((t) => byIndex.get(t.plan.after!)!))].filter(
          (prereq) => prereq.accepted && !completedAt.has(prereq.plan.index),
        );
        for (const snap of await readTable(table, waitingOn)) if (snap.settled) completedAt.set(snap.tracked.plan.index, Date.now());
        for (const t of [...day2Pending]) {
          const done = completedAt.get(t.plan.after!);
          if (done === undefined || Date.now() < done + (t.plan.delayShare ?? 0) * options.submitOverMs) continue;
          day2Pending.delete(t);
          launch(t);
        }
        await sleep(1_000);
      }
    })().catch((error: unknown) => {
      day2Error = error;
    });

    for (const [i, t] of createsTracked.entries()) {
      const due = submitStarted + (options.submitOverMs * i) / createsTracked.length;
      if (due > Date.now()) await sleep(due - Date.now());
      // One at a time: the fauxqs restart re-provisions through DynamoDB too.
      if (i === restartDynamoDbIndex) disruption = disruption.then(restartDynamoDb);
      if (i === restartSqsIndex) disruption = disruption.then(restartSqs);
      // Rejections surface at the await below, not as an unhandled rejection meanwhile.
      disruption.catch(() => undefined);
      launch(t);
      if ((i + 1) % 25 === 0)
        log(
          `submitted ${i + 1}/${createsTracked.length} create requests, ${day2Total - day2Pending.size}/${day2Total} day-2 ones; ` +
            `${worker.kills} dispatcher kill(s) so far`,
        );
    }
    await disruption;
    // What the creates left of day 2 is sent as its requests complete, within the settle timeout.
    day2Deadline = Date.now() + options.settleTimeoutMs;
    await day2Loop;
    if (day2Error) throw day2Error;
    while (inFlight.size > 0) await Promise.all([...inFlight]);
    if (day2Pending.size > 0) failures.push(`${day2Pending.size} day-2 request(s) never sent: the request they follow never completed`);
    const submitEnded = Date.now();
    log(`all ${tracked.length - day2Pending.size} requests accepted; waiting for every resource to settle`);

    // ---- settle ----
    const settleDeadline = Date.now() + options.settleTimeoutMs;
    let snapshot = await readTable(table, tracked);
    let finishedAt = Date.now();
    for (;;) {
      snapshot = await readTable(table, tracked);
      const open = snapshot.filter((r) => !r.settled).length;
      if (open === 0) {
        finishedAt = Date.now();
        break;
      }
      if (Date.now() > settleDeadline) break;
      log(`settling: ${open} request(s) still open; ${worker.kills} kill(s), ${events.length} event(s) received`);
      await sleep(3_000);
    }
    if (snapshot.some((r) => !r.settled)) finishedAt = Date.now();
    // Events still on their way to the subscriber queue.
    const expectedUnique = plan.reduce((sum, p) => sum + p.resources.length + 1, 0);
    const eventsDeadline = Date.now() + 20_000;
    while (new Set(events.map((e) => e.id)).size < expectedUnique && Date.now() < eventsDeadline) await sleep(500);
    await sleep(1_500);
    // Compared with the events; `snapshot` (at the settle deadline) decides what was stuck.
    const finalSnapshot = await readTable(table, tracked);

    await worker.stop();
    collecting = false;
    await collector;
    while ((await receiveAll(eventsQueueUrl, takeEvents)) > 0);
    while ((await receiveAll(resources.queues.dispatch.dlqUrl, (m) => dlqMessages.push(...m))) > 0);

    const faults = (await fetchJson(`${simulator.url}/__sim/faults`)) as { counts: FaultCounts };
    const sim = (await fetchJson(`${simulator.url}/__sim/resources?include=deleted`)) as { resources: SimLedgerEntry[] };

    const report = evaluate({
      options,
      startedAt,
      durationSeconds: (Date.now() - started) / 1000,
      tracked,
      snapshot,
      finalSnapshot,
      events,
      otherEvents,
      dlqMessages,
      simResources: sim.resources,
      faults: faults.counts,
      apiCalls,
      worker,
      failures,
      submitRetries,
      resubmitted,
      dynamodbRestartMs,
      sqsRestartMs,
      dispatchMessagesLost,
      pollTicks: worker.pollTicks,
      pollTickErrors: worker.pollTickErrors,
      submitWindowMs: submitEnded - submitStarted,
      settleMs: finishedAt - submitEnded,
      finishMs: finishedAt - submitStarted,
    });
    return report;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  }
}

class SoakInputError extends Error {}

/** The product's variables are set explicitly; the rest of this process's environment (PATH, HOME) is passed on. */
function filteredProcessEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      value === undefined ||
      /^(AWS_|HUAWEICLOUD_|TABLE_NAME|.*_QUEUE_URL|EVENTS_TOPIC_ARN|DISPATCH_|POLL_|QUEUED_|WAIT_|SOAK_|VITEST|NODE_OPTIONS)/.test(key)
    )
      continue;
    out[key] = value;
  }
  return out;
}

async function fetchJson(url: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json' } });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Starts the dispatcher process and starts it again whenever it dies, counting the deaths. */
class WorkerSupervisor {
  kills = 0;
  starts = 0;
  pollTicks = 0;
  pollTickErrors = 0;
  readonly killsByPoint: Record<string, number> = {};
  readonly errors: Record<string, number> = {};
  /** The last deliberate-retry reason per resource key, to say why a message ended in a DLQ. */
  readonly lastRetry = new Map<string, string>();
  /** What the dispatcher found of a resource whose message used up its receives and was not left to the poller. */
  readonly standingAtLastReceive = new Map<string, Record<string, unknown>>();
  /** Messages acknowledged on their last receive because the poller follows their resource. */
  leftToPoller = 0;
  private child: ChildProcess | undefined;
  private stopping = false;
  private stderrTail = '';

  constructor(
    private readonly env: Record<string, string>,
    private readonly seed: number,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    const incarnation = this.starts++;
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: REPO_ROOT,
      env: { ...this.env, SOAK_CRASH_SEED: String(this.seed * 1_000 + incarnation) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        this.onLine(line);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4_000);
    });
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      if (signal === 'SIGKILL') this.kills++;
      else this.log(`dispatcher exited unexpectedly (code ${code}, signal ${signal}): ${this.stderrTail.slice(-1_000)}`);
      // A real restart: a fresh process, which picks up where the queue and the table say.
      setTimeout(() => {
        if (!this.stopping) this.start();
      }, 100);
    });
  }

  /** What the dispatcher did per resource key (`request/kind/name`) and per Huawei name (`kind/name`), for diagnostics. */
  readonly traces = new Map<string, string[]>();

  private trace(key: string, entry: string): void {
    const list = this.traces.get(key) ?? [];
    if (list.length < 200) list.push(`${new Date().toISOString().slice(11, 23)} ${entry}`);
    this.traces.set(key, list);
  }

  private onLine(line: string): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const { t, key, pid, ...rest } = parsed;
    if (typeof key === 'string' && key) this.trace(key, `[${String(pid)}] ${String(t)} ${JSON.stringify(rest)}`);
    if (t === 'cloud') this.trace(String(parsed.name), `[${String(pid)}] ${JSON.stringify(rest)}`);
    switch (parsed.t) {
      case 'crash':
        this.killsByPoint[String(parsed.point)] = (this.killsByPoint[String(parsed.point)] ?? 0) + 1;
        for (const k of (parsed.inFlight as string[] | undefined) ?? [])
          this.trace(k, `[${String(pid)}] killed (${String(parsed.point)}) while in flight`);
        break;
      case 'poll':
        this.pollTicks++;
        break;
      case 'poll-error':
        this.pollTickErrors++;
        this.errors[`poll ${String(parsed.name)}`] = (this.errors[`poll ${String(parsed.name)}`] ?? 0) + 1;
        break;
      case 'retry':
        this.lastRetry.set(String(parsed.key), String(parsed.reason));
        break;
      case 'not-followed':
        this.standingAtLastReceive.set(String(parsed.key), parsed.standing as Record<string, unknown>);
        break;
      case 'left':
        this.leftToPoller++;
        this.lastRetry.set(String(parsed.key), String(parsed.reason));
        break;
      case 'error': {
        const name = String(parsed.name);
        this.errors[name] = (this.errors[name] ?? 0) + 1;
        this.lastRetry.set(String(parsed.key), `${name}: ${String(parsed.message)}`);
        break;
      }
      case 'runner-error': {
        const name = `runner ${String(parsed.name)}`;
        this.errors[name] = (this.errors[name] ?? 0) + 1;
        break;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

interface StoredResource {
  kind: string;
  name: string;
  state: string;
  operation?: string;
  reason?: string;
  message?: string;
  huaweiId?: string;
  pendingEvents?: unknown[];
  dueAt?: string;
}

interface RequestSnapshot {
  tracked: Tracked;
  /** The request item without its outbox contents. */
  request?: Record<string, unknown>;
  completedAt?: string;
  requestPending: boolean;
  resources: StoredResource[];
  settled: boolean;
}

/** The request's whole partition, outbox attributes included (the store's readers strip them). */
async function readTable(table: { ddb: DynamoDBDocumentClient; tableName: string }, tracked: Tracked[]): Promise<RequestSnapshot[]> {
  const out: RequestSnapshot[] = [];
  for (const t of tracked) {
    let items: Record<string, unknown>[] = [];
    try {
      const page = await table.ddb.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': requestKey(t.requestId).pk },
          ConsistentRead: true,
        }),
      );
      items = page.Items ?? [];
    } catch {
      out.push({ tracked: t, requestPending: true, resources: [], settled: false });
      continue;
    }
    const request = items.find((i) => i.sk === 'REQ');
    const resources = items.filter((i) => String(i.sk).startsWith('RES#')) as unknown as StoredResource[];
    const requestPending = Array.isArray(request?.pendingEvents) && request.pendingEvents.length > 0;
    const settled =
      Boolean(request?.completedAt) &&
      !requestPending &&
      resources.length === t.plan.resources.length &&
      resources.every(
        (r) => TERMINAL_STATES.has(r.state as ResourceState) && !(Array.isArray(r.pendingEvents) && r.pendingEvents.length > 0),
      );
    const { pendingEvents: _pending, source: _source, ...requestRecord } = request ?? {};
    out.push({
      tracked: t,
      ...(request ? { request: { ...requestRecord, pendingEvents: requestPending } } : {}),
      ...(request?.completedAt ? { completedAt: String(request.completedAt) } : {}),
      requestPending,
      resources,
      settled,
    });
  }
  return out;
}

interface EvaluateInput {
  options: SoakOptions;
  startedAt: string;
  durationSeconds: number;
  tracked: Tracked[];
  snapshot: RequestSnapshot[];
  finalSnapshot: RequestSnapshot[];
  events: CloudEvent[];
  otherEvents: number;
  dlqMessages: Message[];
  simResources: SimLedgerEntry[];
  faults: FaultCounts;
  apiCalls: number;
  worker: WorkerSupervisor;
  failures: string[];
  submitRetries: number;
  resubmitted: number;
  dynamodbRestartMs: number;
  sqsRestartMs: number;
  dispatchMessagesLost: number;
  pollTicks: number;
  pollTickErrors: number;
  submitWindowMs: number;
  settleMs: number;
  finishMs: number;
}

function evaluate(input: EvaluateInput): SoakReport {
  const { options, tracked, snapshot, events } = input;
  const failures = [...input.failures];
  const { log: _log, ...reportedOptions } = options;
  const planned = tracked.flatMap((t) => t.plan.resources.map((r) => ({ t, r })));
  const key = (requestId: string, kind: string, name: string) => `${requestId}/${kind}/${name}`;

  // The table's terminal records, per request and resource.
  const stored = new Map<string, StoredResource>();
  for (const s of snapshot) for (const r of s.resources) stored.set(key(s.tracked.requestId, r.kind, r.name), r);
  const day2 = day2Checks({ tracked, stored, simResources: input.simResources });
  failures.push(...day2.failures);

  // Duplicates: more Huawei resources under one name than creates (a replacement is a second one, the first deleted:
  // see day2's left behind). Pools and node pools would be refused with 409 instead: see outcomes.
  const perName = new Map<string, number>();
  for (const r of input.simResources) perName.set(`${r.kind}/${r.name}`, (perName.get(`${r.kind}/${r.name}`) ?? 0) + 1);
  const allowed = (name: string) => day2.expectedPerName.get(name) ?? 1;
  const duplicateNames = [...perName].filter(([name, n]) => n > allowed(name)).map(([name, n]) => `${name} x${n}`);
  const duplicates = [...perName].reduce((sum, [name, n]) => sum + Math.max(0, n - allowed(name)), 0);
  const expectedNames = new Set(planned.filter(({ r }) => r.creates).map(({ r }) => `${r.kind}/${r.huaweiName}`));
  const unexpectedNames = [...perName.keys()].filter((n) => !expectedNames.has(n));
  if (duplicates > 0) failures.push(`${duplicates} duplicate Huawei resource(s): ${duplicateNames.slice(0, 10).join(', ')}`);
  if (unexpectedNames.length > 0) failures.push(`Huawei resources nobody asked for: ${unexpectedNames.slice(0, 10).join(', ')}`);

  // Outcomes and stuck resources, from the table.
  const outcomes: Record<string, number> = {};
  const unexpectedOutcomes: SoakReport['resources']['unexpectedOutcomes'] = [];
  const stuckResources: SoakReport['resources']['stuckResources'] = [];
  for (const { t, r } of planned) {
    const k = key(t.requestId, r.kind, r.name);
    const s = stored.get(k);
    const state = s?.state ?? 'Missing';
    outcomes[state] = (outcomes[state] ?? 0) + 1;
    if (!s || !TERMINAL_STATES.has(s.state as ResourceState)) {
      stuckResources.push({
        resource: `${r.kind}/${r.name} (request ${t.plan.index})`,
        state,
        ...(s?.message ? { message: s.message } : {}),
      });
      continue;
    }
    if (!matches(r, s)) {
      unexpectedOutcomes.push({
        resource: `${r.kind}/${r.name} (request ${t.plan.index}, ${t.plan.shape})`,
        expected: r.expected + (r.expectedReason ? ` (${r.expectedReason})` : ''),
        actual: s.state,
        ...(s.reason ? { reason: s.reason } : {}),
        ...(s.message ? { message: s.message.slice(0, 200) } : {}),
      });
    }
  }
  const unsettledRequests = snapshot.filter((s) => !s.settled);
  const lost = unsettledRequests.length;
  if (stuckResources.length > 0) failures.push(`${stuckResources.length} resource(s) never reached a terminal state`);
  if (lost > 0) failures.push(`${lost} request(s) did not complete (resources open, request.completed unwritten or events unpublished)`);

  // Events: exactly one per resource after de-duplication by id, and one request.completed per request.
  const unique = new Map<string, CloudEvent>();
  for (const e of events) unique.set(e.id, e);
  const perResource = new Map<string, CloudEvent[]>();
  const completedPerRequest = new Map<string, number>();
  for (const e of unique.values()) {
    const data = e.data as { requestId: string; kind?: string; name?: string; state?: string };
    if (e.type === 'hwc-provisioner.request.completed')
      completedPerRequest.set(data.requestId, (completedPerRequest.get(data.requestId) ?? 0) + 1);
    else if (e.type.startsWith('hwc-provisioner.resource.')) {
      const k = key(data.requestId, data.kind!, data.name!);
      perResource.set(k, [...(perResource.get(k) ?? []), e]);
    }
  }
  const finalStored = new Map<string, StoredResource>();
  for (const s of input.finalSnapshot) for (const r of s.resources) finalStored.set(key(s.tracked.requestId, r.kind, r.name), r);
  const resourcesWithNone: string[] = [];
  const resourcesWithMoreThanOne: string[] = [];
  const eventStateMismatches: string[] = [];
  let exactlyOne = 0;
  for (const { t, r } of planned) {
    const k = key(t.requestId, r.kind, r.name);
    const got = perResource.get(k) ?? [];
    if (got.length === 0) resourcesWithNone.push(`${r.kind}/${r.name}`);
    else if (got.length > 1)
      resourcesWithMoreThanOne.push(`${r.kind}/${r.name}: ${got.map((e) => (e.data as { state: string }).state).join(', ')}`);
    else {
      exactlyOne++;
      const state = (got[0]!.data as { state: string }).state;
      if (finalStored.get(k)?.state !== state)
        eventStateMismatches.push(`${r.kind}/${r.name}: event ${state}, table ${finalStored.get(k)?.state}`);
    }
  }
  const requestCompletedOk = tracked.every((t) => completedPerRequest.get(t.requestId) === 1);
  if (resourcesWithNone.length > 0)
    failures.push(`${resourcesWithNone.length} resource(s) without a terminal event: ${resourcesWithNone.slice(0, 5).join(', ')}`);
  if (resourcesWithMoreThanOne.length > 0)
    failures.push(`${resourcesWithMoreThanOne.length} resource(s) with more than one distinct terminal event`);
  if (eventStateMismatches.length > 0) failures.push(`${eventStateMismatches.length} event(s) disagree with the table`);
  if (!requestCompletedOk) failures.push('not every request has exactly one request.completed event');

  // DLQ: which resources' messages ended there, and why.
  const dlqItems = input.dlqMessages.map((m) => {
    let body: { requestId?: string; kind?: string; name?: string } = {};
    try {
      body = JSON.parse(m.Body ?? '{}');
    } catch {
      // not a dispatch message
    }
    const k = key(String(body.requestId), String(body.kind), String(body.name));
    const lastRetryReason = input.worker.lastRetry.get(k);
    const standingAtLastReceive = input.worker.standingAtLastReceive.get(k);
    return {
      resource: `${body.kind}/${body.name}`,
      receiveCount: m.Attributes?.ApproximateReceiveCount ?? '?',
      finalState: stored.get(k)?.state ?? 'unknown',
      ...(lastRetryReason ? { lastRetryReason } : {}),
      ...(standingAtLastReceive ? { standingAtLastReceive } : {}),
    };
  });
  const byReason: Record<string, number> = {};
  for (const item of dlqItems) {
    const reason = dlqReason(item.lastRetryReason);
    byReason[reason] = (byReason[reason] ?? 0) + 1;
  }

  // For each problem: the stored record, the Huawei resources under its name, and what the dispatcher did.
  const troubled = new Map<string, string>(day2.troubled);
  for (const d of duplicateNames) troubled.set(d.replace(/ x\d+$/, ''), 'duplicate');
  const simIds = (kind: string, name: string) => input.simResources.filter((x) => x.kind === kind && x.name === name);
  const seen = new Set<string>();
  const diagnostics: SoakReport['diagnostics'] = [];
  for (const { t, r } of planned) {
    const k = key(t.requestId, r.kind, r.name);
    const s = finalStored.get(k);
    const name = `${r.kind}/${r.huaweiName}`;
    // A Huawei name's problem once, on its last request (the day-2 one that should have left it right).
    const lastOfName = !planned.some((p) => p.t.plan.index > t.plan.index && `${p.r.kind}/${p.r.huaweiName}` === name);
    const problem = troubled.has(name)
      ? lastOfName && !seen.has(name)
        ? troubled.get(name)
        : undefined
      : !TERMINAL_STATES.has((stored.get(k)?.state ?? 'Missing') as ResourceState)
        ? 'stuck'
        : !matches(r, stored.get(k)!)
          ? 'unexpected outcome'
          : undefined;
    if (!problem || diagnostics.length >= 10) continue;
    seen.add(name);
    const { manifest: _manifest, ...record } = (s ?? {}) as StoredResource & { manifest?: unknown };
    // Every request of this name: the creates' and day-2 ones' traces, and the calls by Huawei id (deletes).
    const keys = planned.filter((p) => `${p.r.kind}/${p.r.huaweiName}` === name).map((p) => key(p.t.requestId, p.r.kind, p.r.name));
    const ids = simIds(r.kind, r.huaweiName).map((x) => `${r.kind}/${x.id}`);
    diagnostics.push({
      problem,
      resource: `${r.kind}/${r.name} (request ${t.plan.index} ${t.requestId}, ${t.plan.shape})`,
      record,
      simulator: simIds(r.kind, r.huaweiName).map(({ body, ...rest }) => ({
        ...rest,
        ...(r.changes ? { observed: Object.fromEntries(r.changes.map((c) => [c.field, body ? c.observe(body) : undefined])) } : {}),
      })),
      dispatcher: [...new Set([...keys, name, ...ids])].flatMap((x) => input.worker.traces.get(x) ?? []).sort(),
    });
  }

  for (const snap of input.finalSnapshot
    .filter((x) => !x.settled || (completedPerRequest.get(x.tracked.requestId) ?? 0) !== 1)
    .slice(0, 5)) {
    diagnostics.push({
      problem: snap.settled ? 'request.completed not received exactly once' : 'request not completed',
      resource: `request ${snap.tracked.plan.index} ${snap.tracked.requestId} (${snap.tracked.plan.shape})`,
      record: {
        ...snap.request,
        resources: snap.resources.map((r) => ({
          kind: r.kind,
          name: r.name,
          state: r.state,
          pendingEvents: Boolean(r.pendingEvents),
          dueAt: r.dueAt,
        })),
      },
      simulator: [],
      dispatcher: [],
    });
  }

  const requested = planned.length;
  const byKind: Record<string, number> = {};
  for (const { r } of planned) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
  const minutes = (ms: number) => Math.max(ms, 1) / 60_000;
  return {
    startedAt: input.startedAt,
    durationSeconds: Math.round(input.durationSeconds),
    options: reportedOptions,
    pass: failures.length === 0,
    failures,
    requests: {
      planned: tracked.length,
      day2: day2.report.requests,
      accepted: tracked.filter((t) => t.accepted).length,
      resubmitted: input.resubmitted,
      submitRetries: input.submitRetries,
      completedEvents: [...completedPerRequest.values()].filter((n) => n > 0).length,
      lost,
    },
    resources: {
      requested,
      byKind,
      expectedCreates: planned.filter(({ r }) => r.creates).length,
      createdInSimulator: input.simResources.length,
      duplicates,
      duplicateNames,
      outcomes,
      unexpectedOutcomes,
      stuck: stuckResources.length,
      stuckResources: stuckResources.slice(0, 50),
    },
    day2: day2.report,
    events: {
      received: events.length,
      otherTypesReceived: input.otherEvents,
      unique: unique.size,
      duplicatesDropped: events.length - unique.size,
      resourceEvents: [...perResource.values()].reduce((sum, list) => sum + list.length, 0),
      resourcesWithExactlyOne: exactlyOne,
      resourcesWithNone: resourcesWithNone.slice(0, 50),
      resourcesWithMoreThanOne: resourcesWithMoreThanOne.slice(0, 50),
      eventStateMismatches: eventStateMismatches.slice(0, 50),
      requestCompletedPerRequestExactlyOne: requestCompletedOk,
    },
    dlq: { messages: dlqItems.length, leftToPoller: input.worker.leftToPoller, byReason, items: dlqItems.slice(0, 50) },
    diagnostics,
    faults: { injected: input.faults, apiCalls: input.apiCalls },
    disruptions: {
      processKills: input.worker.kills,
      killsByPoint: input.worker.killsByPoint,
      dispatcherStarts: input.worker.starts,
      dispatcherErrors: input.worker.errors,
      dynamodbRestarts: input.dynamodbRestartMs > 0 ? 1 : 0,
      dynamodbRestartMs: input.dynamodbRestartMs,
      sqsRestarts: input.sqsRestartMs > 0 ? 1 : 0,
      sqsRestartMs: input.sqsRestartMs,
      dispatchMessagesLostInSqsRestart: input.dispatchMessagesLost,
      pollTicks: input.pollTicks,
      pollTickErrors: input.pollTickErrors,
    },
    load: {
      submitWindowSeconds: Math.round(input.submitWindowMs / 1000),
      settleSeconds: Math.round(input.settleMs / 1000),
      resourcesPerMinuteSubmitted: Math.round(requested / minutes(input.submitWindowMs)),
      resourcesPerMinuteFinished: Math.round(requested / minutes(input.finishMs)),
      resourceSeconds: percentiles(
        [...perResource.values()].flat().map((e) => (e.data as { timings?: { durationSeconds?: number } }).timings?.durationSeconds ?? 0),
      ),
    },
  };
}

function matches(planned: PlannedResource, stored: StoredResource): boolean {
  if (planned.expected === 'Failed')
    return stored.state === 'Failed' && (!planned.expectedReason || stored.reason === planned.expectedReason);
  // An update or a replacement ends Succeeded with its operation recorded.
  if (planned.expected === 'Succeeded' && planned.operation) return stored.state === 'Succeeded' && stored.operation === planned.operation;
  return stored.state === planned.expected;
}

function dlqReason(lastRetry: string | undefined): string {
  if (!lastRetry) return 'unknown (no retry recorded for it: lost with a killed dispatcher)';
  if (lastRetry.includes('holds the create intent')) return 'create intent held by an earlier attempt (lease)';
  if (lastRetry.includes('outcome unknown')) return 'create outcome unknown (look up first)';
  if (lastRetry.includes('throttled')) return 'create throttled';
  if (lastRetry.includes('look-up failed')) return 'look-up failed';
  return lastRetry.split(':')[0]!.slice(0, 80);
}

function percentiles(values: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? 0 };
}

/**
 * The dispatcher and the poller as a process of their own, for the soak (local/soak/soak.ts starts it with
 * tsx and starts it again whenever it dies). Its dependencies are the product's (shared/runtime.ts
 * executionDeps, from the environment), with two differences: crash points that SIGKILL this process with a
 * seeded probability (between intent and create, between create and record, and after an update, stop,
 * start or delete call answered, before its step is recorded), and a shorter Huawei retry budget (the lease
 * must outlast one attempt, and the soak uses a short lease). The poller steps updates and deletes, so a kill
 * takes those down too, as one of the dispatcher's.
 *
 * Speaks to the driver in JSON lines on stdout (synchronous on a pipe, so a line written before the
 * kill arrives): `crash`, `dispatched`, `retry`, `error`, `cloud`, `poll`, `poll-error`, `ready`.
 *
 * Environment, besides the product's: SOAK_CRASH_PROBABILITY (per create crash point, 0..1),
 * SOAK_DAY2_CRASH_PROBABILITY (after an update step or delete call), SOAK_CRASH_SEED, SOAK_DISPATCH_QUEUE_ARN,
 * SOAK_HUAWEI_RETRY_BUDGET_MS, SOAK_RETRY_BASE_SECONDS, SOAK_VISIBILITY_TIMEOUT_S, SOAK_CONCURRENCY,
 * SOAK_POLL_EVERY_MS (0: no poller here).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { sqsClient } from '../../shared/aws/sqs';
import { infraConfig } from '../../shared/config';
import { handleDispatchRecord, type DispatchRuntime } from '../../shared/queue/dispatch-batch';
import { cloudApi, type CloudApi } from '../../shared/reconcile/cloud';
import type { ReconcileDeps } from '../../shared/reconcile/dispatch';
import { adapterOf } from '../../shared/kinds/registry';
import type { AppLogger } from '../../shared/http/app';
import { HuaweiCloudClient } from '../../shared/huaweicloud/client';
import { pollTick } from '../../shared/reconcile/poll';
import { executionDeps } from '../../shared/runtime';
import { mulberry32 } from '../huaweicloud-simulator/faults';
import { startQueueRunner, startScheduleRunner } from '../runner';

const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ pid: process.pid, ...line })}\n`);
const num = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && process.env[name] !== '' && process.env[name] !== undefined ? value : fallback;
};

const probability = num('SOAK_CRASH_PROBABILITY', 0);
const day2Probability = num('SOAK_DAY2_CRASH_PROBABILITY', 0);
const random = mulberry32(num('SOAK_CRASH_SEED', 1));

/** A real death: no finally blocks, no message deleted, no intent released. */
/** Resources this process is working on: a kill takes all of them down, and the driver's trace says so. */
const inFlight = new Set<string>();

function maybeDie(point: 'afterIntent' | 'afterCreate' | 'afterUpdateStep' | 'afterDelete'): void {
  const p = point === 'afterIntent' || point === 'afterCreate' ? probability : day2Probability;
  if (random() >= p) return;
  emit({ t: 'crash', point, inFlight: [...inFlight] });
  process.kill(process.pid, 'SIGKILL');
  // The signal is delivered before kill() returns; never go on if it somehow was not.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
  throw new Error('SIGKILL did not stop the process');
}

// Counted, not printed: under 30% faults the client's retry warnings would flood the pipe.
const quiet: AppLogger = { info() {}, warn() {}, error() {} };

const product = executionDeps(quiet);
const direct = cloudApi(HuaweiCloudClient.fromConfig({ logger: quiet, retryBudgetMs: num('SOAK_HUAWEI_RETRY_BUDGET_MS', 3_000) }));
/** The client, with a line per create and look-up so the driver can explain a duplicate should one appear. */
const cloud: CloudApi = {
  async create(kind, resource, target, referenceId) {
    const name = `${kind}/${adapterOf(kind).huaweiName(resource.spec)}`;
    try {
      const created = await direct.create(kind, resource, target, referenceId);
      emit({ t: 'cloud', name, op: 'create', id: created.id });
      return created;
    } catch (error) {
      emit({ t: 'cloud', name, op: 'create', error: (error as Error).name, message: String((error as Error).message).slice(0, 200) });
      throw error;
    }
  },
  async findByName(kind, target, huawei) {
    const name = `${kind}/${huawei}`;
    try {
      const found = await direct.findByName(kind, target, huawei);
      emit({ t: 'cloud', name, op: 'find', found: found.length });
      return found;
    } catch (error) {
      emit({ t: 'cloud', name, op: 'find', error: (error as Error).name });
      throw error;
    }
  },
  observe: (kind, target, id) => direct.observe(kind, target, id),
  preflight: (kind, resource, target, context) => direct.preflight(kind, resource, target, context),
  async update(kind, resource, target, id, observation) {
    const name = `${kind}/${adapterOf(kind).huaweiName(resource.spec)}`;
    let step: Awaited<ReturnType<CloudApi['update']>>;
    try {
      step = await direct.update(kind, resource, target, id, observation);
    } catch (error) {
      emit({ t: 'cloud', name, op: 'update', id, error: (error as Error).name, message: String((error as Error).message).slice(0, 200) });
      throw error;
    }
    emit({ t: 'cloud', name, op: 'update', id, status: step.status, message: step.message });
    // Sent and answered, not yet recorded: the next step must find it applied rather than send it again.
    if (step.status === 'sent') maybeDie('afterUpdateStep');
    return step;
  },
  async delete(kind, target, id) {
    try {
      await direct.delete(kind, target, id);
    } catch (error) {
      emit({ t: 'cloud', name: `${kind}/${id}`, op: 'delete', id, error: (error as Error).name });
      throw error;
    }
    emit({ t: 'cloud', name: `${kind}/${id}`, op: 'delete', id });
    // Accepted, not yet recorded (deleteSent): the next step looks again before sending it again.
    maybeDie('afterDelete');
  },
};
const deps: ReconcileDeps = {
  ...product,
  cloud,
  crashPoints: { afterIntent: () => maybeDie('afterIntent'), afterCreate: () => maybeDie('afterCreate') },
};
const queueUrl = infraConfig().DISPATCH_QUEUE_URL;
const runtime: DispatchRuntime = {
  deps,
  sqs: sqsClient(),
  queueUrl,
  retryBaseSeconds: num('SOAK_RETRY_BASE_SECONDS', 1),
  log: (message, extra) => {
    const key = `${String(extra.requestId)}/${String(extra.kind)}/${String(extra.name)}`;
    if (message === 'dispatched') emit({ t: 'dispatched', key, result: extra.result, messageId: extra.messageId });
    else if (message === 'dispatch left to the poller') emit({ t: 'left', key, reason: extra.reason, messageId: extra.messageId });
    else if (message === 'dispatch out of receives, not followed by the poller') emit({ t: 'not-followed', key, standing: extra.standing });
    else emit({ t: 'retry', key, reason: extra.reason, delaySeconds: extra.delaySeconds, messageId: extra.messageId });
  },
};

// The record handler of shared/queue/dispatch-batch.ts dispatchBatchHandler, plus a line for failures that are not a deliberate retry.
// A processor per invocation, as there: the runner invokes the handler concurrently and a processor holds one batch's state.
const handler = (event: SQSEvent) =>
  processPartialResponse(
    event,
    async (record: SQSRecord) => {
      let key = '';
      try {
        const body = JSON.parse(record.body) as Record<string, string>;
        key = `${body.requestId}/${body.kind}/${body.name}`;
      } catch {
        // a poison message: no key
      }
      inFlight.add(key);
      try {
        await handleDispatchRecord(runtime, record);
      } catch (error) {
        const name = (error as Error).name;
        if (name !== 'RetryLaterError') {
          emit({
            t: 'error',
            key,
            name,
            message: String((error as Error).message).slice(0, 300),
            receiveCount: record.attributes.ApproximateReceiveCount,
          });
        }
        throw error;
      } finally {
        inFlight.delete(key);
      }
    },
    new BatchProcessor(EventType.SQS),
    { throwOnFullBatchFailure: false },
  );

const runner = startQueueRunner({
  sqs: sqsClient(),
  queueUrl,
  queueArn: process.env.SOAK_DISPATCH_QUEUE_ARN ?? '',
  handler,
  functionName: 'dispatch',
  timeoutMs: 60_000,
  batchSize: 10,
  waitTimeSeconds: 1,
  concurrency: num('SOAK_CONCURRENCY', 2),
  visibilityTimeout: num('SOAK_VISIBILITY_TIMEOUT_S', 20),
  onError: (error) => emit({ t: 'runner-error', name: (error as Error).name, message: String((error as Error).message).slice(0, 200) }),
});
// The poller, as the scheduled function: it steps updates and deletes, and re-queues what lost its message.
const pollEveryMs = num('SOAK_POLL_EVERY_MS', 0);
const poller =
  pollEveryMs > 0
    ? startScheduleRunner({
        everyMs: pollEveryMs,
        functionName: 'poll',
        handler: async () => {
          const stats = await pollTick(deps, { budgetMs: 10_000, concurrency: 8, requeueGraceSeconds: num('QUEUED_GRACE_SECONDS', 15) });
          emit({ t: 'poll' });
          return stats;
        },
        onError: (error) => emit({ t: 'poll-error', name: (error as Error).name, message: String((error as Error).message).slice(0, 200) }),
      })
    : undefined;
emit({ t: 'ready' });

process.once('SIGTERM', () => {
  void Promise.all([runner.stop(), poller?.stop()]).then(() => process.exit(0));
});

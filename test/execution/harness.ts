/** Drives the real dispatcher and poller against the emulators and the simulator, deterministically, for end-to-end tests. */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { startSimulator, SIMULATOR_DEFAULTS, type RunningSimulator } from '../../local/huaweicloud-simulator/index';
import { successfulRecords, toSqsRecord } from '../../local/runner';
import { dispatchBatchHandler } from '../../shared/queue/dispatch-batch';
import type { ReconcileDeps } from '../../shared/reconcile/dispatch';
import type { CloudEvent } from '../../shared/events/cloudevents';
import { HuaweiCloudClient } from '../../shared/huaweicloud/client';
import { cloudApi } from '../../shared/reconcile/cloud';
import { submit, type IntakeDeps } from '../../shared/intake/submit';
import type { ApiToken } from '../../shared/config';
import { createApp } from '../../shared/http/app';
import { randomRequestId } from '../../shared/intake/ids';
import { pollTick } from '../../shared/reconcile/poll';
import { getRequestWithResources } from '../../shared/store/requests';
import type { RequestSource } from '../../shared/store/types';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { memoryLogger, SECRETS } from '../http/helpers';

export const PROJECT_ID = SIMULATOR_DEFAULTS.projectId;

/** Thrown by a test's crash point: the process "died" there (the dispatcher's message is redelivered, the poller's tick ends). */
export class SimulatedCrash extends Error {}

export interface Harness {
  stack: LocalStack;
  simulator: RunningSimulator;
  deps: ReconcileDeps;
  /** Shifts the product's clock (not the simulator's) to reach deadlines without waiting. */
  advance(ms: number): void;
  /** Submits as an API caller unless another source (a push, a ticket) is given. */
  submitYaml(yaml: string, source?: RequestSource): Promise<string>;
  /** Runs dispatch and poll rounds until the request's completion event is written, or the time runs out. */
  drive(requestId: string, opts?: { timeoutMs?: number }): Promise<void>;
  request(requestId: string): ReturnType<typeof getRequestWithResources>;
  /** Every event received so far by a queue subscribed to the topic. */
  events(): Promise<CloudEvent[]>;
  simResources(): Promise<{ kind: string; id: string; name: string; body: Record<string, unknown> }[]>;
  faults(settings: Record<string, number>): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(opts: { crashPoints?: ReconcileDeps['crashPoints'] } = {}): Promise<Harness> {
  const stack = await useLocalResources();
  const simulator = await startSimulator({ port: 0, projectId: PROJECT_ID });
  await stack.subscribeQueue(stack.topicArn, stack.queues.notify.arn);
  let offsetMs = 0;
  const client = new HuaweiCloudClient({
    credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
    modelartsEndpoint: simulator.url,
    iefEndpoint: simulator.url,
    connectTimeoutMs: 500,
    readTimeoutMs: 1500,
    retryBudgetMs: 2000,
    retryBaseMs: 20,
    retryMaxDelayMs: 200,
  });
  const cloud = cloudApi(client);
  const deps: ReconcileDeps = {
    table: { ddb: stack.ddb, tableName: stack.tableName },
    topic: { sns: stack.sns, topicArn: stack.topicArn },
    dispatch: { sqs: stack.sqs, queueUrl: stack.queues.dispatch.url },
    cloud,
    now: () => new Date(Date.now() + offsetMs),
    settings: { leaseSeconds: 1, waitRecheckSeconds: 0.2, pollScale: 0.005, maxReceives: 50 },
    ...(opts.crashPoints ? { crashPoints: opts.crashPoints } : {}),
  };
  const handler = dispatchBatchHandler(() => ({ deps, sqs: stack.sqs, queueUrl: stack.queues.dispatch.url, retryBaseSeconds: 0 }));
  const received: CloudEvent[] = [];

  async function dispatchRound(): Promise<number> {
    const { Messages = [] } = await stack.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.queues.dispatch.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return 0;
    const records = Messages.map((m) => toSqsRecord(m, stack.queues.dispatch.arn));
    const response = await handler({ Records: records });
    const done = successfulRecords(records, response);
    if (done.length > 0) {
      await stack.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: stack.queues.dispatch.url,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
    return Messages.length;
  }

  const harness: Harness = {
    stack,
    simulator,
    deps,
    advance: (ms) => {
      offsetMs += ms;
    },
    async submitYaml(yaml, source = { provider: 'api', ref: 'api:test', caller: 'test' }) {
      const requestId = randomRequestId();
      const outcome = await submit(
        {
          table: deps.table,
          dispatch: deps.dispatch,
          defaults: { projectId: PROJECT_ID, region: 'cn-north-4' },
          queuedGraceSeconds: 5,
          waitRecheckSeconds: deps.settings.waitRecheckSeconds,
          now: deps.now,
        },
        { requestId, source, files: [{ file: 'test.yaml', text: yaml }] },
      );
      if (outcome.status !== 'accepted') throw new Error(`submission not accepted: ${JSON.stringify(outcome)}`);
      return requestId;
    },
    async drive(requestId, { timeoutMs = 20_000 } = {}) {
      const stopAt = Date.now() + timeoutMs;
      while (Date.now() < stopAt) {
        await dispatchRound();
        // A simulated crash inside the poller ends that tick, as the process dying would; the next tick goes on.
        await pollTick(deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 }).catch((error: unknown) => {
          if (!(error instanceof SimulatedCrash)) throw error;
        });
        const found = await getRequestWithResources(deps.table, requestId);
        if (found?.request.completedAt) {
          // One more tick flushes anything left in an outbox.
          await pollTick(deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const found = await getRequestWithResources(deps.table, requestId);
      throw new Error(
        `request ${requestId} did not complete: ${JSON.stringify(found?.resources.map((r) => [r.kind, r.name, r.state, r.message]))}`,
      );
    },
    request: (requestId) => getRequestWithResources(deps.table, requestId),
    async events() {
      const bodies = await stack.drainQueue(stack.queues.notify.url, { waitMs: 300 });
      received.push(...bodies.map((b) => JSON.parse(b) as CloudEvent));
      return [...received];
    },
    async simResources() {
      const response = await fetch(`${simulator.url}/__sim/resources?include=deleted`);
      return ((await response.json()) as { resources: { kind: string; id: string; name: string; body: Record<string, unknown> }[] })
        .resources;
    },
    async faults(settings) {
      const response = await fetch(`${simulator.url}/__sim/faults`, {
        method: 'POST',
        body: JSON.stringify(settings),
        headers: { 'content-type': 'application/json' },
      });
      if (!response.ok) throw new Error(`faults: ${await response.text()}`);
    },
    async close() {
      stack.close();
      await simulator.close();
    },
  };
  return harness;
}

const EXAMPLE = readFileSync('examples/all-kinds.yaml', 'utf8');

/**
 * The four-kind example with every name made unique by `suffix` (manifest names and the names Huawei
 * sees), so repeated runs in one table never meet as the same identity.
 */
export function allKinds(suffix: string, mutate: (doc: Record<string, any>) => void = () => {}): string {
  return parseAllDocuments(EXAMPLE)
    .map((d) => {
      const doc = d.toJS() as Record<string, any>;
      doc.metadata.name = `${doc.metadata.name}-${suffix}`;
      const body = doc.spec.body;
      if (doc.spec.poolRef) doc.spec.poolRef = `${doc.spec.poolRef}-${suffix}`;
      if (doc.kind === 'ResourcePool') body.metadata.labels['os.modelarts/name'] = `pool-${suffix}`;
      if (doc.kind === 'NodePool') {
        body.metadata.name = `np-${suffix}`;
        body.spec.resources.nodePool = `np-${suffix}`;
      }
      if (doc.kind === 'Notebook') body.name = `nb_${suffix}`;
      if (doc.kind === 'EdgeDeployment') body.name = `app-${suffix}`;
      mutate(doc);
      return stringify(doc);
    })
    .join('---\n');
}

/** The example notebook on a fixed pool id, with names (manifest and Huawei) unique to `suffix`. */
export function notebook(suffix: string, mutate: (doc: Record<string, any>) => void = () => {}): string {
  const doc = parse(readFileSync('examples/notebook.yaml', 'utf8'));
  doc.metadata.name = `nb-${suffix}`;
  doc.spec.body.name = `nb_${suffix}`;
  mutate(doc);
  return stringify(doc);
}

/**
 * The HTTP API on a real socket over the harness's table and queues, as the CLI and the local stack's progress
 * lines reach it. `defaults` and `topic` as intake would be configured.
 */
export async function serveApi(
  h: Harness,
  tokens: ApiToken[],
  intake: { defaults?: IntakeDeps['defaults']; topic?: boolean } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const app = createApp({
    logger: memoryLogger(),
    secrets: async () => ({ ...SECRETS, API_TOKENS: tokens }),
    services: () => ({
      intake: {
        table: h.deps.table,
        dispatch: h.deps.dispatch,
        ...(intake.topic && h.deps.topic ? { topic: h.deps.topic } : {}),
        defaults: intake.defaults ?? { projectId: PROJECT_ID, region: 'cn-north-4' },
      },
      intakeQueue: { sqs: h.stack.sqs, queueUrl: h.stack.queues.intake.url },
      trackedBranches: [],
    }),
  });
  const server = await new Promise<ServerType>((resolve) => {
    const started: ServerType = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

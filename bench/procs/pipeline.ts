/**
 * Benchmark 2, one side per process. `ours`: the whole product as `npm start` runs it (HTTP API, the real
 * dispatch and poll Lambda handlers fed by the local runners, events on the SNS topic), one POST /requests
 * with N manifests, timed from its 202 to the last resource.succeeded event. `baseline`: the Huawei client
 * driven directly through the kinds' adapters with the same concurrency (create, then observe every second
 * until ready; node pools and notebooks after their pool, as the product orders them).
 * Args: mode, manifests file (JSON), concurrency, poll interval (s). Env: the local resources' variables.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import { SIMULATOR_DEFAULTS, startSimulator } from '../../local/huaweicloud-simulator/index';
import { localAwsConfig } from '../../local/emulators';
import { subscribeQueue } from '../../local/resources';
import { startQueueRunner, startScheduleRunner } from '../../local/runner';
import { HuaweiCloudClient } from '../../shared/huaweicloud/client';
import { adapterOf } from '../../shared/kinds/registry';
import type { BenchManifest } from '../lib/manifests';

const [mode, file, concurrencyArg, pollArg] = process.argv.slice(2);
const manifests = JSON.parse(readFileSync(file!, 'utf8')) as BenchManifest[];
const yaml = readFileSync(file!.replace(/\.json$/, '.yaml'), 'utf8');
const concurrency = Number(concurrencyArg);
const pollSeconds = Number(pollArg);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const ZERO = { Notebook: 0, ResourcePool: 0, NodePool: 0, EdgeDeployment: 0 };
// The client serves every region (it has none of its own), so the region only has to be one a manifest may name.
const REGION = 'cn-north-4';

async function ours(): Promise<Record<string, unknown>> {
  const simulator = await startSimulator({ port: 0, durations: ZERO });
  const token = 'bench-api-token-0123456789abcdef0123';
  Object.assign(process.env, {
    HUAWEICLOUD_SDK_AK: SIMULATOR_DEFAULTS.ak,
    HUAWEICLOUD_SDK_SK: SIMULATOR_DEFAULTS.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: SIMULATOR_DEFAULTS.projectId,
    HUAWEICLOUD_MODELARTS_ENDPOINT: simulator.url,
    HUAWEICLOUD_IEF_ENDPOINT: simulator.url,
    API_TOKENS: `bench=${token}`,
    // Product defaults otherwise. Every kind's first poll within one poll interval (the longest first poll,
    // 30 s, scaled to it), and the poller as concurrent as the dispatcher: the baseline's settings.
    POLL_BACKOFF_SCALE: String(pollSeconds / 30),
    POLL_CONCURRENCY: String(concurrency),
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  const [{ handler: dispatch }, { handler: poll }, { createApp }, { apiServices }, { createLogger }, { loadSecrets }] = await Promise.all([
    import('../../functions/dispatch'),
    import('../../functions/poll'),
    import('../../shared/http/app'),
    import('../../shared/http/api-services'),
    import('../../shared/lambda'),
    import('../../shared/secrets'),
  ]);
  // Counts every AWS call the product makes (the same singleton clients the handlers use), for the report.
  const [{ documentClient }, { sqsClient }, { snsClient }] = await Promise.all([
    import('../../shared/aws/dynamodb'),
    import('../../shared/aws/sqs'),
    import('../../shared/aws/sns'),
  ]);
  const calls: Record<string, { n: number; ms: number }> = {};
  type Counted = {
    middlewareStack: {
      add(
        middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
        options: { step: 'initialize'; name: string },
      ): void;
    };
  };
  for (const client of [documentClient(), sqsClient(), snsClient()] as unknown as Counted[]) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const t = performance.now();
        try {
          return await next(args);
        } finally {
          const entry = (calls[String(context.commandName)] ??= { n: 0, ms: 0 });
          entry.n++;
          entry.ms += performance.now() - t;
        }
      },
      { step: 'initialize', name: 'benchCallCounter' },
    );
  }
  const app = createApp({ logger: createLogger('hwc-provisioner-webhook').app, secrets: () => loadSecrets(), services: apiServices });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((r) => server.once('listening', r));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const env = process.env;
  const sqs = new SQSClient(localAwsConfig(env.AWS_ENDPOINT_URL_SQS!));
  const sns = new SNSClient(localAwsConfig(env.AWS_ENDPOINT_URL_SNS!));
  const notify = JSON.parse(env.BENCH_NOTIFY_QUEUE!) as { url: string; arn: string };
  const dispatchQueue = JSON.parse(env.BENCH_DISPATCH_QUEUE!) as { url: string; arn: string };
  await subscribeQueue(sns, env.EVENTS_TOPIC_ARN!, notify.arn);

  // Lambda's SQS mapping for dispatch: maximumConcurrency pollers, batches of ten; the schedule every pollSeconds.
  const runners = [
    startQueueRunner({
      sqs,
      queueUrl: dispatchQueue.url,
      queueArn: dispatchQueue.arn,
      handler: dispatch,
      functionName: 'dispatch',
      timeoutMs: 60_000,
      concurrency: concurrency / 10,
    }),
    startScheduleRunner({ everyMs: pollSeconds * 1000, handler: poll, functionName: 'poll', timeoutMs: 60_000 }),
  ];

  const succeeded = new Map<string, number>();
  const failed: string[] = [];
  let receiving = true;
  const receive = async () => {
    while (receiving) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: notify.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const at = Date.now();
      for (const m of Messages) {
        const event = JSON.parse(m.Body ?? '{}') as {
          type: string;
          subject?: string;
          data?: { kind: string; name: string; message?: string };
        };
        const id = `${event.data?.kind}/${event.data?.name}`;
        if (event.type === 'hwc-provisioner.resource.succeeded') succeeded.set(id, at);
        else if (event.type.startsWith('hwc-provisioner.resource.')) failed.push(`${id}: ${event.type} ${event.data?.message ?? ''}`);
      }
      if (Messages.length)
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: notify.url,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
    }
  };
  const receivers = [receive(), receive()];

  const posted = Date.now();
  const response = await fetch(`${apiUrl}/requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' },
    body: yaml,
  });
  const acceptedAt = Date.now();
  if (response.status !== 202) throw new Error(`POST /requests answered ${response.status}: ${await response.text()}`);
  const deadline = acceptedAt + 180_000;
  while (succeeded.size + failed.length < manifests.length && Date.now() < deadline) await sleep(20);
  receiving = false;
  await Promise.all([...runners.map((r) => r.stop()), ...receivers]);
  server.close();
  await simulator.close();
  if (failed.length > 0 || succeeded.size < manifests.length) {
    throw new Error(`pipeline: ${succeeded.size}/${manifests.length} succeeded; ${failed.slice(0, 3).join('; ')}`);
  }
  const last = Math.max(...succeeded.values());
  const awsCalls = Object.fromEntries(
    Object.entries(calls)
      .sort((a, b) => b[1].n - a[1].n)
      .map(([k, v]) => [k, { calls: v.n, totalMs: Math.round(v.ms) }]),
  );
  return { acceptMs: acceptedAt - posted, durationMs: last - acceptedAt, resources: manifests.length, awsCalls };
}

async function baseline(): Promise<Record<string, unknown>> {
  const simulator = await startSimulator({ port: 0, durations: ZERO });
  const projectId = SIMULATOR_DEFAULTS.projectId;
  const client = new HuaweiCloudClient({
    credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
    modelartsEndpoint: simulator.url,
    iefEndpoint: simulator.url,
  });
  const byPool = new Map<string, BenchManifest[]>();
  const queue: { m: BenchManifest; poolId?: string }[] = [];
  for (const m of manifests) {
    if (m.spec.poolRef) byPool.set(m.spec.poolRef, [...(byPool.get(m.spec.poolRef) ?? []), m]);
    else queue.push({ m });
  }
  let outstanding = manifests.length;
  let waiters: (() => void)[] = [];
  const wake = () => {
    for (const w of waiters) w();
    waiters = [];
  };
  const started = Date.now();
  let last = started;
  const worker = async () => {
    for (;;) {
      const item = queue.shift();
      if (!item) {
        if (outstanding === 0) return;
        await new Promise<void>((r) => waiters.push(r));
        continue;
      }
      const { m, poolId } = item;
      const adapter = adapterOf(m.kind);
      const resource = { projectId, region: REGION, name: m.metadata.name, spec: m.spec };
      const target = adapter.target(resource, poolId);
      const { id } = await adapter.create(client, resource, target, poolId);
      for (;;) {
        await sleep(pollSeconds * 1000);
        const status = await adapter.observe(client, target, id);
        if (status.phase === 'Failed') throw new Error(`${m.kind}/${m.metadata.name} failed: ${status.message}`);
        if (status.phase === 'Succeeded') break;
      }
      last = Date.now();
      outstanding--;
      if (m.kind === 'ResourcePool') for (const d of byPool.get(m.metadata.name) ?? []) queue.push({ m: d, poolId: id });
      wake();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await simulator.close();
  return { durationMs: last - started, resources: manifests.length };
}

const result = mode === 'ours' ? await ours() : await baseline();
process.send?.(result);
process.disconnect?.();
process.exit(0);

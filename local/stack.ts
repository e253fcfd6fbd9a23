/**
 * `npm start`: the whole product on this machine. Real protocol emulators (fauxqs for SQS/SNS, DynamoDB
 * Local), the Huawei simulator, the HTTP API, and runners that feed the same Lambda handlers with real
 * SQS events and schedule ticks. Ctrl-C stops everything it started.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import { localAwsConfig, startDynamoDbLocal, startSqsEmulator } from './emulators';
import { provisionResources, subscribeQueue } from './resources';
import { startQueueRunner, startScheduleRunner, type Runner } from './runner';
import { SIMULATOR_DEFAULTS, startSimulator } from './huaweicloud-simulator/index';
import { createEventPrinter } from './event-printer';

const args = new Set(process.argv.slice(2));
const say = (line = '') => process.stdout.write(`${line}\n`);

/** Secrets a developer did not set get throwaway values; only those are printed, never one that was given. */
function developmentSecrets(): Record<string, string> {
  const generated: Record<string, string> = {};
  const make = (name: string, value: string) => {
    if (!process.env[name]) {
      process.env[name] = value;
      generated[name] = value;
    }
  };
  const token = () => randomBytes(18).toString('base64url');
  make('API_TOKENS', `local=${token()}`);
  make('GITHUB_WEBHOOK_SECRET', token());
  make('GITLAB_WEBHOOK_TOKEN', token());
  make('JIRA_WEBHOOK_SECRET', token());
  return generated;
}

/** Where the notifier will report, by what is configured; names only, never a token. */
function feedbackTargets(): string[] {
  const env = process.env;
  return [
    env.GITHUB_TOKEN ? 'GitHub statuses and PR plans' : '',
    env.GITLAB_TOKEN ? 'GitLab statuses and MR plans' : '',
    env.JIRA_BASE_URL && env.JIRA_EMAIL && env.JIRA_API_TOKEN ? 'Jira comments' : '',
    env.WEBHOOK_SUBSCRIBERS ? 'webhook subscribers' : '',
  ].filter(Boolean);
}

export async function main(): Promise<void> {
  const realAk = process.env.HUAWEICLOUD_SDK_AK;
  if (realAk && !args.has('--real')) {
    say('HUAWEICLOUD_SDK_AK is set: this would create real (billed) Huawei Cloud resources.');
    say('Unset it to use the simulator, or run `npm start -- --real` if that is what you want.');
    process.exit(2);
  }
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      say('\nstopping...');
      void stopAll().then(() => process.exit(0));
    });
  }

  try {
    const stateDir = '.local';
    mkdirSync(`${stateDir}/dynamodb`, { recursive: true });
    const sqsEmulator = await startSqsEmulator();
    stops.push(() => sqsEmulator.stop());
    // File-backed, so a restart keeps requests and resources (fauxqs keeps nothing; the poller re-queues).
    const dynamodb = await startDynamoDbLocal({ dbPath: resolve(stateDir, 'dynamodb') });
    stops.push(() => dynamodb.stop());
    const resources = await provisionResources({ prefix: 'hwcp-local', sqsEndpoint: sqsEmulator.endpoint, dynamodbEndpoint: dynamodb.endpoint });

    let simulatorUrl: string | undefined;
    if (!realAk) {
      const simulator = await startSimulator({ port: Number(process.env.SIMULATOR_PORT ?? 0) });
      stops.push(() => simulator.close());
      simulatorUrl = simulator.url;
      Object.assign(process.env, {
        HUAWEICLOUD_SDK_AK: SIMULATOR_DEFAULTS.ak,
        HUAWEICLOUD_SDK_SK: SIMULATOR_DEFAULTS.sk,
        HUAWEICLOUD_SDK_PROJECT_ID: process.env.HUAWEICLOUD_SDK_PROJECT_ID || SIMULATOR_DEFAULTS.projectId,
        HUAWEICLOUD_MODELARTS_ENDPOINT: simulator.url,
        HUAWEICLOUD_IEF_ENDPOINT: simulator.url,
      });
    }
    Object.assign(process.env, resources.env, {
      POLL_BACKOFF_SCALE: process.env.POLL_BACKOFF_SCALE ?? '0.1',
      WAIT_RECHECK_SECONDS: process.env.WAIT_RECHECK_SECONDS ?? '2',
      DISPATCH_LEASE_SECONDS: process.env.DISPATCH_LEASE_SECONDS ?? '30',
      QUEUED_GRACE_SECONDS: process.env.QUEUED_GRACE_SECONDS ?? '30',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    });
    const generated = developmentSecrets();

    // Handlers are imported only now, after the environment they read at first use is in place.
    const [{ handler: intake }, { handler: dispatch }, { handler: poll }, { handler: notify }, { createApp }, { appServices, createLogger }, { loadSecrets }] =
      await Promise.all([
        import('../functions/intake'),
        import('../functions/dispatch'),
        import('../functions/poll'),
        import('../functions/notify'),
        import('../shared/http/app'),
        import('../shared/runtime'),
        import('../shared/secrets'),
      ]);

    // The HTTP API runs the same Hono app that functions/webhook.ts wraps for Lambda, served over real HTTP.
    const app = createApp({ logger: createLogger('hwc-provisioner-webhook').app, secrets: () => loadSecrets(), services: appServices });
    const port = Number(process.env.PORT ?? 3000);
    const server: ServerType = await new Promise((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    stops.push(() => new Promise((resolve) => server.close(() => resolve())));
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Links in statuses and comments point at this API unless told otherwise; read at the notifier's first event.
    process.env.PUBLIC_BASE_URL ||= apiUrl;

    const sqs = new SQSClient(localAwsConfig(sqsEmulator.endpoint));
    const runners: Runner[] = [
      startQueueRunner({ sqs, queueUrl: resources.queues.intake.url, queueArn: resources.queues.intake.arn, handler: intake, functionName: 'intake', timeoutMs: 60_000 }),
      startQueueRunner({ sqs, queueUrl: resources.queues.dispatch.url, queueArn: resources.queues.dispatch.arn, handler: dispatch, functionName: 'dispatch', timeoutMs: 60_000 }),
      startScheduleRunner({ everyMs: Number(process.env.POLL_INTERVAL_SECONDS ?? 5) * 1000, handler: poll, functionName: 'poll', timeoutMs: 60_000 }),
      // Feedback goes only where it is configured (GITHUB_TOKEN, GITLAB_TOKEN, JIRA_*, WEBHOOK_SUBSCRIBERS); with none set it reports nowhere.
      startQueueRunner({ sqs, queueUrl: resources.queues.notify.url, queueArn: resources.queues.notify.arn, handler: notify, functionName: 'notify', timeoutMs: 60_000 }),
    ];
    stops.push(async () => {
      await Promise.all(runners.map((r) => r.stop()));
    });

    // The notifier's queue and a printer queue of its own both hear every event: the printer shows them here as subscribers see them.
    const sns = new SNSClient(localAwsConfig(sqsEmulator.endpoint));
    await subscribeQueue(sns, resources.topicArn, resources.queues.notify.arn);
    const printerQueue = await sqs.send(new CreateQueueCommand({ QueueName: 'hwcp-local-printer' }));
    const printerArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: printerQueue.QueueUrl!, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await subscribeQueue(sns, resources.topicArn, printerArn);
    const printer = createEventPrinter({ sqs, queueUrl: printerQueue.QueueUrl!, print: say });
    stops.push(() => printer.stop());

    const token = process.env.API_TOKENS!.split(',')[0]!.split('=').pop()!;
    say('hwc-provisioner is running locally');
    say(`  HTTP API        ${apiUrl}  (GET /healthz, POST /requests, GET /requests/{id}, POST /webhooks/{github,gitlab,jira})`);
    say(`  Huawei Cloud    ${simulatorUrl ? `${simulatorUrl} (simulator; admin API under /__sim/)` : 'REAL endpoints (--real)'}`);
    say(`  SQS and SNS     ${sqsEmulator.endpoint} (fauxqs, in memory)`);
    say(`  DynamoDB        ${dynamodb.endpoint} (DynamoDB Local, file-backed in ${stateDir}/dynamodb; it listens on all interfaces, it has no bind option)`);
    say(`  poller          every ${process.env.POLL_INTERVAL_SECONDS ?? 5} s`);
    say(`  feedback        ${feedbackTargets().join(', ') || 'none configured (set GITHUB_TOKEN, GITLAB_TOKEN, JIRA_BASE_URL+JIRA_EMAIL+JIRA_API_TOKEN or WEBHOOK_SUBSCRIBERS)'}`);
    if (Object.keys(generated).length > 0) {
      say('');
      say('Generated for this run (set them yourself to keep them stable):');
      for (const [name, value] of Object.entries(generated)) say(`  ${name}=${value}`);
    }
    say('');
    say('Try it:');
    say(`  curl -sS -X POST ${apiUrl}/requests -H 'authorization: Bearer ${token}' -H 'content-type: application/yaml' --data-binary @examples/all-kinds.yaml`);
    say(`  curl -sS ${apiUrl}/requests/<requestId> -H 'authorization: Bearer ${token}'`);
    say('');
    say('Completion events appear below as they are published. Ctrl-C stops everything.');
  } catch (error) {
    say(`could not start: ${(error as Error).message}`);
    await stopAll();
    process.exit(1);
  }
}


/**
 * Everything a feedback test needs on top of the execution harness: the HTTP app and intake publishing to
 * the topic, fake git providers to read manifests from, fake feedback providers to report to, and the real
 * notify batch handler fed from the notify queue (subscribed to the topic by the harness).
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { successfulRecords, toSqsRecord } from '../../local/runner';
import type { WebhookSubscriber } from '../../shared/config';
import { createApp } from '../../shared/http/app';
import { processIntakeMessage, type ProviderSettings } from '../../shared/intake/service';
import { randomRequestId } from '../../shared/intake/ids';
import { submit, type IntakeDeps } from '../../shared/intake/submit';
import { notifyBatchHandler } from '../../shared/notify/batch';
import { githubFeedback } from '../../shared/notify/github';
import { gitlabFeedback } from '../../shared/notify/gitlab';
import type { HttpSettings } from '../../shared/notify/http';
import { jiraFeedback } from '../../shared/notify/jira';
import type { NotifyDeps } from '../../shared/notify/notifier';
import type { PlanServices } from '../../shared/intake/plan-jobs';
import { PROJECT_ID, startHarness, type Harness } from '../execution/harness';
import { startFeedbackProviders, type FeedbackProviders } from '../../local/fake-providers/feedback';
import { startFakeProviders, type FakeProviders } from '../../local/fake-providers/git';
import { hubSignature, memoryLogger, SECRETS } from '../http/helpers';

export const JIRA = { email: 'bot@example.com', token: 'jira-api-token-for-tests', onSuccess: '31', onFailure: '41' };
export const PUBLIC_BASE_URL = 'https://hwcp.example.com';
/** UI_SIGNING_KEY: links in statuses and comments carry a token signed with it. */
export const LINK_KEY = 'ui-signing-key-for-notifier-tests-0123456789';

/**
 * The table as the notify function's IAM role sees it (serverless.yml NotifyRole): GetItem and UpdateItem on
 * NOTIFY# items and nothing else. DynamoDB Local checks no policy, so the rig refuses the rest as AWS would,
 * and remembers each refusal: the notifier swallows errors a retry cannot fix, so a test has to ask.
 */
function asNotifyRole(ddb: DynamoDBDocumentClient, denied: string[]): DynamoDBDocumentClient {
  return new Proxy(ddb, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: any, ...rest: any[]) => {
        const pk = command?.input?.Key?.pk;
        const allowed = (command instanceof GetCommand || command instanceof UpdateCommand) && String(pk).startsWith('NOTIFY#');
        if (allowed) return (target.send as any)(command, ...rest);
        denied.push(`${command?.constructor?.name} ${pk ?? '(no key)'}`);
        return Promise.reject(Object.assign(new Error('not authorized by the notify role'), { name: 'AccessDeniedException' }));
      };
    },
  });
}

export interface Rig {
  h: Harness;
  git: FakeProviders;
  feedback: FeedbackProviders;
  intake: IntakeDeps;
  providers: ProviderSettings;
  notifyDeps: NotifyDeps & { subscribers: WebhookSubscriber[] };
  /** Table calls the notifier made that its IAM role would refuse; should stay empty. */
  deniedTableCalls: string[];
  logger: ReturnType<typeof memoryLogger>;
  app: ReturnType<typeof createApp>;
  /** Signed provider webhooks into the app. */
  github(event: string, delivery: string, payload: unknown): Promise<Response>;
  jira(payload: unknown, delivery: string): Promise<Response>;
  gitlab(event: string, payload: unknown, key: string): Promise<Response>;
  /** POST /requests-style submission (api source) through intake with the topic, so request.accepted is published. */
  submitYaml(yaml: string): Promise<string>;
  runIntake(): Promise<Awaited<ReturnType<typeof processIntakeMessage>>[]>;
  /** One pass of the notify function over what the queue holds now; failed records stay for redelivery. */
  runNotifier(opts?: { visibilityTimeout?: number; waitMs?: number }): Promise<{ handled: number; failed: number }>;
  close(): Promise<void>;
}

export async function startRig(opts: { http?: Partial<HttpSettings> } = {}): Promise<Rig> {
  const h = await startHarness();
  const git = await startFakeProviders({ githubToken: SECRETS.GITHUB_TOKEN!, gitlabToken: SECRETS.GITLAB_TOKEN! });
  const feedback = await startFeedbackProviders({
    githubToken: SECRETS.GITHUB_TOKEN!,
    gitlabToken: SECRETS.GITLAB_TOKEN!,
    jiraEmail: JIRA.email,
    jiraToken: JIRA.token,
  });
  const logger = memoryLogger();
  const http: HttpSettings = { timeoutMs: 2_000, attempts: 3, retryBaseMs: 10, ...opts.http };
  const store = { table: h.deps.table, now: h.deps.now };
  const defaults = { projectId: PROJECT_ID, region: 'cn-north-4' };
  const intake: IntakeDeps = {
    table: h.deps.table,
    dispatch: h.deps.dispatch,
    defaults,
    topic: h.deps.topic,
    now: h.deps.now,
    queuedGraceSeconds: 5,
  };
  const github = githubFeedback({ apiUrl: feedback.githubUrl, token: SECRETS.GITHUB_TOKEN!, http });
  const gitlab = gitlabFeedback({ apiUrl: feedback.gitlabUrl, token: SECRETS.GITLAB_TOKEN!, http });
  const plan: PlanServices = { store, defaults, github, gitlab, cloud: h.deps.cloud, logger };
  const providers: ProviderSettings = {
    globs: ['provisioning/**/*.{yaml,yml,json}'],
    github: { apiUrl: `${git.url}/github`, token: SECRETS.GITHUB_TOKEN! },
    gitlab: { apiUrl: `${git.url}/gitlab`, token: SECRETS.GITLAB_TOKEN! },
    plan,
  };
  const deniedTableCalls: string[] = [];
  const notifyDeps = {
    store: { table: { ...h.deps.table, ddb: asNotifyRole(h.deps.table.ddb, deniedTableCalls) }, now: h.deps.now },
    http,
    github,
    gitlab,
    jira: {
      client: jiraFeedback({ baseUrl: feedback.jiraUrl, email: JIRA.email, apiToken: JIRA.token, http }),
      transitionOnSuccess: JIRA.onSuccess,
      transitionOnFailure: JIRA.onFailure,
    },
    subscribers: [] as WebhookSubscriber[],
    publicBaseUrl: PUBLIC_BASE_URL,
    linkKey: LINK_KEY,
    logger,
  };
  const app = createApp({
    logger,
    secrets: async () => SECRETS,
    services: () => ({ intake, intakeQueue: { sqs: h.stack.sqs, queueUrl: h.stack.queues.intake.url }, trackedBranches: ['main'] }),
  });
  const handler = notifyBatchHandler(async () => notifyDeps);
  const queue = h.stack.queues.notify;

  const post = (path: string, body: string, headers: Record<string, string>) =>
    app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  return {
    h,
    git,
    feedback,
    intake,
    providers,
    notifyDeps,
    deniedTableCalls,
    logger,
    app,
    github: async (event, delivery, payload) => {
      const body = JSON.stringify(payload);
      return post('/webhooks/github', body, {
        'x-github-event': event,
        'x-github-delivery': delivery,
        'x-hub-signature-256': hubSignature(SECRETS.GITHUB_WEBHOOK_SECRET!, body),
      });
    },
    jira: async (payload, delivery) => {
      const body = JSON.stringify(payload);
      return post('/webhooks/jira', body, {
        'x-hub-signature': hubSignature(SECRETS.JIRA_WEBHOOK_SECRET!, body),
        'x-atlassian-webhook-identifier': delivery,
      });
    },
    gitlab: async (event, payload, key) =>
      post('/webhooks/gitlab', JSON.stringify(payload), {
        'x-gitlab-token': SECRETS.GITLAB_WEBHOOK_TOKEN!,
        'x-gitlab-event': event,
        'idempotency-key': key,
      }),
    async submitYaml(yaml) {
      const requestId = randomRequestId();
      const outcome = await submit(intake, {
        requestId,
        source: { provider: 'api', ref: 'api:test', caller: 'test' },
        files: [{ file: 'request', text: yaml }],
      });
      if (outcome.status !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
      return requestId;
    },
    async runIntake() {
      const messages = await h.stack.drainMessages(h.stack.queues.intake.url, { waitMs: 300 });
      const outcomes = [];
      for (const m of messages) outcomes.push(await processIntakeMessage(intake, providers, { messageId: m.MessageId!, body: m.Body! }));
      return outcomes;
    },
    async runNotifier({ visibilityTimeout = 30, waitMs = 300 } = {}) {
      let handled = 0;
      let failed = 0;
      let idleSince = Date.now();
      while (Date.now() - idleSince < waitMs) {
        const { Messages = [] } = await h.stack.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            VisibilityTimeout: visibilityTimeout,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        if (Messages.length === 0) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        const records = Messages.map((m) => toSqsRecord(m, queue.arn));
        const done = successfulRecords(records, await handler({ Records: records }));
        handled += records.length;
        failed += records.length - done.length;
        if (done.length > 0) {
          await h.stack.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queue.url,
              Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
            }),
          );
        }
        idleSince = Date.now();
      }
      return { handled, failed };
    },
    async close() {
      await h.close();
      await git.close();
      await feedback.close();
    },
  };
}

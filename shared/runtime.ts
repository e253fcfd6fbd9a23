/** Wiring for Lambda entry points: configuration, clients and logger, built once per container. */
import { Logger } from '@aws-lambda-powertools/logger';
import { documentClient, snsClient, sqsClient } from './aws';
import { ConfigError, executionConfig, infraConfig, intakeConfig, notifyConfig, queuedGraceSeconds } from './config';
import type { DispatchDeps } from './dispatch/dispatcher';
import { HuaweiCloudClient } from './huaweicloud/client';
import type { AppLogger, AppServices } from './http/app';
import type { ProviderSettings } from './intake/service';
import type { IntakeDeps } from './intake/submit';
import { loadSecrets } from './secrets';
import type { SecretsEnv } from './config';
import { githubFeedback } from './notify/github';
import { gitlabFeedback } from './notify/gitlab';
import type { HttpSettings } from './notify/http';
import { jiraFeedback } from './notify/jira';
import type { NotifyDeps } from './notify/notifier';
import type { PlanServices } from './notify/plan';

export function createLogger(serviceName: string): { powertools: Logger; app: AppLogger } {
  const powertools = new Logger({ serviceName });
  // Powertools types its extra attributes narrowly; the domain only ever passes flat records.
  const app: AppLogger = {
    info: (message, extra) => powertools.info(message, (extra ?? {}) as never),
    warn: (message, extra) => powertools.warn(message, (extra ?? {}) as never),
    error: (message, extra) => powertools.error(message, (extra ?? {}) as never),
  };
  return { powertools, app };
}

let intake: IntakeDeps | undefined;

export function intakeDeps(): IntakeDeps {
  if (intake) return intake;
  const infra = infraConfig();
  const cfg = intakeConfig();
  intake = {
    table: { ddb: documentClient(), tableName: infra.TABLE_NAME },
    dispatch: { sqs: sqsClient(), queueUrl: infra.DISPATCH_QUEUE_URL },
    defaults: { ...(cfg.HUAWEICLOUD_SDK_PROJECT_ID ? { projectId: cfg.HUAWEICLOUD_SDK_PROJECT_ID } : {}), region: cfg.HUAWEICLOUD_REGION },
    queuedGraceSeconds: queuedGraceSeconds(),
    // Optional so intake runs without a topic (tests, early setups); deployed, request.accepted/rejected go out.
    ...(infra.EVENTS_TOPIC_ARN ? { topic: { sns: snsClient(), topicArn: infra.EVENTS_TOPIC_ARN } } : {}),
  };
  return intake;
}

export function appServices(): AppServices {
  return {
    // Built on first use: only the /requests routes need it, so webhooks never construct the DynamoDB and SNS clients.
    get intake() {
      return intakeDeps();
    },
    intakeQueue: { sqs: sqsClient(), queueUrl: infraConfig().INTAKE_QUEUE_URL },
    trackedBranches: intakeConfig().TRACKED_BRANCHES,
    planForkPullRequests: intakeConfig().PLAN_FORK_PULL_REQUESTS,
  };
}

export async function providerSettings(): Promise<ProviderSettings> {
  const cfg = intakeConfig();
  const secrets = await loadSecrets();
  return {
    globs: cfg.MANIFEST_GLOBS,
    github: { apiUrl: cfg.GITHUB_API_URL, ...(secrets.GITHUB_TOKEN ? { token: secrets.GITHUB_TOKEN } : {}) },
    gitlab: { apiUrl: cfg.GITLAB_API_URL, ...(secrets.GITLAB_TOKEN ? { token: secrets.GITLAB_TOKEN } : {}) },
    // Built on the first plan job: other messages need neither the Huawei client nor the notify settings.
    get plan() {
      return planServices(secrets);
    },
  };
}

function notifyHttp(): HttpSettings {
  const cfg = notifyConfig();
  return { timeoutMs: cfg.NOTIFY_HTTP_TIMEOUT_MS, attempts: cfg.NOTIFY_ATTEMPTS, retryBaseMs: cfg.NOTIFY_RETRY_BASE_MS };
}

/** The provider clients feedback uses; a provider without a token gets none (and so no feedback). */
function feedbackClients(secrets: SecretsEnv) {
  const cfg = notifyConfig();
  const http = notifyHttp();
  return {
    http,
    ...(secrets.GITHUB_TOKEN ? { github: githubFeedback({ apiUrl: cfg.GITHUB_API_URL, token: secrets.GITHUB_TOKEN, http }) } : {}),
    ...(secrets.GITLAB_TOKEN ? { gitlab: gitlabFeedback({ apiUrl: cfg.GITLAB_API_URL, token: secrets.GITLAB_TOKEN, http }) } : {}),
  };
}

let plan: PlanServices | undefined;

/** Plans look Huawei up only when intake has Huawei credentials; otherwise the table alone answers "exists". */
function planServices(secrets: SecretsEnv): PlanServices {
  if (plan) return plan;
  const infra = infraConfig();
  const { http: _http, ...clients } = feedbackClients(secrets);
  let cloud: PlanServices['cloud'];
  try {
    cloud = HuaweiCloudClient.fromConfig({ retryBudgetMs: 5_000 });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
  plan = {
    store: { table: { ddb: documentClient(), tableName: infra.TABLE_NAME }, now: () => new Date() },
    defaults: intakeDeps().defaults,
    ...clients,
    ...(cloud ? { cloud } : {}),
  };
  return plan;
}

let notifier: NotifyDeps | undefined;

/** The notifier's wiring: its table records, provider clients, Jira and the generic subscribers. */
export async function notifyDeps(logger: AppLogger): Promise<NotifyDeps> {
  if (notifier) return notifier;
  const infra = infraConfig();
  const cfg = notifyConfig();
  const secrets = await loadSecrets();
  const jira =
    cfg.JIRA_BASE_URL && cfg.JIRA_EMAIL && secrets.JIRA_API_TOKEN
      ? {
          client: jiraFeedback({ baseUrl: cfg.JIRA_BASE_URL, email: cfg.JIRA_EMAIL, apiToken: secrets.JIRA_API_TOKEN, http: notifyHttp() }),
          ...(cfg.JIRA_TRANSITION_ON_SUCCESS ? { transitionOnSuccess: cfg.JIRA_TRANSITION_ON_SUCCESS } : {}),
          ...(cfg.JIRA_TRANSITION_ON_FAILURE ? { transitionOnFailure: cfg.JIRA_TRANSITION_ON_FAILURE } : {}),
        }
      : undefined;
  notifier = {
    store: { table: { ddb: documentClient(), tableName: infra.TABLE_NAME }, now: () => new Date() },
    ...feedbackClients(secrets),
    ...(jira ? { jira } : {}),
    subscribers: secrets.WEBHOOK_SUBSCRIBERS ?? [],
    ...(cfg.PUBLIC_BASE_URL ? { publicBaseUrl: cfg.PUBLIC_BASE_URL } : {}),
    logger,
  };
  return notifier;
}

let execution: DispatchDeps | undefined;

/** Everything the dispatcher and poller share: table, queues, topic, Huawei client and timing. */
export function executionDeps(logger: AppLogger): DispatchDeps {
  if (execution) return execution;
  const infra = infraConfig();
  const timing = executionConfig();
  if (!infra.EVENTS_TOPIC_ARN) throw new ConfigError('EVENTS_TOPIC_ARN', 'is required but not set');
  execution = {
    table: { ddb: documentClient(), tableName: infra.TABLE_NAME },
    topic: { sns: snsClient(), topicArn: infra.EVENTS_TOPIC_ARN },
    dispatch: { sqs: sqsClient(), queueUrl: infra.DISPATCH_QUEUE_URL },
    cloud: HuaweiCloudClient.fromConfig({ logger }),
    now: () => new Date(),
    logger,
    settings: {
      leaseSeconds: timing.DISPATCH_LEASE_SECONDS,
      waitRecheckSeconds: timing.WAIT_RECHECK_SECONDS,
      pollScale: timing.POLL_BACKOFF_SCALE,
      maxReceives: timing.DISPATCH_MAX_RECEIVES,
    },
  };
  return execution;
}

/**
 * What Lambda entry points are given: clients built once per container, and what holds secrets rebuilt when they
 * change. The logger and the cold-start configuration check are shared/lambda.ts's.
 */
import { documentClient } from './aws/dynamodb';
import { snsClient } from './aws/sns';
import { sqsClient } from './aws/sqs';
import {
  ConfigError,
  executionConfig,
  executionInfraConfig,
  intakeConfig,
  intakeQueueConfig,
  correctionQueueConfig,
  notifyApprovalConfig,
  notifyConfig,
  parseFunctionEnv,
  queuedGraceSeconds,
  resyncConfig,
  section,
  submitConfig,
  tableConfig,
} from './config';
import type { ReconcileDeps } from './reconcile/dispatch';
import { cloudApi } from './reconcile/cloud';
import type { Policy } from './policy/document';
import { HuaweiCloudClient } from './huaweicloud/client';
import type { AppLogger } from './http/app';
import type { PeopleServices } from './http/people';
import type { ProviderSettings } from './intake/service';
import type { IntakeDeps } from './intake/submit';
import { loadSecrets } from './secrets';
import type { SecretsEnv } from './config';
import { githubFeedback } from './notify/github';
import { gitlabFeedback } from './notify/gitlab';
import type { HttpSettings } from './notify/http';
import { jiraFeedback } from './notify/jira';
import type { NotifyDeps } from './notify/notifier';
import type { PlanServices } from './intake/plan-jobs';
import type { ResyncDeps } from './intake/resync';

let intake: IntakeDeps | undefined;

/** What submitting needs (intake and the API): the table, the dispatch queue, the topic and the defaults. */
export function intakeDeps(): IntakeDeps {
  if (intake) return intake;
  const infra = submitConfig();
  const cfg = intakeConfig();
  intake = {
    table: { ddb: documentClient(), tableName: infra.TABLE_NAME },
    dispatch: { sqs: sqsClient(), queueUrl: infra.DISPATCH_QUEUE_URL },
    defaults: { ...(cfg.HUAWEICLOUD_SDK_PROJECT_ID ? { projectId: cfg.HUAWEICLOUD_SDK_PROJECT_ID } : {}), region: cfg.HUAWEICLOUD_REGION },
    queuedGraceSeconds: queuedGraceSeconds(),
    ownerGroups: cfg.OWNER_GROUPS,
    approvalTimeoutHours: cfg.APPROVAL_TIMEOUT_HOURS,
    ...(cfg.PRUNE || cfg.PRUNE_REPOSITORIES.length > 0 ? { prune: { all: cfg.PRUNE, repositories: cfg.PRUNE_REPOSITORIES } } : {}),
    // Optional so intake runs without a topic (tests, early setups); deployed, request.accepted/rejected go out.
    ...(infra.EVENTS_TOPIC_ARN ? { topic: { sns: snsClient(), topicArn: infra.EVENTS_TOPIC_ARN } } : {}),
  };
  return intake;
}

const uiFunctionConfig = section((env) => parseFunctionEnv('ui', env));
let people: PeopleServices | undefined;

/** The pages' services (functions/ui.ts): the table only. Checked on each call (memoised), built once. */
export function peopleServices(): PeopleServices {
  uiFunctionConfig();
  return (people ??= {
    table: { ddb: documentClient(), tableName: tableConfig().TABLE_NAME },
    ...(intakeConfig().OWNER_GROUPS.size > 0 ? { ownerGroups: intakeConfig().OWNER_GROUPS } : {}),
  });
}

/** `policy`: the one intake applies (shared/governance.ts), so plans judge as the merge's push will be judged. */
export async function providerSettings(policy?: Policy): Promise<ProviderSettings> {
  const cfg = intakeConfig();
  const secrets = await loadSecrets();
  return {
    globs: cfg.MANIFEST_GLOBS,
    github: { apiUrl: cfg.GITHUB_API_URL, ...(secrets.GITHUB_TOKEN ? { token: secrets.GITHUB_TOKEN } : {}) },
    gitlab: { apiUrl: cfg.GITLAB_API_URL, ...(secrets.GITLAB_TOKEN ? { token: secrets.GITLAB_TOKEN } : {}) },
    requirePrApprovals: cfg.REQUIRE_PR_APPROVALS,
    // Built on the first plan job: other messages need neither the Huawei client nor the notify settings.
    get plan() {
      return { ...planServices(secrets), ...(policy ? { policy } : {}) };
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

type PlanLookups = Pick<PlanServices, 'store' | 'defaults' | 'cloud' | 'ownerGroups'>;
/** Per retry budget: the local stack runs the webhook's dry runs and intake's plans in one process. */
const lookups = new Map<number, PlanLookups>();

/**
 * What plans and dry runs look resources up with: the table, and Huawei only where this function has Huawei
 * credentials (an incomplete Huawei configuration means table only, as it is optional here).
 */
export function planLookups(retryBudgetMs: number): PlanLookups {
  const known = lookups.get(retryBudgetMs);
  if (known) return known;
  let cloud: PlanServices['cloud'];
  try {
    cloud = cloudApi(HuaweiCloudClient.fromConfig({ retryBudgetMs }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
  const built: PlanLookups = {
    store: { table: { ddb: documentClient(), tableName: submitConfig().TABLE_NAME }, now: () => new Date() },
    defaults: intakeDeps().defaults,
    ownerGroups: intakeConfig().OWNER_GROUPS,
    ...(cloud ? { cloud } : {}),
  };
  lookups.set(retryBudgetMs, built);
  return built;
}

/** Rebuilt when the secrets change (loadSecrets returns the same object until then), so rotated provider tokens are used. */
let plan: { secrets: SecretsEnv; services: PlanServices } | undefined;

function planServices(secrets: SecretsEnv): PlanServices {
  if (plan?.secrets === secrets) return plan.services;
  const { http: _http, ...clients } = feedbackClients(secrets);
  const { prune } = intakeDeps();
  plan = { secrets, services: { ...planLookups(5_000), ...clients, ...(prune ? { prune } : {}) } };
  return plan.services;
}

let notifier: { secrets: SecretsEnv; deps: NotifyDeps } | undefined;

/**
 * The notifier's wiring: its table records, provider clients, Jira and the generic subscribers. Rebuilt when the
 * secrets change, so rotated provider tokens and subscriber keys are used once read.
 */
export async function notifyDeps(logger: AppLogger): Promise<NotifyDeps> {
  const secrets = await loadSecrets();
  if (notifier?.secrets === secrets) return notifier.deps;
  const infra = tableConfig();
  const cfg = notifyConfig();
  const approvalStatus = notifyApprovalConfig().JIRA_APPROVAL_STATUS;
  const jira =
    cfg.JIRA_BASE_URL && cfg.JIRA_EMAIL && secrets.JIRA_API_TOKEN
      ? {
          client: jiraFeedback({ baseUrl: cfg.JIRA_BASE_URL, email: cfg.JIRA_EMAIL, apiToken: secrets.JIRA_API_TOKEN, http: notifyHttp() }),
          ...(cfg.JIRA_TRANSITION_ON_SUCCESS ? { transitionOnSuccess: cfg.JIRA_TRANSITION_ON_SUCCESS } : {}),
          ...(cfg.JIRA_TRANSITION_ON_FAILURE ? { transitionOnFailure: cfg.JIRA_TRANSITION_ON_FAILURE } : {}),
          ...(approvalStatus ? { approvalStatus } : {}),
        }
      : undefined;
  const deps: NotifyDeps = {
    store: { table: { ddb: documentClient(), tableName: infra.TABLE_NAME }, now: () => new Date() },
    ...feedbackClients(secrets),
    ...(jira ? { jira } : {}),
    subscribers: secrets.WEBHOOK_SUBSCRIBERS ?? [],
    ...(cfg.PUBLIC_BASE_URL ? { publicBaseUrl: cfg.PUBLIC_BASE_URL } : {}),
    ...(secrets.UI_SIGNING_KEY ? { linkKey: secrets.UI_SIGNING_KEY } : {}),
    linkTtlDays: cfg.LINK_TTL_DAYS,
    logger,
  };
  notifier = { secrets, deps };
  return deps;
}

let execution: ReconcileDeps | undefined;

/** Everything the dispatcher and poller share: table, queues, topic, Huawei client and timing. */
export function executionDeps(logger: AppLogger): ReconcileDeps {
  if (execution) return execution;
  const infra = executionInfraConfig();
  const timing = executionConfig();
  const correctionQueue = correctionQueueConfig().INTAKE_QUEUE_URL;
  execution = {
    table: { ddb: documentClient(), tableName: infra.TABLE_NAME },
    topic: { sns: snsClient(), topicArn: infra.EVENTS_TOPIC_ARN },
    dispatch: { sqs: sqsClient(), queueUrl: infra.DISPATCH_QUEUE_URL },
    ...(correctionQueue ? { intake: { sqs: sqsClient(), queueUrl: correctionQueue } } : {}),
    cloud: cloudApi(HuaweiCloudClient.fromConfig({ logger })),
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

let resync: { secrets: SecretsEnv; deps: ResyncDeps } | undefined;

/** The resync's wiring: the table, the intake queue and the provider APIs; rebuilt when the secrets change (rotated tokens). */
export async function resyncDeps(logger: AppLogger): Promise<ResyncDeps> {
  const secrets = await loadSecrets();
  if (resync?.secrets === secrets) return resync.deps;
  const infra = tableConfig();
  const cfg = intakeConfig();
  const deps: ResyncDeps = {
    table: { ddb: documentClient(), tableName: infra.TABLE_NAME },
    intakeQueue: { sqs: sqsClient(), queueUrl: intakeQueueConfig().INTAKE_QUEUE_URL },
    github: { apiUrl: cfg.GITHUB_API_URL, ...(secrets.GITHUB_TOKEN ? { token: secrets.GITHUB_TOKEN } : {}) },
    gitlab: { apiUrl: cfg.GITLAB_API_URL, ...(secrets.GITLAB_TOKEN ? { token: secrets.GITLAB_TOKEN } : {}) },
    repositories: resyncConfig().RESYNC_REPOSITORIES,
    logger,
  };
  resync = { secrets, deps };
  return deps;
}

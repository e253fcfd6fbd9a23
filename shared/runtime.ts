/** Wiring for Lambda entry points: configuration, clients and logger, built once per container. */
import { Logger } from '@aws-lambda-powertools/logger';
import { documentClient, snsClient, sqsClient } from './aws';
import { ConfigError, executionConfig, infraConfig, intakeConfig, queuedGraceSeconds } from './config';
import type { DispatchDeps } from './dispatch/dispatcher';
import { HuaweiCloudClient } from './huaweicloud/client';
import type { AppLogger, AppServices } from './http/app';
import type { ProviderSettings } from './intake/service';
import type { IntakeDeps } from './intake/submit';
import { loadSecrets } from './secrets';

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
  };
  return intake;
}

export function appServices(): AppServices {
  return {
    intake: intakeDeps(),
    intakeQueue: { sqs: sqsClient(), queueUrl: infraConfig().INTAKE_QUEUE_URL },
    trackedBranches: intakeConfig().TRACKED_BRANCHES,
  };
}

export async function providerSettings(): Promise<ProviderSettings> {
  const cfg = intakeConfig();
  const secrets = await loadSecrets();
  return {
    globs: cfg.MANIFEST_GLOBS,
    github: { apiUrl: cfg.GITHUB_API_URL, ...(secrets.GITHUB_TOKEN ? { token: secrets.GITHUB_TOKEN } : {}) },
    gitlab: { apiUrl: cfg.GITLAB_API_URL, ...(secrets.GITLAB_TOKEN ? { token: secrets.GITLAB_TOKEN } : {}) },
  };
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

/** Test wiring for the HTTP app and intake against the emulators: known secrets, per-file resources, signed requests. */
import { createHmac } from 'node:crypto';
import type { AppLogger, AppServices } from '../../shared/http/app';
import { createWholeApp } from '../../shared/http/app';
import type { SecretsEnv } from '../../shared/config';
import type { ProviderSettings } from '../../shared/intake/service';
import type { IntakeDeps } from '../../shared/intake/submit';
import type { LocalStack } from '../setup/stack';

export const SECRETS: SecretsEnv = {
  GITHUB_WEBHOOK_SECRET: 'gh-secret-for-tests',
  GITLAB_WEBHOOK_TOKEN: 'gl-token-for-tests',
  JIRA_WEBHOOK_SECRET: 'jira-secret-for-tests',
  API_TOKENS: [{ caller: 'ci', token: 'api-token-for-tests-0123456789abcdef', roles: ['submit'] }],
  GITHUB_TOKEN: 'ghp_provider_token',
  GITLAB_TOKEN: 'glpat_provider_token',
};

export const PROJECT_ID = '0123456789abcdef0123456789abcdef';

/** Collects log lines so tests can assert what was (and was not) logged. */
export function memoryLogger(): AppLogger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: string, extra?: Record<string, unknown>) =>
    lines.push(`${level} ${message} ${JSON.stringify(extra ?? {})}`);
  return { lines, info: push('info'), warn: push('warn'), error: push('error') };
}

export function intakeDepsFor(stack: LocalStack): IntakeDeps {
  return {
    table: { ddb: stack.ddb, tableName: stack.tableName },
    dispatch: { sqs: stack.sqs, queueUrl: stack.queues.dispatch.url },
    defaults: { projectId: PROJECT_ID, region: 'cn-north-4' },
  };
}

export function appFor(
  stack: LocalStack,
  opts: {
    trackedBranches?: string[];
    planForkPullRequests?: boolean;
    logger?: AppLogger;
    secrets?: SecretsEnv;
    /** The policy (and preflight) calls are judged by. */
    governance?: Pick<IntakeDeps, 'policy' | 'preflight'>;
    jiraApprovalStatus?: string;
    intake?: Partial<IntakeDeps>;
  } = {},
) {
  const services: AppServices = {
    intake: { ...intakeDepsFor(stack), ...opts.intake },
    intakeQueue: { sqs: stack.sqs, queueUrl: stack.queues.intake.url },
    trackedBranches: opts.trackedBranches ?? [],
    ...(opts.planForkPullRequests !== undefined ? { planForkPullRequests: opts.planForkPullRequests } : {}),
    ...(opts.governance ? { governance: async () => opts.governance! } : {}),
    ...(opts.jiraApprovalStatus ? { jiraApprovalStatus: opts.jiraApprovalStatus } : {}),
  };
  return createWholeApp({ logger: opts.logger ?? memoryLogger(), secrets: async () => opts.secrets ?? SECRETS, services: () => services });
}

export const hubSignature = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** Intake's provider settings against the fake GitHub and GitLab APIs (local/fake-providers/git.ts), with our tokens. */
export function fakeProviderSettings(
  providers: { url: string },
  globs: string[] = ['provisioning/**/*.{yaml,yml,json}'],
): ProviderSettings {
  return {
    globs,
    github: { apiUrl: `${providers.url}/github`, token: SECRETS.GITHUB_TOKEN! },
    gitlab: { apiUrl: `${providers.url}/gitlab`, token: SECRETS.GITLAB_TOKEN! },
  };
}

/**
 * The services of the webhook and API functions. The API function is wired from its start (api-services.ts); the
 * webhook function is not wired at all: a delivery only queues a job (functions/webhook.ts).
 */
import { sqsClient } from '../aws/sqs';
import { intakeConfig, intakeQueueConfig, parseFunctionEnv, section, type FunctionName } from '../config';
import type { IntakeDeps } from '../intake/submit';
import type { AppServices } from './common';

/** What the API's routes are built over. The plan's look-ups and the policy are optional for tests' sake. */
export interface ServiceWiring {
  intakeDeps(): IntakeDeps;
  planLookups?(retryBudgetMs: number): NonNullable<AppServices['plan']>;
  governanceDeps?(): Promise<Pick<IntakeDeps, 'policy' | 'preflight'>>;
}

/**
 * Asked for several times per request: the function's configuration is checked each time (memoised), so that an
 * invalid one answers 503 naming the variable rather than failing the cold start; the services are built once.
 */
export function servicesOver(name: FunctionName, wiring?: ServiceWiring): () => AppServices {
  const configured = section((env) => parseFunctionEnv(name, env));
  let services: AppServices | undefined;
  let intakeQueue: AppServices['intakeQueue'] | undefined;
  // A route that needs what this function does not wire fails loudly: never a submission without its policy.
  const missing = (what: string) => new Error(`${what} is not wired in the ${name} function`);
  const wired = (): ServiceWiring => {
    if (!wiring) throw missing('the table');
    return wiring;
  };
  return () => {
    configured();
    return (services ??= {
      get intake() {
        return wired().intakeDeps();
      },
      // Built when a delivery first queues a job: the API function has no intake queue.
      get intakeQueue() {
        return (intakeQueue ??= { sqs: sqsClient(), queueUrl: intakeQueueConfig().INTAKE_QUEUE_URL });
      },
      trackedBranches: intakeConfig().TRACKED_BRANCHES,
      planForkPullRequests: intakeConfig().PLAN_FORK_PULL_REQUESTS,
      get plan() {
        const { planLookups } = wired();
        if (!planLookups) throw missing('the plan look-ups');
        // A synchronous HTTP call: Huawei look-ups get a short budget of their own.
        return planLookups(2_000);
      },
      async governance() {
        const { governanceDeps } = wired();
        if (!governanceDeps) throw missing('the policy');
        return governanceDeps();
      },
      ...(intakeConfig().JIRA_APPROVAL_STATUS ? { jiraApprovalStatus: intakeConfig().JIRA_APPROVAL_STATUS } : {}),
    });
  };
}

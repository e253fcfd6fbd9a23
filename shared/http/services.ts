/**
 * The services of the webhook and API functions. The API function has its wiring from its start
 * (api-services.ts); the webhook function has none: a delivery only queues a job (functions/webhook.ts).
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
export function servicesOver(name: FunctionName, load?: () => Promise<ServiceWiring>): () => AppServices {
  const configured = section((env) => parseFunctionEnv(name, env));
  let wiring: ServiceWiring | undefined;
  let services: AppServices | undefined;
  let intakeQueue: AppServices['intakeQueue'] | undefined;
  // A route that needs what this function does not wire fails loudly: never a submission without its policy.
  const missing = (what: string) => new Error(`${what} is not wired in the ${name} function`);
  const loaded = (): ServiceWiring => {
    if (!load) throw missing('the table');
    if (!wiring) throw new Error('a route ran before its services were loaded (AppServices.ready)');
    return wiring;
  };
  return () => {
    configured();
    return (services ??= {
      ...(load
        ? {
            async ready() {
              wiring ??= await load();
            },
          }
        : {}),
      get intake() {
        return loaded().intakeDeps();
      },
      // Built when a delivery first queues a job: the API function has no intake queue.
      get intakeQueue() {
        return (intakeQueue ??= { sqs: sqsClient(), queueUrl: intakeQueueConfig().INTAKE_QUEUE_URL });
      },
      trackedBranches: intakeConfig().TRACKED_BRANCHES,
      planForkPullRequests: intakeConfig().PLAN_FORK_PULL_REQUESTS,
      get plan() {
        const { planLookups } = loaded();
        if (!planLookups) throw missing('the plan look-ups');
        // A synchronous HTTP call: Huawei look-ups get a short budget of their own.
        return planLookups(2_000);
      },
      async governance() {
        const { governanceDeps } = loaded();
        if (!governanceDeps) throw missing('the policy');
        return governanceDeps();
      },
      ...(intakeConfig().JIRA_APPROVAL_STATUS ? { jiraApprovalStatus: intakeConfig().JIRA_APPROVAL_STATUS } : {}),
    });
  };
}

/**
 * The webhook function's services. A provider delivery needs only the intake queue; the API routes also need the
 * table, the topic and Huawei, whose SDK packages and wiring (shared/runtime.ts) `ready()` loads before such a route
 * runs, and the policy with its language (shared/governance.ts), loaded when a submission is first admitted. A cold
 * start for a delivery therefore never initialises the DynamoDB and SNS clients' packages nor the CEL evaluator.
 */
import { sqsClient } from '../aws/sqs';
import { intakeConfig, intakeQueueConfig, parseFunctionEnv, section } from '../config';
import type { AppServices } from './app';

/** The webhook checks its configuration on every request (memoised): it answers 503 naming the variable rather than fail. */
const webhookConfig = section((env) => parseFunctionEnv('webhook', env));

let runtime: typeof import('../runtime') | undefined;
let services: AppServices | undefined;

function loaded(): typeof import('../runtime') {
  if (!runtime) throw new Error('the API routes ran before their services were loaded (AppServices.ready)');
  return runtime;
}

/** Asked for several times per request: checked each time (memoised), built once. */
export function appServices(): AppServices {
  webhookConfig();
  return (services ??= {
    async ready() {
      runtime ??= await import('../runtime');
    },
    get intake() {
      return loaded().intakeDeps();
    },
    intakeQueue: { sqs: sqsClient(), queueUrl: intakeQueueConfig().INTAKE_QUEUE_URL },
    trackedBranches: intakeConfig().TRACKED_BRANCHES,
    planForkPullRequests: intakeConfig().PLAN_FORK_PULL_REQUESTS,
    get plan() {
      // A synchronous HTTP call: Huawei look-ups get a short budget of their own.
      return loaded().planLookups(2_000);
    },
    governance: async () => (await import('../governance')).governanceDeps(),
    ...(intakeConfig().JIRA_APPROVAL_STATUS ? { jiraApprovalStatus: intakeConfig().JIRA_APPROVAL_STATUS } : {}),
  });
}

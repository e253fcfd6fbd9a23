/**
 * What submitting needs (intake and the API): the table, the dispatch queue, the topic and the defaults, built
 * once per container.
 */
import { documentClient } from '../aws/dynamodb';
import { snsClient } from '../aws/sns';
import { sqsClient } from '../aws/sqs';
import { intakeConfig, queuedGraceSeconds, submitConfig } from '../config';
import type { IntakeDeps } from './submit';

let intake: IntakeDeps | undefined;

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

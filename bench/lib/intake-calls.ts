/**
 * The AWS calls intake makes for one record of its sample event, in its order and concurrency: what the cold-start
 * fixtures measure (bench/fixtures/intake-io-floor.ts) and what warms the emulators before they do.
 */
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, type DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

export interface IntakeCallClients {
  ddb: DynamoDBDocumentClient;
  sqs: SQSClient;
  sns: SNSClient;
}

export interface IntakeCallTargets {
  tableName: string;
  queueUrl: string;
  topicArn: string;
}

export async function intakeRecordCalls({ ddb, sqs, sns }: IntakeCallClients, to: IntakeCallTargets, messageId: string): Promise<void> {
  const table = to.tableName;
  const managed = { pk: `FLOOR#MANAGED#${messageId}`, sk: 'MANAGED' };
  const request = { pk: `FLOOR#REQ#${messageId}`, sk: 'REQUEST' };
  // Admission reads the managed resource; intake's one transaction writes request, resource and delivery and
  // checks the managed resource's owner; dispatch message and event go out side by side; the outbox is cleared.
  await ddb.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: [managed] } } }));
  const put = (item: Record<string, unknown>) => ({
    Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
  });
  await ddb.send(
    new TransactWriteCommand({
      TransactItems: [
        put({ ...request, phase: 'Accepted', pendingEvents: [{ id: messageId }] }),
        put({ pk: request.pk, sk: 'RESOURCE#1', state: 'Queued' }),
        { Put: { TableName: table, Item: { pk: `FLOOR#DELIVERY#${messageId}`, sk: 'DELIVERY' } } },
        { ConditionCheck: { TableName: table, Key: managed, ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
    }),
  );
  await Promise.all([
    sqs.send(new SendMessageBatchCommand({ QueueUrl: to.queueUrl, Entries: [{ Id: '0', MessageBody: messageId }] })),
    sns.send(new PublishBatchCommand({ TopicArn: to.topicArn, PublishBatchRequestEntries: [{ Id: '0', Message: messageId }] })),
  ]);
  await ddb.send(new UpdateCommand({ TableName: table, Key: request, UpdateExpression: 'REMOVE pendingEvents' }));
}

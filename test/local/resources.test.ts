import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { provisionResources } from '../../local/resources';
import { DUE_INDEX, RECENT_INDEX, TTL_ATTRIBUTE } from '../../shared/store/schema';
import { type LocalStack, useLocalResources } from '../setup/stack';

describe('provisionResources', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await useLocalResources();
  });
  afterAll(() => stack?.close());

  it('is idempotent: a second run finds the same resources', async () => {
    const prefix = stack.tableName.replace(/-table$/, '');
    const again = await provisionResources({ prefix, sqsEndpoint: inject('sqsEndpoint'), dynamodbEndpoint: inject('dynamodbEndpoint') });
    const { env: _env, ...rest } = stack;
    expect(again).toEqual({
      tableName: rest.tableName,
      queues: rest.queues,
      topicArn: rest.topicArn,
      env: stack.env,
    });
  });

  it('creates the table from the schema with TTL enabled', async () => {
    const { Table } = await stack.dynamodb.send(new DescribeTableCommand({ TableName: stack.tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([DUE_INDEX.name, RECENT_INDEX.name]);
    const ttl = await stack.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: stack.tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: TTL_ATTRIBUTE });
  });

  it('names everything after the prefix and wires each work queue to its DLQ', async () => {
    const prefix = stack.tableName.replace(/-table$/, '');
    expect(stack.topicArn).toBe(`arn:aws:sns:us-east-1:000000000000:${prefix}-events`);
    await stack.sns.send(new GetTopicAttributesCommand({ TopicArn: stack.topicArn }));
    for (const kind of ['intake', 'dispatch', 'notify'] as const) {
      const pair = stack.queues[kind];
      expect(pair.arn).toBe(`arn:aws:sqs:us-east-1:000000000000:${prefix}-${kind}`);
      expect(pair.dlqArn).toBe(`${pair.arn}-dlq`);
      const { Attributes } = await stack.sqs.send(new GetQueueAttributesCommand({ QueueUrl: pair.url, AttributeNames: ['All'] }));
      expect(Attributes?.VisibilityTimeout).toBe('30');
      expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: pair.dlqArn, maxReceiveCount: 5 });
    }
  });

  it('returns the env the product reads', () => {
    expect(stack.env).toEqual({
      TABLE_NAME: stack.tableName,
      INTAKE_QUEUE_URL: stack.queues.intake.url,
      DISPATCH_QUEUE_URL: stack.queues.dispatch.url,
      NOTIFY_QUEUE_URL: stack.queues.notify.url,
      EVENTS_TOPIC_ARN: stack.topicArn,
      AWS_ENDPOINT_URL_SQS: inject('sqsEndpoint'),
      AWS_ENDPOINT_URL_SNS: inject('snsEndpoint'),
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamodbEndpoint'),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
  });

  it('moves a message received 5 times without a delete to the DLQ', async () => {
    const { url, dlqUrl } = stack.queues.dispatch;
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    const counts: string[] = [];
    for (let receive = 1; receive <= 6; receive++) {
      // VisibilityTimeout 0: the message is visible again at once, standing in for a failed handler.
      const { Messages = [] } = await stack.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
      );
      counts.push(...Messages.map((message) => message.Attributes!.ApproximateReceiveCount!));
    }
    expect(counts).toEqual(['1', '2', '3', '4', '5']);
    expect(await stack.drainQueue(dlqUrl, { count: 1 })).toEqual(['poison']);
    expect(await stack.drainQueue(url, { waitMs: 100 })).toEqual([]);
  });
});

import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalStack, useLocalResources } from '../setup/stack';

describe('emulators through the AWS SDK', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await useLocalResources();
  });
  afterAll(() => stack?.close());

  it('provides loopback endpoints, SNS on the SQS port', () => {
    expect(inject('sqsEndpoint')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(inject('snsEndpoint')).toBe(inject('sqsEndpoint'));
    expect(inject('dynamodbEndpoint')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('puts and gets an item in DynamoDB Local', async () => {
    const item = { pk: 'req#1', sk: 'meta', status: 'queued', attempts: 2, tags: ['a', 'b'], expiresAt: 2_000_000_000 };
    await stack.ddb.send(new PutCommand({ TableName: stack.tableName, Item: { ...item, ignored: undefined } }));
    const { Item } = await stack.ddb.send(new GetCommand({ TableName: stack.tableName, Key: { pk: 'req#1', sk: 'meta' } }));
    expect(Item).toEqual(item);
  });

  it('sends and receives a message with attributes', async () => {
    const url = stack.queues.intake.url;
    expect(url).toMatch(/\/000000000000\/t[0-9a-f]+-intake$/);
    await stack.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify({ hello: 'world' }),
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'push' } },
      }),
    );
    const [message, ...rest] = await stack.drainMessages(url, { count: 1 });
    expect(rest).toEqual([]);
    expect(JSON.parse(message!.Body!)).toEqual({ hello: 'world' });
    expect(message!.MessageAttributes?.kind?.StringValue).toBe('push');
    expect(await stack.drainQueue(url, { waitMs: 100 })).toEqual([]);
  });

  it('delivers SNS publishes to a subscribed queue according to its filter policy', async () => {
    const { QueueUrl } = await stack.sqs.send(new CreateQueueCommand({ QueueName: `${stack.tableName}-events-probe` }));
    const { Attributes } = await stack.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await stack.subscribeQueue(stack.topicArn, Attributes!.QueueArn!, { type: ['request.completed'] });

    const publish = (type: string, id: number) =>
      stack.sns.send(
        new PublishCommand({
          TopicArn: stack.topicArn,
          Message: JSON.stringify({ type, id }),
          MessageAttributes: { type: { DataType: 'String', StringValue: type } },
        }),
      );
    await publish('request.completed', 1);
    await publish('request.failed', 2);
    await publish('request.completed', 3);

    const bodies = await stack.drainQueue(QueueUrl!, { waitMs: 300 });
    // Raw delivery: the body is the published message, not SNS's envelope.
    expect(bodies.map((body) => JSON.parse(body)).sort((a, b) => a.id - b.id)).toEqual([
      { type: 'request.completed', id: 1 },
      { type: 'request.completed', id: 3 },
    ]);
  });

  it('can deliver the SNS envelope and filter on the body', async () => {
    const { QueueUrl } = await stack.sqs.send(new CreateQueueCommand({ QueueName: `${stack.tableName}-envelope-probe` }));
    const { Attributes } = await stack.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await stack.subscribeQueue(stack.topicArn, Attributes!.QueueArn!, { kind: ['pool'] }, { raw: false, filterPolicyScope: 'MessageBody' });
    await stack.sns.send(new PublishCommand({ TopicArn: stack.topicArn, Message: JSON.stringify({ kind: 'pool', n: 1 }) }));
    await stack.sns.send(new PublishCommand({ TopicArn: stack.topicArn, Message: JSON.stringify({ kind: 'edge', n: 2 }) }));
    const bodies = await stack.drainQueue(QueueUrl!, { waitMs: 300 });
    expect(bodies).toHaveLength(1);
    const envelope = JSON.parse(bodies[0]!);
    expect(envelope).toMatchObject({ Type: 'Notification', TopicArn: stack.topicArn });
    expect(JSON.parse(envelope.Message)).toEqual({ kind: 'pool', n: 1 });
  });
});

/** Creates the product's table, queues (with DLQs) and topic on the local emulators, idempotently, and the env that points at them. */
import {
  type CreateTableCommandInput,
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { TABLE_DEFINITION, TTL_ATTRIBUTE } from '../shared/store/schema';
import { LOCAL_REGION, localAwsConfig, localSetupAwsConfig } from './emulators';

/** Receives before SQS moves a message to the queue's DLQ. */
export const MAX_RECEIVE_COUNT = 5;
/**
 * Work queues' visibility timeout locally. Deployed queues use 6x the function timeout (serverless.yml);
 * locally a failed record should come back within half a minute, and local handlers finish well inside it.
 */
export const WORK_QUEUE_VISIBILITY_TIMEOUT_S = 30;
/** DLQs keep messages for SQS's maximum (14 days) so nothing ages out before someone looks. */
const DLQ_RETENTION_S = 14 * 24 * 60 * 60;

export const QUEUE_KINDS = ['intake', 'dispatch', 'notify'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

export interface QueuePair {
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
}

export interface LocalResources {
  tableName: string;
  queues: Record<QueueKind, QueuePair>;
  topicArn: string;
  /** The configuration variables the product reads (see shared/config.ts), pointing at the emulators. */
  env: Record<string, string>;
}

export interface ProvisionOptions {
  /** Name prefix of every resource; unique prefixes keep callers (e.g. test files) apart on shared emulators. */
  prefix: string;
  sqsEndpoint: string;
  dynamodbEndpoint: string;
  /** fauxqs serves SNS on the SQS endpoint, so this defaults to sqsEndpoint. */
  snsEndpoint?: string;
  /** Call as the setup caller, which a restarting fauxqs lets through first (see SqsEmulator.restart). */
  asSetupCaller?: boolean;
}

type DeepMutable<T> = { -readonly [K in keyof T]: DeepMutable<T[K]> };

/** Creates everything (or finds what already exists) and returns names, URLs, ARNs and env. */
export async function provisionResources(opts: ProvisionOptions): Promise<LocalResources> {
  const snsEndpoint = opts.snsEndpoint ?? opts.sqsEndpoint;
  const aws = opts.asSetupCaller ? localSetupAwsConfig : localAwsConfig;
  const sqs = new SQSClient(aws(opts.sqsEndpoint));
  const sns = new SNSClient(aws(snsEndpoint));
  const dynamodb = new DynamoDBClient(localAwsConfig(opts.dynamodbEndpoint));
  try {
    const tableName = `${opts.prefix}-table`;
    const [, intake, dispatch, notify, topic] = await Promise.all([
      ensureTable(dynamodb, tableName),
      ensureQueuePair(sqs, `${opts.prefix}-intake`),
      ensureQueuePair(sqs, `${opts.prefix}-dispatch`),
      ensureQueuePair(sqs, `${opts.prefix}-notify`),
      sns.send(new CreateTopicCommand({ Name: `${opts.prefix}-events` })),
    ]);
    if (!topic.TopicArn) throw new Error('CreateTopic returned no TopicArn');
    return {
      tableName,
      queues: { intake, dispatch, notify },
      topicArn: topic.TopicArn,
      env: {
        TABLE_NAME: tableName,
        INTAKE_QUEUE_URL: intake.url,
        DISPATCH_QUEUE_URL: dispatch.url,
        NOTIFY_QUEUE_URL: notify.url,
        EVENTS_TOPIC_ARN: topic.TopicArn,
        AWS_ENDPOINT_URL_SQS: opts.sqsEndpoint,
        AWS_ENDPOINT_URL_SNS: snsEndpoint,
        AWS_ENDPOINT_URL_DYNAMODB: opts.dynamodbEndpoint,
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    };
  } finally {
    sqs.destroy();
    sns.destroy();
    dynamodb.destroy();
  }
}

async function ensureTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  // The schema is declared `as const`; the SDK's input types want mutable arrays.
  const definition = structuredClone(TABLE_DEFINITION) as DeepMutable<typeof TABLE_DEFINITION>;
  const input: CreateTableCommandInput = { TableName: tableName, ...definition };
  try {
    await dynamodb.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30, minDelay: 1 }, { TableName: tableName });
  // Enabling TTL twice is a ValidationException, so look first.
  const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status !== 'ENABLED' && status !== 'ENABLING') {
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  }
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  if (!Attributes?.QueueArn) throw new Error(`no QueueArn for ${url}`);
  return Attributes.QueueArn;
}

/**
 * CreateQueue is idempotent as long as the attributes are identical, so the same attribute strings are
 * sent on every call (a different RedrivePolicy string would be a QueueNameExists error).
 */
async function ensureQueuePair(sqs: SQSClient, name: string): Promise<QueuePair> {
  const dlq = await sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-dlq`, Attributes: { MessageRetentionPeriod: String(DLQ_RETENTION_S) } }),
  );
  if (!dlq.QueueUrl) throw new Error(`CreateQueue ${name}-dlq returned no QueueUrl`);
  const dlqArn = await queueArn(sqs, dlq.QueueUrl);
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(WORK_QUEUE_VISIBILITY_TIMEOUT_S),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
      },
    }),
  );
  if (!main.QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  return { url: main.QueueUrl, arn: await queueArn(sqs, main.QueueUrl), dlqUrl: dlq.QueueUrl, dlqArn };
}

export interface SubscribeOptions {
  /** Deliver the published message as the SQS body (default) instead of SNS's JSON envelope. */
  raw?: boolean;
  /** Whether the filter policy matches message attributes (default) or the JSON message body. */
  filterPolicyScope?: 'MessageAttributes' | 'MessageBody';
}

/**
 * Subscribes a queue to a topic, e.g. for a test that wants to see published events. Idempotent for the
 * same arguments. No queue policy is set: fauxqs does not check one (real AWS would need it).
 */
export async function subscribeQueue(
  sns: SNSClient,
  topicArn: string,
  queueArn: string,
  filterPolicy?: Record<string, unknown>,
  opts: SubscribeOptions = {},
): Promise<string> {
  const attributes: Record<string, string> = { RawMessageDelivery: String(opts.raw ?? true) };
  if (filterPolicy) {
    attributes.FilterPolicy = JSON.stringify(filterPolicy);
    attributes.FilterPolicyScope = opts.filterPolicyScope ?? 'MessageAttributes';
  }
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: attributes, ReturnSubscriptionArn: true }),
  );
  if (!SubscriptionArn) throw new Error('Subscribe returned no SubscriptionArn');
  return SubscriptionArn;
}

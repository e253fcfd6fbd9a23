/** The local AWS stack every benchmark shares: fauxqs in a child process and DynamoDB Local (Java, in memory). */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localAwsConfig, startDynamoDbLocal } from '../../local/emulators';
import { provisionResources, type LocalResources } from '../../local/resources';
import { startChild } from './util';

export interface BenchStack {
  sqsEndpoint: string;
  dynamodbEndpoint: string;
  /** A fresh table, queues and topic under a unique prefix. */
  provision(name: string): Promise<LocalResources>;
  clients(): { sqs: SQSClient; sns: SNSClient; dynamodb: DynamoDBClient; ddb: DynamoDBDocumentClient; destroy(): void };
  stop(): Promise<void>;
}

export async function startBenchStack(): Promise<BenchStack> {
  const fauxqs = startChild<{ endpoint: string }>('procs/fauxqs.ts');
  const [{ endpoint: sqsEndpoint }, dynamodb] = await Promise.all([fauxqs.ready, startDynamoDbLocal()]);
  return {
    sqsEndpoint,
    dynamodbEndpoint: dynamodb.endpoint,
    provision: (name) =>
      provisionResources({ prefix: `b${name}${randomBytes(3).toString('hex')}`, sqsEndpoint, dynamodbEndpoint: dynamodb.endpoint }),
    clients() {
      const sqs = new SQSClient(localAwsConfig(sqsEndpoint));
      const sns = new SNSClient(localAwsConfig(sqsEndpoint));
      const ddbClient = new DynamoDBClient(localAwsConfig(dynamodb.endpoint));
      const ddb = DynamoDBDocumentClient.from(ddbClient, { marshallOptions: { removeUndefinedValues: true } });
      return {
        sqs,
        sns,
        dynamodb: ddbClient,
        ddb,
        destroy() {
          sqs.destroy();
          sns.destroy();
          ddbClient.destroy();
        },
      };
    },
    async stop() {
      await Promise.all([fauxqs.stop(), dynamodb.stop()]);
    },
  };
}

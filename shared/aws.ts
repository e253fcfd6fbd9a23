/** AWS SDK v3 clients, created once per container with the configured endpoints. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsConfig } from './config';

let sqs: SQSClient | undefined;
let sns: SNSClient | undefined;
let ddb: DynamoDBDocumentClient | undefined;

export function sqsClient(): SQSClient {
  const cfg = awsConfig();
  return (sqs ??= new SQSClient({ region: cfg.AWS_REGION, ...(cfg.AWS_ENDPOINT_URL_SQS ? { endpoint: cfg.AWS_ENDPOINT_URL_SQS } : {}) }));
}

export function snsClient(): SNSClient {
  const cfg = awsConfig();
  return (sns ??= new SNSClient({ region: cfg.AWS_REGION, ...(cfg.AWS_ENDPOINT_URL_SNS ? { endpoint: cfg.AWS_ENDPOINT_URL_SNS } : {}) }));
}

export function documentClient(): DynamoDBDocumentClient {
  const cfg = awsConfig();
  if (ddb) return ddb;
  const client = new DynamoDBClient({
    region: cfg.AWS_REGION,
    ...(cfg.AWS_ENDPOINT_URL_DYNAMODB ? { endpoint: cfg.AWS_ENDPOINT_URL_DYNAMODB } : {}),
  });
  // No SDK logger is configured, yet its middleware still walks every input and output to filter what it would
  // log: a measured share of the CPU of reading a 200-resource request. Our own log lines say what happened.
  client.middlewareStack.remove('loggerMiddleware');
  ddb = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return ddb;
}

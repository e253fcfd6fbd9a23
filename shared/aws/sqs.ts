/**
 * The SQS client, created once per container with the configured endpoint. Each AWS client has its own module so
 * that a function loads only the SDK packages it uses (the webhook's deliveries need SQS alone).
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsConfig } from '../config';

let sqs: SQSClient | undefined;

export function sqsClient(): SQSClient {
  const cfg = awsConfig();
  return (sqs ??= new SQSClient({ region: cfg.AWS_REGION, ...(cfg.AWS_ENDPOINT_URL_SQS ? { endpoint: cfg.AWS_ENDPOINT_URL_SQS } : {}) }));
}

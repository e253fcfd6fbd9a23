/** The SNS client (the events topic), created once per container with the configured endpoint. */
import { SNSClient } from '@aws-sdk/client-sns';
import { awsConfig } from '../config';

let sns: SNSClient | undefined;

export function snsClient(): SNSClient {
  const cfg = awsConfig();
  return (sns ??= new SNSClient({ region: cfg.AWS_REGION, ...(cfg.AWS_ENDPOINT_URL_SNS ? { endpoint: cfg.AWS_ENDPOINT_URL_SNS } : {}) }));
}

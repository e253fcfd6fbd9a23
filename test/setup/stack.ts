/** Per-test-file resources on the shared emulators: a unique prefix, ready-made SDK clients and a queue-draining helper. */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { localAwsConfig } from '../../local/emulators';
import { type LocalResources, type SubscribeOptions, provisionResources, subscribeQueue } from '../../local/resources';

export interface DrainOptions {
  /** Stop once the queue has yielded nothing for this long (default 1 s). */
  waitMs?: number;
  /** Stop as soon as this many messages have been collected. */
  count?: number;
  /** Overall cap, so a queue that keeps producing cannot hang a test (default 20 s). */
  maxMs?: number;
}

export interface LocalStack extends LocalResources {
  endpoints: { sqs: string; sns: string; dynamodb: string };
  sqs: SQSClient;
  sns: SNSClient;
  dynamodb: DynamoDBClient;
  /** Document client with the product's marshalling options (undefined attributes dropped). */
  ddb: DynamoDBDocumentClient;
  /** Receives and deletes everything on a queue; returns the bodies in arrival order. */
  drainQueue(url: string, opts?: DrainOptions): Promise<string[]>;
  /** Like drainQueue, but returns the SQS messages (attributes included). */
  drainMessages(url: string, opts?: DrainOptions): Promise<Message[]>;
  /** Subscribes a queue to a topic (raw delivery unless told otherwise); returns the subscription ARN. */
  subscribeQueue(topicArn: string, queueArn: string, filterPolicy?: Record<string, unknown>, opts?: SubscribeOptions): Promise<string>;
  /** Releases the clients' sockets; the emulators' state is dropped at the end of the run anyway. */
  close(): void;
}

/**
 * Provisions the full set of resources under a random prefix, so test files running in parallel never
 * see each other's messages or items. Touches no globals: pass `stack.env` where configuration is needed.
 */
export async function useLocalResources(opts: { prefix?: string } = {}): Promise<LocalStack> {
  const endpoints = { sqs: inject('sqsEndpoint'), sns: inject('snsEndpoint'), dynamodb: inject('dynamodbEndpoint') };
  const prefix = opts.prefix ?? `t${randomBytes(5).toString('hex')}`;
  const resources = await provisionResources({
    prefix,
    sqsEndpoint: endpoints.sqs,
    snsEndpoint: endpoints.sns,
    dynamodbEndpoint: endpoints.dynamodb,
  });
  const sqs = new SQSClient(localAwsConfig(endpoints.sqs));
  const sns = new SNSClient(localAwsConfig(endpoints.sns));
  const dynamodb = new DynamoDBClient(localAwsConfig(endpoints.dynamodb));
  const ddb = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });

  const drainMessages = async (url: string, drain: DrainOptions = {}): Promise<Message[]> => {
    const waitMs = drain.waitMs ?? 1_000;
    const stopAt = Date.now() + (drain.maxMs ?? 20_000);
    const collected: Message[] = [];
    let idleSince = Date.now();
    // Short polls on purpose: fauxqs keeps serving a long poll after the client gives up on it, and
    // would hand a late message to that dead request.
    while (Date.now() < stopAt) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length > 0) {
        collected.push(...Messages);
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
          }),
        );
        idleSince = Date.now();
        if (drain.count !== undefined && collected.length >= drain.count) break;
        continue;
      }
      if (Date.now() - idleSince >= waitMs) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return collected;
  };

  return {
    ...resources,
    endpoints,
    sqs,
    sns,
    dynamodb,
    ddb,
    drainMessages,
    drainQueue: async (url, drain) => (await drainMessages(url, drain)).map((message) => message.Body ?? ''),
    subscribeQueue: (topicArn, queueArn, filterPolicy, subscribe) => subscribeQueue(sns, topicArn, queueArn, filterPolicy, subscribe),
    close() {
      dynamodb.destroy();
      sqs.destroy();
      sns.destroy();
    },
  };
}

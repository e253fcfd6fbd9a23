/** Vitest globalSetup: one fauxqs and one in-memory DynamoDB Local per test run, endpoints handed to tests via provide/inject. */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, startSqsEmulator } from '../../local/emulators';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The SDK warns once per process that releases after January 2027 need Node 22. Lambda runs nodejs22.x,
  // so in tests it is noise repeated by every worker; workers inherit this variable.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // In parallel: fauxqs is ready in ~150 ms, DynamoDB Local's JVM in ~2 s.
  const [sqs, dynamodb] = await Promise.allSettled([startSqsEmulator(), startDynamoDbLocal()]);
  if (sqs.status === 'rejected' || dynamodb.status === 'rejected') {
    // Don't leave the one that did start running.
    await Promise.all([sqs, dynamodb].map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
    throw sqs.status === 'rejected' ? sqs.reason : (dynamodb as PromiseRejectedResult).reason;
  }
  project.provide('sqsEndpoint', sqs.value.endpoint);
  project.provide('snsEndpoint', sqs.value.endpoint);
  project.provide('dynamodbEndpoint', dynamodb.value.endpoint);
  return async () => {
    await Promise.all([sqs.value.stop(), dynamodb.value.stop()]);
  };
}

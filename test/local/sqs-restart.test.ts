import { CreateQueueCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort, localAwsConfig, localSetupAwsConfig, startSqsEmulator, type SqsEmulator } from '../../local/emulators';

/** The soak restarts fauxqs on its port; callers other than the setup client must not see it half set up. */
describe('fauxqs restart on the same port', () => {
  let emulator: SqsEmulator;
  let client: SQSClient;
  beforeAll(async () => {
    emulator = await startSqsEmulator({ port: await findFreePort() });
    client = new SQSClient({ ...localAwsConfig(emulator.endpoint), maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await emulator.stop();
  });

  it('comes back empty at the same URLs, serving only the setup caller until prepared', async () => {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'restart-probe' }));
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'lost with the restart' }));
    const setup = new SQSClient(localSetupAwsConfig(emulator.endpoint));
    const seen: string[] = [];
    try {
      await emulator.restart({
        beforeStop: async () => {
          seen.push(
            await client.send(new GetQueueUrlCommand({ QueueName: 'restart-probe' })).then(
              () => 'served',
              (e: Error) => e.name,
            ),
          );
          seen.push(
            await setup.send(new GetQueueUrlCommand({ QueueName: 'restart-probe' })).then(
              () => 'served',
              (e: Error) => e.name,
            ),
          );
        },
        prepare: async () => {
          seen.push(
            await client.send(new CreateQueueCommand({ QueueName: 'restart-probe' })).then(
              () => 'served',
              (e: Error) => e.name,
            ),
          );
          const again = await setup.send(new CreateQueueCommand({ QueueName: 'restart-probe' }));
          expect(again.QueueUrl).toBe(QueueUrl);
        },
      });
    } finally {
      setup.destroy();
    }
    // During prepare the old keep-alive socket may fail first (a timeout); either way the caller is not served.
    expect(seen.slice(0, 2)).toEqual(['ServiceUnavailable', 'served']);
    expect(seen[2]).not.toBe('served');
    expect(await client.send(new GetQueueUrlCommand({ QueueName: 'restart-probe' })).then(() => 'served')).toBe('served');
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
    expect(Messages).toEqual([]);
  });
});

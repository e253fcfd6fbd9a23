/** The single DynamoDB table's shape: key attributes, the sparse due-poll index and TTL (mirrored in serverless.yml). */

/** Partition and sort key of every item. */
const KEY = { pk: 'pk', sk: 'sk' } as const;

/**
 * Sparse index of resources awaiting a status poll: only items with `duePk` set appear,
 * so a poll tick reads in-flight work and never history.
 */
export const DUE_INDEX = { name: 'due', pk: 'duePk', sk: 'dueAt' } as const;

/** Epoch seconds after which DynamoDB may delete an item (delivery dedupe, idempotency records). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Everything but the name, for CreateTable in tests and the local stack (serverless.yml declares the same). */
export const TABLE_DEFINITION = {
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: KEY.pk, AttributeType: 'S' },
    { AttributeName: KEY.sk, AttributeType: 'S' },
    { AttributeName: DUE_INDEX.pk, AttributeType: 'S' },
    { AttributeName: DUE_INDEX.sk, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: KEY.pk, KeyType: 'HASH' },
    { AttributeName: KEY.sk, KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: DUE_INDEX.name,
      KeySchema: [
        { AttributeName: DUE_INDEX.pk, KeyType: 'HASH' },
        { AttributeName: DUE_INDEX.sk, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
} as const;

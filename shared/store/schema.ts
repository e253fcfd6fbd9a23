/** The single DynamoDB table's shape: key attributes, the sparse due-poll and list indexes and TTL (mirrored in serverless.yml). */

/** Partition and sort key of every item. */
const KEY = { pk: 'pk', sk: 'sk' } as const;

/**
 * Sparse index of resources awaiting a status poll: only items with `duePk` set appear,
 * so a poll tick reads in-flight work and never history.
 */
export const DUE_INDEX = { name: 'due', pk: 'duePk', sk: 'dueAt' } as const;

/**
 * Sparse index of what people list: requests newest first (one partition, sorted by creation time) and managed
 * resources by kind and name. A list page reads one page of it, whatever the table's size. Only the fields a list
 * shows are projected, so a manifest or a desired spec is never copied into it.
 */
export const RECENT_INDEX = { name: 'recent', pk: 'listPk', sk: 'listSk' } as const;

/** The fields the list views read (shared/store/lists.ts); keys are always projected. */
const LISTED_FIELDS = [
  'type',
  'requestId',
  'source',
  'phase',
  'approval',
  'resourceCount',
  'createdAt',
  'updatedAt',
  'completedAt',
  'outcome',
  'projectId',
  'kind',
  'name',
  'region',
  'owner',
  'state',
  'operation',
  'huaweiId',
  'generation',
  'conditions',
  'observation',
  'drift',
];

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
    { AttributeName: RECENT_INDEX.pk, AttributeType: 'S' },
    { AttributeName: RECENT_INDEX.sk, AttributeType: 'S' },
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
    {
      IndexName: RECENT_INDEX.name,
      KeySchema: [
        { AttributeName: RECENT_INDEX.pk, KeyType: 'HASH' },
        { AttributeName: RECENT_INDEX.sk, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: LISTED_FIELDS },
    },
  ],
} as const;

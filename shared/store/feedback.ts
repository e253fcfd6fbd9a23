/**
 * The notifier's records: what it told whom, each under a short lease. They all live under `pk=NOTIFY#...`,
 * the only items the notify role may touch (serverless.yml's dynamodb:LeadingKeys condition). The rules built
 * on these writes (forward-only phases, one comment per key, retries while busy) are shared/notify/state.ts's.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { updateIfStill, type TableRef } from './requests';
import { TTL_ATTRIBUTE } from './schema';

const FEEDBACK_PK_PREFIX = 'NOTIFY#';

export interface FeedbackKey {
  pk: string;
  sk: string;
}

/** A lease as its taker sets it: the time it was taken, when it lapses, and when DynamoDB may drop the record. */
export interface LeaseTerms {
  now: Date;
  until: Date;
  /** Epoch seconds (DynamoDB TTL). */
  expiresAt: number;
}

/** The partition of one request's feedback records. */
export const requestFeedbackPk = (requestId: string) => `${FEEDBACK_PK_PREFIX}${requestId}`;

/** In AWS a key outside NOTIFY# fails as a bare AccessDenied; here it fails naming the key, and in tests as well. */
function feedbackKey(key: FeedbackKey): FeedbackKey {
  if (!key.pk.startsWith(FEEDBACK_PK_PREFIX)) throw new Error(`not a feedback record: ${key.pk}`);
  return key;
}

/** Consistent, so a writer never decides on a state older than the last one recorded. */
export async function getFeedbackItem(table: TableRef, key: FeedbackKey): Promise<Record<string, unknown> | undefined> {
  const result = await table.ddb.send(new GetCommand({ TableName: table.tableName, Key: feedbackKey(key), ConsistentRead: true }));
  return result.Item;
}

/**
 * Takes the lease on the way to `target` if nobody holds a live one and the state is still `seen` (undefined:
 * never recorded); false when another writer was first.
 */
export function leaseFeedback(
  table: TableRef,
  key: FeedbackKey,
  seen: string | undefined,
  target: string,
  terms: LeaseTerms,
): Promise<boolean> {
  return updateIfStill(table, feedbackKey(key), {
    UpdateExpression: 'SET leaseState = :target, leaseUntil = :until, #ttl = :ttl',
    ConditionExpression:
      `${seen === undefined ? 'attribute_not_exists(#state)' : '#state = :seen'} ` +
      'AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
    ExpressionAttributeNames: { '#state': 'state', '#ttl': TTL_ATTRIBUTE },
    ExpressionAttributeValues: {
      ':target': target,
      ':until': terms.until.toISOString(),
      ':now': terms.now.toISOString(),
      ':ttl': terms.expiresAt,
      ...(seen === undefined ? {} : { ':seen': seen }),
    },
  });
}

/** Records the state the lease was taken for, with what its effect returned (e.g. a comment id), and lets the lease go. */
export async function recordPhase(
  table: TableRef,
  key: FeedbackKey,
  state: string,
  extra: Record<string, unknown>,
  now: Date,
): Promise<void> {
  const names: Record<string, string> = { '#state': 'state' };
  const values: Record<string, unknown> = { ':state': state, ':now': now.toISOString() };
  const sets = ['#state = :state', 'updatedAt = :now'];
  // Placeholders, not the field names themselves: an effect may return any name, reserved words included.
  Object.entries(extra).forEach(([field, value], i) => {
    names[`#x${i}`] = field;
    values[`:x${i}`] = value;
    sets.push(`#x${i} = :x${i}`);
  });
  await table.ddb.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: feedbackKey(key),
      UpdateExpression: `SET ${sets.join(', ')} REMOVE leaseState, leaseUntil`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
}

/** Lets go of a lease taken for `target` without recording it; a lease another writer has since taken is left alone. */
export async function releaseFeedback(table: TableRef, key: FeedbackKey, target: string): Promise<void> {
  await table.ddb.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: feedbackKey(key),
      UpdateExpression: 'REMOVE leaseState, leaseUntil',
      ConditionExpression: 'leaseState = :target',
      ExpressionAttributeValues: { ':target': target },
    }),
  );
}

/** Takes the lease on a comment record unless one is live or a newer `version` is already recorded. */
export function leaseComment(table: TableRef, key: FeedbackKey, version: string, terms: LeaseTerms): Promise<boolean> {
  return updateIfStill(table, feedbackKey(key), {
    UpdateExpression: 'SET leaseUntil = :until, #ttl = :ttl',
    ConditionExpression:
      '(attribute_not_exists(leaseUntil) OR leaseUntil < :now) AND (attribute_not_exists(version) OR version <= :version)',
    ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
    ExpressionAttributeValues: {
      ':until': terms.until.toISOString(),
      ':now': terms.now.toISOString(),
      ':ttl': terms.expiresAt,
      ':version': version,
    },
  });
}

export async function releaseCommentLease(table: TableRef, key: FeedbackKey): Promise<void> {
  await table.ddb.send(new UpdateCommand({ TableName: table.tableName, Key: feedbackKey(key), UpdateExpression: 'REMOVE leaseUntil' }));
}

/** Records the comment written for `version` and lets the lease go. */
export async function recordComment(table: TableRef, key: FeedbackKey, commentId: string, version: string, now: Date): Promise<void> {
  await table.ddb.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: feedbackKey(key),
      UpdateExpression: 'SET commentId = :id, version = :version, updatedAt = :now REMOVE leaseUntil',
      ExpressionAttributeValues: { ':id': commentId, ':version': version, ':now': now.toISOString() },
    }),
  );
}

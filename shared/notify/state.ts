/**
 * What the notifier already told whom, in the table under `pk=NOTIFY#...`: the last status written per
 * resource and target, one-time deliveries, and the id of each upserted comment. Every change goes
 * through a short lease so two invocations never write the same thing at once; a crash between the
 * call and the record only repeats that call after the lease (a repeated status beats a missing one).
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { updateIfStill, type TableRef } from '../store/requests';
import { TTL_ATTRIBUTE } from '../store/schema';
import { NotifyBusyError } from './errors';

/** Long enough for one provider call with retries; short enough that a crashed writer blocks little. */
const LEASE_SECONDS = 60;
/** Notify records outlive any request's feedback; DynamoDB's TTL removes them afterwards. */
const RETAIN_DAYS = 90;
/** How often, and how far apart, a writer that finds a lease looks again before handing the message back to SQS. */
const BUSY_CHECKS = 10;
const BUSY_WAIT_MS = 200;

export interface NotifyStore {
  table: TableRef;
  now: () => Date;
}

export interface NotifyKey {
  pk: string;
  sk: string;
}

export const requestNotifyPk = (requestId: string) => `NOTIFY#${requestId}`;

function expiresAt(now: Date): number {
  return Math.floor(now.getTime() / 1000) + RETAIN_DAYS * 86_400;
}

async function read(store: NotifyStore, key: NotifyKey): Promise<Record<string, unknown> | undefined> {
  const result = await store.table.ddb.send(new GetCommand({ TableName: store.table.tableName, Key: key, ConsistentRead: true }));
  return result.Item;
}

/** Takes the lease on `key` if nobody holds a live one and `state` is still what was read; false when another writer is first. */
async function lease(store: NotifyStore, key: NotifyKey, seen: string | undefined, target: string): Promise<boolean> {
  const now = store.now();
  return updateIfStill(store.table, key, {
    UpdateExpression: 'SET leaseState = :target, leaseUntil = :until, #ttl = :ttl',
    ConditionExpression:
      `${seen === undefined ? 'attribute_not_exists(#state)' : '#state = :seen'} ` +
      'AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
    ExpressionAttributeNames: { '#state': 'state', '#ttl': TTL_ATTRIBUTE },
    ExpressionAttributeValues: {
      ':target': target,
      ':until': new Date(now.getTime() + LEASE_SECONDS * 1000).toISOString(),
      ':now': now.toISOString(),
      ':ttl': expiresAt(now),
      ...(seen === undefined ? {} : { ':seen': seen }),
    },
  });
}

async function settle(store: NotifyStore, key: NotifyKey, state: string, extra: Record<string, unknown>): Promise<void> {
  const names: Record<string, string> = { '#state': 'state' };
  const values: Record<string, unknown> = { ':state': state, ':now': store.now().toISOString() };
  const sets = ['#state = :state', 'updatedAt = :now'];
  Object.entries(extra).forEach(([field, value], i) => {
    names[`#x${i}`] = field;
    values[`:x${i}`] = value;
    sets.push(`#x${i} = :x${i}`);
  });
  await store.table.ddb.send(
    new UpdateCommand({
      TableName: store.table.tableName,
      Key: key,
      UpdateExpression: `SET ${sets.join(', ')} REMOVE leaseState, leaseUntil`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
}

async function release(store: NotifyStore, key: NotifyKey, target: string): Promise<void> {
  await store.table.ddb
    .send(
      new UpdateCommand({
        TableName: store.table.tableName,
        Key: key,
        UpdateExpression: 'REMOVE leaseState, leaseUntil',
        ConditionExpression: 'leaseState = :target',
        ExpressionAttributeValues: { ':target': target },
      }),
    )
    .catch(() => undefined);
}

/**
 * Moves the record at `key` forward to `target` and runs `effect` (the provider call) on the way, only
 * when `rank(target)` is above the state last written. Returns whether the effect ran.
 */
export async function advance(
  store: NotifyStore,
  key: NotifyKey,
  target: string,
  rank: (state: string) => number,
  effect: () => Promise<Record<string, unknown> | void>,
): Promise<boolean> {
  for (let check = 0; check < BUSY_CHECKS; check++) {
    const item = await read(store, key);
    const current = typeof item?.state === 'string' ? item.state : undefined;
    if (current !== undefined && rank(current) >= rank(target)) return false;
    if (await lease(store, key, current, target)) {
      let extra: Record<string, unknown> | void;
      try {
        extra = await effect();
      } catch (error) {
        await release(store, key, target);
        throw error;
      }
      await settle(store, key, target, extra ?? {});
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, BUSY_WAIT_MS));
  }
  throw new NotifyBusyError(`${key.pk} ${key.sk}`);
}

/** Runs `effect` once per key, ever (within the retention): webhook deliveries, Jira comments. */
export function once(store: NotifyStore, key: NotifyKey, effect: () => Promise<Record<string, unknown> | void>): Promise<boolean> {
  return advance(store, key, 'done', (state) => (state === 'done' ? 1 : 0), effect);
}

/** The provider half of a comment upsert: find ours by its marker, create one, or edit one in place. */
export interface CommentApi {
  find(): Promise<string | undefined>;
  create(body: string): Promise<string>;
  /** Returns false when the comment is gone (deleted by someone), so a new one is made. */
  update(id: string, body: string): Promise<boolean>;
}

/**
 * Keeps ONE comment per key (a pull request, a merge request) showing the newest content: `version`
 * orders writers (e.g. the PR's updated_at), so a late, older plan never replaces a newer one, and
 * the lease keeps a burst of runs from each creating a comment.
 */
export async function upsertComment(
  store: NotifyStore,
  key: NotifyKey,
  version: string,
  body: string,
  api: CommentApi,
): Promise<'created' | 'updated' | 'stale'> {
  for (let check = 0; check < BUSY_CHECKS; check++) {
    const item = await read(store, key);
    if (typeof item?.version === 'string' && item.version > version) return 'stale';
    const now = store.now();
    const leased = await updateIfStill(store.table, key, {
      UpdateExpression: 'SET leaseUntil = :until, #ttl = :ttl',
      ConditionExpression:
        '(attribute_not_exists(leaseUntil) OR leaseUntil < :now) AND (attribute_not_exists(version) OR version <= :version)',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: {
        ':until': new Date(now.getTime() + LEASE_SECONDS * 1000).toISOString(),
        ':now': now.toISOString(),
        ':ttl': expiresAt(now),
        ':version': version,
      },
    });
    if (!leased) {
      await new Promise((resolve) => setTimeout(resolve, BUSY_WAIT_MS));
      continue;
    }
    let outcome: 'created' | 'updated';
    let commentId: string;
    try {
      let id = typeof item?.commentId === 'string' ? item.commentId : await api.find();
      if (id !== undefined && !(await api.update(id, body))) id = undefined;
      outcome = id === undefined ? 'created' : 'updated';
      commentId = id ?? (await api.create(body));
    } catch (error) {
      await store.table.ddb
        .send(new UpdateCommand({ TableName: store.table.tableName, Key: key, UpdateExpression: 'REMOVE leaseUntil' }))
        .catch(() => undefined);
      throw error;
    }
    await store.table.ddb.send(
      new UpdateCommand({
        TableName: store.table.tableName,
        Key: key,
        UpdateExpression: 'SET commentId = :id, version = :version, updatedAt = :now REMOVE leaseUntil',
        ExpressionAttributeValues: { ':id': commentId, ':version': version, ':now': store.now().toISOString() },
      }),
    );
    return outcome;
  }
  throw new NotifyBusyError(`${key.pk} ${key.sk}`);
}

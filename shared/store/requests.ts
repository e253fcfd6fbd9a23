/** Request and resource records: every write is conditional, so a retried intake never makes a second request. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { DUE_PARTITION, dueAt } from './due';
import { managedKey, requestListKey } from './keys';
import { TERMINAL_STATES, type RequestRecord, type RequestState, type ResourceRecord } from './types';

export interface TableRef {
  ddb: DynamoDBDocumentClient;
  tableName: string;
}

/** Default for how long a queued resource may wait for its dispatch message before the poller re-queues it. */
export const QUEUED_GRACE_SECONDS = 120;

export const requestKey = (requestId: string) => ({ pk: `REQ#${requestId}`, sk: 'REQ' });
export const resourceKey = (requestId: string, kind: string, name: string) => ({ pk: `REQ#${requestId}`, sk: `RES#${kind}#${name}` });

export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

type ConditionalUpdate = {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeValues?: Record<string, unknown>;
  ExpressionAttributeNames?: Record<string, string>;
};

/**
 * A conditional update that may lose to another writer: true when it applied, false when its condition no
 * longer held (someone else got there first), any other error thrown.
 */
export async function updateIfStill(table: TableRef, key: { pk: string; sk: string }, update: ConditionalUpdate): Promise<boolean> {
  return (await updateReturningOld(table, key, update, 'NONE')) !== undefined;
}

/**
 * updateIfStill for a caller that must know what it replaced (a claim): the item as it was before (undefined
 * for an item the update created), or undefined itself when the condition no longer held.
 */
export async function updateReturningOld(
  table: TableRef,
  key: { pk: string; sk: string },
  update: ConditionalUpdate,
  returnValues: 'ALL_OLD' | 'NONE' = 'ALL_OLD',
): Promise<{ old: Record<string, unknown> | undefined } | undefined> {
  try {
    const result = await table.ddb.send(new UpdateCommand({ TableName: table.tableName, Key: key, ...update, ReturnValues: returnValues }));
    return { old: result.Attributes };
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Writes the request once; returns the record already stored when another attempt got there first. A rejected
 * request's report comes bounded (boundRejected, shared/manifests/errors.ts), as does the event beside it.
 */
export async function putRequestOnce(table: TableRef, record: RequestRecord): Promise<{ created: boolean; record: RequestRecord }> {
  try {
    await table.ddb.send(
      new PutCommand({
        TableName: table.tableName,
        Item: requestItem(record),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { created: true, record };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const existing = await getRequest(table, record.requestId);
    if (!existing) throw error;
    return { created: false, record: existing };
  }
}

/** `record` may carry outbox and due-index fields beside the record's own (see intake's withOutbox). */
const requestItem = (record: RequestRecord) => ({
  ...requestKey(record.requestId),
  type: 'request',
  ...requestListKey(record),
  ...record,
});

/** A transaction's put of an item that must not exist yet. */
const putNew = (table: TableRef, item: Record<string, unknown>) => ({
  Put: { TableName: table.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
});

/** JSON length over-estimates DynamoDB's item size (attribute names count once, numbers are compact). */
const itemBytes = (item: Record<string, unknown>) =>
  Buffer.byteLength(JSON.stringify(item, (_, value: unknown) => (value instanceof Map ? Object.fromEntries(value) : value)));

/**
 * A manifest's mappings as Maps. The document client types a plain object by its `constructor` property, so
 * a mapping with a key named "constructor" (a label, say) is not marshalled as a map: the write throws. A Map
 * is read by its entries, whatever the keys. Stored alike (M) and read back as plain objects. Only manifests
 * need it: every other map written has keys of our own.
 */
function marshallable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(marshallable);
  if (value === null || typeof value !== 'object') return value;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  return new Map(Object.entries(value).map(([key, entry]) => [key, marshallable(entry)]));
}

const isTransactionCanceled = (error: unknown) => (error as { name?: string })?.name === 'TransactionCanceledException';

/** Whether a cancelled transaction's item at `index` was the one whose condition failed. */
const failedConditionAt = (error: unknown, index: number) =>
  (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';

/** The stored item of a resource: due from the start, so the poller finds it if its message (or its pool's) is lost. */
function resourceItem(record: ResourceRecord, due: string): Record<string, unknown> {
  // A resource held for approval has nothing due: its request's item carries the approval's deadline.
  const held = record.state === 'PendingApproval';
  return {
    ...resourceKey(record.requestId, record.kind, record.name),
    type: 'resource',
    ...(held ? {} : { duePk: DUE_PARTITION, dueAt: due }),
    ...record,
    manifest: marshallable(record.manifest),
  };
}

/** Writes a resource unless it exists: a resumed intake must not reset a resource the dispatcher already moved. */
async function putResourceOnce(
  table: TableRef,
  record: ResourceRecord,
  graceSeconds = QUEUED_GRACE_SECONDS,
  due?: string,
): Promise<boolean> {
  try {
    await table.ddb.send(
      new PutCommand({
        TableName: table.tableName,
        // Due from the start: if the dispatch message is lost, the poller finds the resource and re-queues it.
        Item: resourceItem(record, due ?? dueAt(new Date(record.createdAt), graceSeconds)),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** TransactWriteItems takes at most 100 actions and 4 MB; the byte budget leaves room for the request's overhead. */
const TRANSACT_MAX_ITEMS = 100;
const TRANSACT_MAX_BYTES = 3_000_000;

/**
 * Writes a new request's resources, each unless it exists, in transactions of up to 100: a 200-manifest
 * request costs two writes instead of 200. Every put keeps its own `attribute_not_exists(pk)`, so a chunk
 * that meets an existing item (a resumed submission) or a concurrent writer is cancelled as a whole and
 * redone item by item with the same conditional puts, which skip what exists. Idempotent and resumable.
 */
export async function putResourcesOnce(table: TableRef, entries: readonly { record: ResourceRecord; dueAt: string }[]): Promise<void> {
  const chunks: { record: ResourceRecord; dueAt: string; item: Record<string, unknown> }[][] = [];
  let chunk: (typeof chunks)[number] = [];
  let bytes = 0;
  for (const entry of entries) {
    const item = resourceItem(entry.record, entry.dueAt);
    const size = itemBytes(item);
    if (chunk.length > 0 && (chunk.length >= TRANSACT_MAX_ITEMS || bytes + size > TRANSACT_MAX_BYTES)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push({ ...entry, item });
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  let next = 0;
  const write = async (items: (typeof chunks)[number]) => {
    if (items.length > 1) {
      try {
        await table.ddb.send(
          new TransactWriteCommand({
            TransactItems: items.map(({ item }) => putNew(table, item)),
          }),
        );
        return;
      } catch (error) {
        if (!isTransactionCanceled(error)) throw error;
      }
    }
    for (let start = 0; start < items.length; start += 16) {
      await Promise.all(items.slice(start, start + 16).map(({ record, dueAt: due }) => putResourceOnce(table, record, undefined, due)));
    }
  };
  // A few transactions at a time: a 1 MiB request body can hold thousands of small manifests.
  await Promise.all(
    Array.from({ length: Math.min(4, chunks.length) }, async () => {
      while (next < chunks.length) await write(chunks[next++]!);
    }),
  );
}

/**
 * A new request and every one of its resources in one transaction, the request already Accepted: a small
 * submission (the usual push or ticket) costs one write instead of three. `request` carries the request's
 * outbox and due-index fields. Nothing is written unless 'written': 'request-exists' when the request is
 * already stored (a retry, a reused idempotency key), 'not-written' when one transaction cannot hold the
 * items (over 100, or the byte budget) or it was cancelled for another reason; the caller then takes the
 * resumable path, which copes with all of these.
 */
export async function putAcceptedRequestOnce(
  table: TableRef,
  request: RequestRecord,
  resources: readonly { record: ResourceRecord; dueAt: string }[],
  /** Written with them, unconditionally (e.g. the delivery that brought the request). */
  alongside: readonly Record<string, unknown>[] = [],
  /** When given, each resource's managed resource must not exist or belong to this owner ('owned-elsewhere' if not). */
  owner?: string,
): Promise<'written' | 'request-exists' | 'not-written' | 'owned-elsewhere'> {
  const checks = owner ? resources.length : 0;
  if (resources.length + 1 + alongside.length + checks > TRANSACT_MAX_ITEMS) return 'not-written';
  const items = [requestItem(request), ...resources.map((r) => resourceItem(r.record, r.dueAt))];
  if ([...items, ...alongside].reduce((bytes, item) => bytes + itemBytes(item), 0) > TRANSACT_MAX_BYTES) return 'not-written';
  const ownership = owner ? resources.map(({ record }) => ownershipCheck(table, record, owner)) : [];
  try {
    await table.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          ...items.map((item) => putNew(table, item)),
          ...alongside.map((item) => ({ Put: { TableName: table.tableName, Item: item } })),
          ...ownership,
        ],
      }),
    );
    return 'written';
  } catch (error) {
    if (!isTransactionCanceled(error)) throw error;
    if (failedConditionAt(error, 0)) return 'request-exists';
    const firstCheck = items.length + alongside.length;
    return ownership.some((_, i) => failedConditionAt(error, firstCheck + i)) ? 'owned-elsewhere' : 'not-written';
  }
}

/**
 * What a resource may be written against without reading its managed resource first: new, released (deleted
 * or orphaned), or this owner's with the same spec or not settled yet. A removal needs only the owner. Anything
 * else (another owner, a change of a created resource, which may touch fields that cannot change in place)
 * cancels the transaction, and the caller reads the managed resources to say why.
 */
function ownershipCheck(table: TableRef, record: ResourceRecord, owner: string) {
  const removal = record.operation === 'delete' || record.operation === 'orphan';
  const released = 'attribute_not_exists(pk) OR #state IN (:deleted, :orphaned)';
  return {
    ConditionCheck: {
      TableName: table.tableName,
      Key: managedKey(record.projectId, record.kind, record.name),
      ConditionExpression:
        removal || !record.specHash
          ? `${released} OR #owner = :owner`
          : `${released} OR (#owner = :owner AND (specHash = :hash OR #state <> :succeeded))`,
      ExpressionAttributeNames: { '#owner': 'owner', '#state': 'state' },
      ExpressionAttributeValues: {
        ':owner': owner,
        ':deleted': 'Deleted',
        ':orphaned': 'Orphaned',
        ...(removal || !record.specHash ? {} : { ':hash': record.specHash, ':succeeded': 'Succeeded' }),
      },
    },
  };
}

/**
 * Accepts the request and puts it in the due index until request.completed is written: whoever finishes
 * the last resource writes it, but a finisher can die first, or the request can be accepted only after its
 * resources finished; the poller then writes it (shared/reconcile/poll.ts).
 */
export async function markAccepted(table: TableRef, requestId: string, now: string, phase: AcceptedPhase = 'Accepted'): Promise<void> {
  // A request held for approval is next due when its approval expires.
  const due = phase === 'PendingApproval' ? 'approval.expiresAt' : ':now';
  await updateIfStill(table, requestKey(requestId), {
    UpdateExpression: `SET phase = :accepted, updatedAt = :now, duePk = :due, dueAt = ${due}`,
    ConditionExpression: 'phase = :recording',
    ExpressionAttributeValues: { ':accepted': phase, ':recording': 'Recording', ':now': now, ':due': DUE_PARTITION },
  });
}

/** What a recorded request becomes: accepted, or held until an approver decides. */
type AcceptedPhase = 'Accepted' | 'PendingApproval';

function strip<T extends object>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, type: _type, duePk: _duePk, dueAt: _dueAt, pendingEvents: _pending, listPk: _lp, listSk: _ls, ...rest } = item;
  return rest as T;
}

export async function getRequest(table: TableRef, requestId: string): Promise<RequestRecord | undefined> {
  const result = await table.ddb.send(new GetCommand({ TableName: table.tableName, Key: requestKey(requestId), ConsistentRead: true }));
  return result.Item ? strip<RequestRecord>(result.Item) : undefined;
}

/** The request and all its resources in one paginated query on the request's partition. */
export async function getRequestWithResources(
  table: TableRef,
  requestId: string,
): Promise<{ request: RequestRecord; resources: ResourceRecord[] } | undefined> {
  return readPartition<ResourceRecord>(table, requestId);
}

/** The request item and its resource items, each through strip(), optionally projected. */
async function readPartition<R extends object>(
  table: TableRef,
  requestId: string,
  projection?: { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> },
): Promise<{ request: RequestRecord; resources: R[] } | undefined> {
  let request: RequestRecord | undefined;
  const resources: R[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.ddb.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': requestKey(requestId).pk },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
        ...projection,
      }),
    );
    for (const item of page.Items ?? []) {
      if (item.sk === 'REQ') request = strip<RequestRecord>(item);
      else if (typeof item.sk === 'string' && item.sk.startsWith('RES#')) resources.push(strip<R>(item));
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return request ? { request, resources } : undefined;
}

/** A resource as people read it: everything but the manifest and the outbox. */
export type ResourceView = Omit<ResourceRecord, 'manifest' | 'pendingEvents'>;

/** What GET /requests/{id} and the request page show; the manifests (most of a partition's bytes) stay unread. */
const VIEW_FIELDS = [
  'sk',
  'requestId',
  'source',
  'phase',
  'approval',
  'resourceCount',
  'rejected',
  'completedAt',
  'outcome',
  'finishedCount',
  'kind',
  'name',
  'projectId',
  'region',
  'state',
  'owner',
  'file',
  'huaweiId',
  'reason',
  'message',
  'createdAt',
  'updatedAt',
  'correction',
  'heldState',
  'attempt',
  'intentAt',
  'outcomeUnknown',
  'dispatchStartedAt',
  'createStartedAt',
  'deadlineAt',
  'polls',
  'generation',
  'operation',
  'changes',
  'removedAt',
  'finishedAt',
  'observation',
] as const;
const VIEW_NAMES = Object.fromEntries(VIEW_FIELDS.map((field, i) => [`#v${i}`, field]));
const VIEW_PROJECTION = Object.keys(VIEW_NAMES).join(', ');

/** The request and its resources without their manifests, in one paginated, projected query. */
export async function getRequestView(
  table: TableRef,
  requestId: string,
): Promise<{ request: RequestRecord; resources: ResourceView[] } | undefined> {
  return readPartition<ResourceView>(table, requestId, { ProjectionExpression: VIEW_PROJECTION, ExpressionAttributeNames: VIEW_NAMES });
}

/** Resource endings that did what was asked. */
const GOOD_STATES: ReadonlySet<string> = new Set(['Succeeded', 'Unchanged', 'Deleted', 'Orphaned']);

/** The overall state people see: derived from the resources, never stored, so it cannot drift. */
export function overallState(
  request: Pick<RequestRecord, 'phase' | 'resourceCount'>,
  resources: readonly Pick<ResourceRecord, 'state'>[],
): RequestState {
  if (request.phase === 'Rejected' || request.phase === 'PendingApproval' || request.phase === 'Expired') return request.phase;
  if (request.phase === 'Recording' || resources.length < request.resourceCount) return 'InProgress';
  if (resources.some((r) => !TERMINAL_STATES.has(r.state))) return 'InProgress';
  const good = resources.filter((r) => GOOD_STATES.has(r.state)).length;
  if (good === resources.length) return 'Succeeded';
  return good === 0 ? 'Failed' : 'PartiallyFailed';
}

/**
 * Counts n more finished resources on the request item and returns the request's progress fields; undefined
 * for a request without the counter. Only winners of a terminal write call it, so it never runs ahead.
 */
export async function addFinished(
  table: TableRef,
  requestId: string,
  n: number,
): Promise<Pick<RequestRecord, 'finishedCount' | 'resourceCount' | 'phase' | 'completedAt'> | undefined> {
  try {
    const result = await table.ddb.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: requestKey(requestId),
        UpdateExpression: 'ADD finishedCount :n',
        ConditionExpression: 'attribute_exists(finishedCount)',
        ExpressionAttributeValues: { ':n': n },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result.Attributes as RequestRecord | undefined;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Writes request.completed into the request's outbox, once: the guard on completedAt makes concurrent
 * finishers agree on one event. Appended, since request.accepted may still wait there.
 */
export async function markCompleted(
  table: TableRef,
  requestId: string,
  completion: { event: unknown; outcome: RequestState; now: string; retryAt: string },
): Promise<boolean> {
  const { event, outcome, now, retryAt } = completion;
  return updateIfStill(table, requestKey(requestId), {
    // The outcome is kept so that a list of requests shows each one's ending without reading its resources.
    UpdateExpression:
      'SET completedAt = :now, updatedAt = :now, outcome = :outcome, ' +
      'pendingEvents = list_append(if_not_exists(pendingEvents, :none), :events), duePk = :due, dueAt = :at',
    ConditionExpression: 'attribute_not_exists(completedAt)',
    ExpressionAttributeValues: { ':now': now, ':outcome': outcome, ':none': [], ':events': [event], ':due': DUE_PARTITION, ':at': retryAt },
  });
}

/**
 * Recording -> Accepted with request.accepted in the outbox, in one guarded update: only the attempt that
 * moves the phase writes the event, so a retried intake never announces the request twice.
 */
export async function markAcceptedWithEvent(
  table: TableRef,
  requestId: string,
  event: unknown,
  now: string,
  retryAt: string,
  phase: AcceptedPhase = 'Accepted',
): Promise<boolean> {
  return updateIfStill(table, requestKey(requestId), {
    UpdateExpression: 'SET phase = :accepted, updatedAt = :now, pendingEvents = :events, duePk = :due, dueAt = :at',
    ConditionExpression: 'phase = :recording',
    ExpressionAttributeValues: {
      ':accepted': phase,
      ':recording': 'Recording',
      ':now': now,
      ':events': [event],
      ':due': DUE_PARTITION,
      ':at': retryAt,
    },
  });
}

/**
 * Clears an item's published events, guarded on the list still holding just those n (events are only ever
 * appended; a longer list stays for the poller, which publishes it whole). An accepted request that is not
 * complete stays in the due index (due now), so the poller completes it if its last finisher died.
 */
export async function clearPublished(table: TableRef, key: { pk: string; sk: string }, n: number, now: string): Promise<void> {
  if (key.sk === requestKey('').sk) {
    const kept = await updateIfStill(table, key, {
      UpdateExpression: 'REMOVE pendingEvents SET dueAt = :now',
      ConditionExpression: 'size(pendingEvents) = :n AND phase = :accepted AND attribute_not_exists(completedAt)',
      ExpressionAttributeValues: { ':n': n, ':now': now, ':accepted': 'Accepted' },
    });
    if (kept) return;
    // A request waiting for approval stays in the index until its approval expires, so the poller can end it then.
    const waiting = await updateIfStill(table, key, {
      UpdateExpression: 'REMOVE pendingEvents SET dueAt = approval.expiresAt',
      ConditionExpression: 'size(pendingEvents) = :n AND phase = :pending',
      ExpressionAttributeValues: { ':n': n, ':pending': 'PendingApproval' },
    });
    if (waiting) return;
  }
  // A managed resource keeps its place in the drift partition: its next look is due whatever it announced.
  const managed = key.sk === managedKey('', '', '').sk;
  await updateIfStill(table, key, {
    UpdateExpression: managed ? 'REMOVE pendingEvents' : 'REMOVE pendingEvents, duePk, dueAt',
    ConditionExpression: 'size(pendingEvents) = :n',
    ExpressionAttributeValues: { ':n': n },
  });
}

/** An item with nothing left to do leaves the due index (unless events still wait in its outbox). */
export async function leaveDueIndex(table: TableRef, key: { pk: string; sk: string }): Promise<void> {
  await updateIfStill(table, key, { UpdateExpression: 'REMOVE duePk, dueAt', ConditionExpression: 'attribute_not_exists(pendingEvents)' });
}

/** An accepted request not complete yet: looked at again later. */
export async function recheckRequestAt(table: TableRef, requestId: string, at: string): Promise<void> {
  await updateIfStill(table, requestKey(requestId), {
    UpdateExpression: 'SET dueAt = :at',
    ConditionExpression: 'attribute_exists(duePk) AND attribute_not_exists(completedAt)',
    ExpressionAttributeValues: { ':at': at },
  });
}

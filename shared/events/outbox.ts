/**
 * Terminal transitions: the state and the event are written in one guarded update (the event waits in the
 * record as an outbox), then the identity's outcome, then the event is published and cleared. If anything
 * after the first write fails, the poller finds the record in the due index, settles the identity and
 * publishes the event later, so a state change is never without its event.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dueAt, DUE_PARTITION } from '../store/due';
import { identityKey } from '../store/identity';
import { getRequest, isConditionFailure, overallState, requestKey, resourceKey, updateIfStill, type TableRef } from '../store/requests';
import { buildUpdate, getRequestSummary } from '../store/resources';
import { TERMINAL_STATES, type RequestRecord, type RequestSource, type ResourceRecord, type ResourceState } from '../store/types';
import { EVENT_TYPES, requestEvent, resourceEvent, type OutgoingEvent, type Outcome } from './cloudevents';
import { coalescer } from './coalesce';
import { publishEvents, type TopicRef } from './publish';

/** How long an unpublished event waits before the poller retries it. */
const OUTBOX_RETRY_SECONDS = 10;

export interface OutboxDeps {
  table: TableRef;
  topic: TopicRef;
  now: () => Date;
  logger?: { warn(message: string, extra?: Record<string, unknown>): void };
}

export interface Terminal {
  state: Extract<ResourceState, 'Succeeded' | 'Unchanged' | 'Failed' | 'TimedOut'>;
  reason?: string;
  message?: string;
  huaweiId?: string;
  /**
   * Whether this request may own the identity; it is checked, since a resource can end before it ever
   * claimed one (a dependent failed with its pool). When owned, the outcome is recorded there for later requests.
   */
  ownsIdentity: boolean;
}

/**
 * A request's source never changes once written, so a container finishing many resources of one request
 * reads it once rather than once per resource (one GetItem per terminal transition saved). Bounded.
 */
const sources = new Map<string, RequestSource>();
const MAX_CACHED_SOURCES = 500;

async function requestSource(table: TableRef, requestId: string): Promise<RequestSource | undefined> {
  const key = `${table.tableName}\u0000${requestId}`;
  const cached = sources.get(key);
  if (cached) return cached;
  const source = (await getRequest(table, requestId))?.source;
  if (source) {
    if (sources.size >= MAX_CACHED_SOURCES) sources.delete(sources.keys().next().value!);
    sources.set(key, source);
  }
  return source;
}

/** The request's progress as the finished-resource counter saw it right after counting one more. */
export interface RequestProgress {
  finishedCount: number;
  resourceCount: number;
  phase: RequestRecord['phase'];
  completedAt?: string;
}

/** What a terminal transition that won reports: the request's progress, when it could be counted. */
export interface Finished {
  progress?: RequestProgress;
}

/**
 * Moves a resource to a terminal state exactly once. Returns false when another attempt already did
 * (the guard on a non-terminal state fails), in which case nothing is published twice.
 */
export async function finishResource(deps: OutboxDeps, resource: ResourceRecord, terminal: Terminal): Promise<boolean> {
  return (await finishResourceOnce(deps, resource, terminal)) !== undefined;
}

/**
 * finishResource, also reporting the request's progress for completeRequestIfDone; undefined when another
 * attempt already finished the resource.
 *
 * Two conditional writes, in this order: the resource (state and outbox: the guard on a non-terminal state
 * picks the one winner), then, for the winner only, the identity's outcome. The pair was one transaction;
 * DynamoDB prices a transaction's items double and DynamoDB Local runs one 3-4 times slower than a plain
 * update, on the path every resource takes. What the transaction gave is kept: the identity follows only
 * the winning transition (never a loser's verdict), and a finisher that dies between the two writes leaves
 * the event in the outbox, where the poller finds the resource and settles the identity before publishing
 * (settleIdentity). Until then the identity reads InFlight, which makes a later request or a dependent wait
 * and look again: a delay, never a second create (ownership moves only away from a Failed identity).
 */
export async function finishResourceOnce(deps: OutboxDeps, resource: ResourceRecord, terminal: Terminal): Promise<Finished | undefined> {
  const now = deps.now();
  const finishedAt = now.toISOString();
  const source = await requestSource(deps.table, resource.requestId);
  const huaweiId = terminal.huaweiId ?? resource.huaweiId;
  const accepted = resource.createdAt;
  const event = resourceEvent({
    requestId: resource.requestId,
    source: source ?? { provider: 'api', ref: 'unknown' },
    kind: resource.kind,
    name: resource.name,
    region: resource.region,
    projectId: resource.projectId,
    huaweiId: huaweiId ?? null,
    state: terminal.state,
    reason: terminal.reason ?? null,
    message: terminal.message ?? null,
    timings: {
      acceptedAt: accepted,
      createStartedAt: resource.createStartedAt ?? null,
      finishedAt,
      durationSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(accepted)) / 1000)),
    },
  });
  const key = resourceKey(resource.requestId, resource.kind, resource.name);
  try {
    await deps.table.ddb.send(
      new UpdateCommand({
        TableName: deps.table.tableName,
        Key: key,
        ...buildUpdate({
          set: {
            state: terminal.state,
            finishedAt,
            updatedAt: finishedAt,
            pendingEvents: [event],
            duePk: DUE_PARTITION,
            dueAt: dueAt(now, OUTBOX_RETRY_SECONDS),
            ...(terminal.reason !== undefined ? { reason: terminal.reason } : {}),
            ...(terminal.message !== undefined ? { message: terminal.message } : {}),
            ...(huaweiId ? { huaweiId } : {}),
          },
          remove: ['outcomeUnknown'],
          condition: 'NOT (#state IN (:t0, :t1, :t2, :t3))',
          values: { ':t0': 'Succeeded', ':t1': 'Unchanged', ':t2': 'Failed', ':t3': 'TimedOut' },
        }),
      }),
    );
  } catch (error) {
    // Already terminal (or gone): another attempt finished it and published its event.
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
  // Only a request that may own the identity records its outcome there (Unchanged and UpdateNotSupported never own it).
  // It runs beside the publish and the count, but before the outbox is cleared: until then the poller would redo it.
  const identity = terminal.ownsIdentity
    ? settleIdentity(deps, { ...resource, state: terminal.state, ...(huaweiId ? { huaweiId } : {}) })
    : undefined;
  const [progress] = await Promise.all([countFinished(deps, resource.requestId), flushOutbox(deps, key, [event], identity)]);
  return progress ? { progress } : {};
}

/**
 * Records a finished resource's outcome on its identity, if this request holds the identity in flight:
 * Succeeded (with the Huawei id) lets later requests report Unchanged and dependents resolve the pool; any
 * other ending frees the identity for a later request to try again. Idempotent, and a no-op for an identity
 * the request never claimed or another request holds. The poller calls it again for every resource whose
 * event is still in the outbox, which covers a finisher that died before this write.
 */
export async function settleIdentity(
  deps: Pick<OutboxDeps, 'table' | 'now'>,
  resource: Pick<ResourceRecord, 'requestId' | 'projectId' | 'kind' | 'name' | 'state' | 'huaweiId'>,
): Promise<void> {
  if (!TERMINAL_STATES.has(resource.state)) return;
  const succeeded = resource.state === 'Succeeded';
  try {
    await deps.table.ddb.send(
      new UpdateCommand({
        TableName: deps.table.tableName,
        Key: identityKey(resource.projectId, resource.kind, resource.name),
        UpdateExpression: `SET #state = :state, updatedAt = :now${succeeded && resource.huaweiId ? ', huaweiId = :id' : ''}`,
        ConditionExpression: 'ownerRequestId = :me AND #state = :inflight',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':state': succeeded ? 'Succeeded' : 'Failed',
          ':now': deps.now().toISOString(),
          ':me': resource.requestId,
          ':inflight': 'InFlight',
          ...(succeeded && resource.huaweiId ? { ':id': resource.huaweiId } : {}),
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * Counts one more finished resource on the request item and returns the request's progress. Only the
 * transition that won its guarded terminal write gets here, so the count never exceeds the truth; a finisher
 * that dies between that write and this update leaves it short, which the poller's periodic check of every
 * incomplete accepted request repairs. Not written with the terminal state: a transaction holding the one
 * request item that all of a request's finishers write would be cancelled (TransactionConflict) whenever two
 * overlap. Requests recorded before the counter existed have no finishedCount and are not counted
 * (undefined: the caller checks the resources themselves).
 */
async function countFinished(deps: OutboxDeps, requestId: string): Promise<RequestProgress | undefined> {
  try {
    return await countCoalesced(deps, `${deps.table.tableName}\u0000${requestId}`, requestId);
  } catch (error) {
    deps.logger?.warn('finished-resource count failed; completion is checked in full', { requestId, errorName: (error as Error).name });
    return undefined;
  }
}

/**
 * Finishers of one request in one process count together: one ADD of n carries every finish that arrived
 * while the previous count was on its way, and each finisher gets the progress it would have seen counting
 * alone (the i-th of n sees the total minus n plus i), so exactly one of them sees the request finished.
 */
const countCoalesced = coalescer<OutboxDeps, string, RequestProgress | undefined>(
  async (deps, requestIds) => {
    const n = requestIds.length;
    let item: Partial<RequestRecord> | undefined;
    try {
      const result = await deps.table.ddb.send(
        new UpdateCommand({
          TableName: deps.table.tableName,
          Key: requestKey(requestIds[0]!),
          UpdateExpression: 'ADD finishedCount :n',
          ConditionExpression: 'attribute_exists(finishedCount)',
          ExpressionAttributeValues: { ':n': n },
          ReturnValues: 'ALL_NEW',
        }),
      );
      item = result.Attributes as Partial<RequestRecord> | undefined;
    } catch (error) {
      if (isConditionFailure(error)) return requestIds.map(() => undefined);
      throw error;
    }
    if (!item || typeof item.finishedCount !== 'number' || typeof item.resourceCount !== 'number' || !item.phase)
      return requestIds.map(() => undefined);
    const { finishedCount, resourceCount, phase, completedAt } = item;
    return requestIds.map((_, i) => ({
      finishedCount: finishedCount - n + i + 1,
      resourceCount,
      phase,
      ...(completedAt ? { completedAt } : {}),
    }));
  },
  { maxItems: 1_000, maxInFlight: 1 },
);

/**
 * Publishes an item's pending events, then clears them; a failure leaves them for the poller.
 * Events are only ever appended (a request gets request.accepted, later request.completed), so the clear is
 * guarded on the list still holding just the events published here: if another one was appended meanwhile,
 * the list stays for the poller, which publishes it whole (a repeat carries the same id, so it is droppable).
 * An accepted request that is not complete stays in the due index, where the poller completes it if its last
 * finisher died before writing request.completed.
 */
export async function flushOutbox(
  deps: OutboxDeps,
  key: { pk: string; sk: string },
  events: readonly OutgoingEvent[],
  /** Work that must be done before the outbox may be cleared (it is what tells the poller to redo it); runs beside the publish. */
  alongside?: Promise<unknown>,
): Promise<boolean> {
  const publishing = publishEvents(deps.topic, events).then(
    () => true,
    (error: unknown) => {
      deps.logger?.warn('event publish failed; left in the outbox for the poller', { key: key.pk, errorName: (error as Error).name });
      return false;
    },
  );
  // If the work alongside fails, this throws and the outbox stays for the poller.
  const [isPublished] = await Promise.all([publishing, alongside]);
  if (!isPublished) return false;
  const published = { ':n': events.length };
  const clear = ({ values, ...update }: { UpdateExpression: string; ConditionExpression: string; values?: Record<string, unknown> }) =>
    updateIfStill(deps.table, key, { ...update, ExpressionAttributeValues: { ...published, ...values } });
  if (key.sk === requestKey('').sk) {
    const kept = await clear({
      UpdateExpression: 'REMOVE pendingEvents SET dueAt = :now',
      ConditionExpression: 'size(pendingEvents) = :n AND phase = :accepted AND attribute_not_exists(completedAt)',
      values: { ':now': deps.now().toISOString(), ':accepted': 'Accepted' },
    });
    if (kept) return true;
  }
  await clear({ UpdateExpression: 'REMOVE pendingEvents, duePk, dueAt', ConditionExpression: 'size(pendingEvents) = :n' });
  return true;
}

/**
 * Writes request.completed into the request's outbox once every resource is terminal. The guard on
 * completedAt makes concurrent finishers agree on a single event.
 */
export async function completeRequestIfDone(deps: OutboxDeps, requestId: string, progress?: RequestProgress): Promise<boolean> {
  // The counter says when the full check can succeed: until then it is skipped (an N-resource request read
  // its whole partition N times). Without progress (a recovery, an uncounted request) the check always runs.
  if (progress && (progress.phase !== 'Accepted' || progress.completedAt || progress.finishedCount < progress.resourceCount)) return false;
  // One projected query for the request and its resources: only the fields the check and the event use.
  const { request, resources } = await getRequestSummary(deps.table, requestId);
  if (request?.phase !== 'Accepted' || request.completedAt) return false;
  if (resources.length < request.resourceCount || resources.some((r) => !TERMINAL_STATES.has(r.state))) return false;
  const state = overallState(request, resources);
  const outcome: Outcome = state === 'Succeeded' ? 'succeeded' : state === 'Failed' ? 'failed' : 'partially_failed';
  const now = deps.now();
  const event = requestEvent(EVENT_TYPES.requestCompleted, outcome, now.toISOString(), {
    requestId,
    source: request.source,
    state,
    resources: resources.map((r) => ({
      kind: r.kind,
      name: r.name,
      state: r.state,
      huaweiId: r.huaweiId ?? null,
      reason: r.reason ?? null,
    })),
  });
  try {
    await deps.table.ddb.send(
      new UpdateCommand({
        TableName: deps.table.tableName,
        Key: requestKey(requestId),
        // Appended: request.accepted may still be waiting in the outbox.
        UpdateExpression:
          'SET completedAt = :now, updatedAt = :now, pendingEvents = ' +
          'list_append(if_not_exists(pendingEvents, :none), :events), duePk = :due, dueAt = :at',
        ConditionExpression: 'attribute_not_exists(completedAt)',
        ExpressionAttributeValues: {
          ':now': now.toISOString(),
          ':none': [],
          ':events': [event],
          ':due': DUE_PARTITION,
          ':at': dueAt(now, OUTBOX_RETRY_SECONDS),
        },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
  await flushOutbox(deps, requestKey(requestId), [event]);
  return true;
}

/**
 * Terminal transitions: the state, the identity and the event are written in one transaction (the event
 * waits in the record as an outbox), then published and cleared. If publishing fails, the poller finds
 * the record in the due index and publishes it later, so a state change is never without its event.
 */
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dueAt, DUE_PARTITION } from '../store/due';
import { getIdentity, identityKey } from '../store/identity';
import { getRequest, isConditionFailure, overallState, requestKey, resourceKey, type TableRef } from '../store/requests';
import { buildUpdate, getRequestSummary } from '../store/resources';
import { TERMINAL_STATES, type RequestSource, type ResourceRecord, type ResourceState } from '../store/types';
import { EVENT_TYPES, requestEvent, resourceEvent, type OutgoingEvent, type Outcome } from './cloudevents';
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

/**
 * Moves a resource to a terminal state exactly once. Returns false when another attempt already did
 * (the guard on a non-terminal state fails), in which case nothing is published twice.
 */
export async function finishResource(deps: OutboxDeps, resource: ResourceRecord, terminal: Terminal): Promise<boolean> {
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
  const resourceUpdate = buildUpdate({
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
  });
  const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
    { Update: { TableName: deps.table.tableName, Key: resourceKey(resource.requestId, resource.kind, resource.name), ...resourceUpdate } },
  ];
  // Ownership can only move away from an identity that is Failed, so reading it first cannot race with a takeover.
  const identity = terminal.ownsIdentity ? await getIdentity(deps.table, resource.projectId, resource.kind, resource.name) : undefined;
  if (identity && identity.ownerRequestId === resource.requestId && identity.state === 'InFlight') {
    const succeeded = terminal.state === 'Succeeded';
    items.push({
      Update: {
        TableName: deps.table.tableName,
        Key: identityKey(resource.projectId, resource.kind, resource.name),
        UpdateExpression: `SET #state = :state, updatedAt = :now${succeeded && huaweiId ? ', huaweiId = :id' : ''}`,
        ConditionExpression: 'ownerRequestId = :me AND #state = :inflight',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':state': succeeded ? 'Succeeded' : 'Failed',
          ':now': finishedAt,
          ':me': resource.requestId,
          ':inflight': 'InFlight',
          ...(succeeded && huaweiId ? { ':id': huaweiId } : {}),
        },
      },
    });
  }
  try {
    await deps.table.ddb.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if ((error as { name?: string }).name === 'TransactionCanceledException') return false;
    throw error;
  }
  await flushOutbox(deps, resourceKey(resource.requestId, resource.kind, resource.name), [event]);
  return true;
}

/**
 * Publishes an item's pending events, then clears them; a failure leaves them for the poller.
 * Events are only ever appended (a request gets request.accepted, later request.completed), so the clear is
 * guarded on the list still holding just the events published here: if another one was appended meanwhile,
 * the list stays for the poller, which publishes it whole (a repeat carries the same id, so it is droppable).
 * An accepted request that is not complete stays in the due index, where the poller completes it if its last
 * finisher died before writing request.completed.
 */
export async function flushOutbox(deps: OutboxDeps, key: { pk: string; sk: string }, events: readonly OutgoingEvent[]): Promise<boolean> {
  try {
    await publishEvents(deps.topic, events);
  } catch (error) {
    deps.logger?.warn('event publish failed; left in the outbox for the poller', { key: key.pk, errorName: (error as Error).name });
    return false;
  }
  const published = { ':n': events.length };
  const clear = async (update: { UpdateExpression: string; ConditionExpression: string; values?: Record<string, unknown>; names?: Record<string, string> }) => {
    try {
      await deps.table.ddb.send(
        new UpdateCommand({
          TableName: deps.table.tableName,
          Key: key,
          UpdateExpression: update.UpdateExpression,
          ConditionExpression: update.ConditionExpression,
          ExpressionAttributeValues: { ...published, ...update.values },
          ...(update.names ? { ExpressionAttributeNames: update.names } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  };
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
export async function completeRequestIfDone(deps: OutboxDeps, requestId: string): Promise<boolean> {
  // One projected query for the request and its resources: only the fields the check and the event use.
  const { request, resources } = await getRequestSummary(deps.table, requestId);
  if (!request || request.phase !== 'Accepted' || request.completedAt) return false;
  if (resources.length < request.resourceCount || resources.some((r) => !TERMINAL_STATES.has(r.state))) return false;
  const state = overallState(request, resources);
  const outcome: Outcome = state === 'Succeeded' ? 'succeeded' : state === 'Failed' ? 'failed' : 'partially_failed';
  const now = deps.now();
  const event = requestEvent(EVENT_TYPES.requestCompleted, outcome, now.toISOString(), {
    requestId,
    source: request.source,
    state,
    resources: resources.map((r) => ({ kind: r.kind, name: r.name, state: r.state, huaweiId: r.huaweiId ?? null, reason: r.reason ?? null })),
  });
  try {
    await deps.table.ddb.send(
      new UpdateCommand({
        TableName: deps.table.tableName,
        Key: requestKey(requestId),
        // Appended: request.accepted may still be waiting in the outbox.
        UpdateExpression: 'SET completedAt = :now, updatedAt = :now, pendingEvents = list_append(if_not_exists(pendingEvents, :none), :events), duePk = :due, dueAt = :at',
        ConditionExpression: 'attribute_not_exists(completedAt)',
        ExpressionAttributeValues: { ':now': now.toISOString(), ':none': [], ':events': [event], ':due': DUE_PARTITION, ':at': dueAt(now, OUTBOX_RETRY_SECONDS) },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
  await flushOutbox(deps, requestKey(requestId), [event]);
  return true;
}

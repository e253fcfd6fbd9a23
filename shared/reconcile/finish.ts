/**
 * Terminal transitions. The resource's state and its event are written in one guarded update (the event
 * waits in the record as an outbox); then, for the winner only, the managed resource's outcome, the event's
 * publication and the request's count. If anything after the first write fails, the poller finds the record
 * in the due index, settles the managed resource and publishes the event, so a state change is never
 * without its event. When a referenced resource (a pool) ends, the resources of its request waiting for it
 * move at once; when a request's last resource ends, request.completed is written the same way.
 */
import { EVENT_TYPES, requestEvent, resourceEvent, type Outcome } from '../events/cloudevents';
import { flushOutbox, OUTBOX_RETRY_SECONDS, type OutboxDeps } from '../events/outbox';
import { enqueueDispatch, type DispatchMessage, type QueueRef } from '../queue/messages';
import { dueAt, DUE_PARTITION } from '../store/due';
import type { ResourceSpec } from '../kinds/adapter';
import { adapterOf } from '../kinds/registry';
import { executionConfig } from '../config';
import { nextDriftAt } from './drift-schedule';
import { linkDependent, settleManaged } from '../store/managed';
import { addFinished, getRequest, markCompleted, overallState, requestKey, resourceKey, type TableRef } from '../store/requests';
import { getRequestSummary, getResource, updateResource } from '../store/resources';
import { TERMINAL_STATES, type RequestRecord, type RequestSource, type ResourceRecord, type ResourceState } from '../store/types';
import { coalescer } from '../events/coalesce';
import { terminalConditions } from './conditions';

export type { OutboxDeps };

export interface Terminal {
  state: Extract<ResourceState, 'Succeeded' | 'Unchanged' | 'Failed' | 'TimedOut' | 'Deleted' | 'Orphaned'>;
  reason?: string;
  message?: string;
  huaweiId?: string;
  /**
   * Whether this request may hold the managed resource's lifecycle; it is checked, since a resource can end
   * before it ever claimed it (a dependent failed with its pool). When held, the outcome is recorded there.
   */
  ownsIdentity: boolean;
  /** What Huawei last said of it, when the ending came from an observation. */
  observation?: { phase: string; reason?: string; message?: string };
  /** The managed resource's generation the request ended at, when it never claimed one (Unchanged). */
  generation?: number;
}

/**
 * A request's source never changes once written, so a container finishing many resources of one request
 * reads it once rather than once per resource (one GetItem per terminal transition saved). Bounded.
 */
const sources = new Map<string, RequestSource>();
const MAX_CACHED_SOURCES = 500;

export async function requestSource(table: TableRef, requestId: string): Promise<RequestSource | undefined> {
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
 * picks the one winner), then, for the winner only, the managed resource's outcome. A transaction would
 * price both items double and runs 3-4 times slower on DynamoDB Local, on the path every resource takes.
 * What it gave is kept: the managed resource follows only the winning transition, and a finisher that dies
 * between the two writes leaves the event in the outbox, where the poller settles the managed resource
 * before publishing (settle). Until then it reads InFlight, which makes a later request or a dependent
 * wait and look again: a delay, never a second create (the lifecycle moves only away from Failed).
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
    operation: terminal.state === 'Unchanged' ? null : (resource.operation ?? null),
    ...(resource.changes?.length ? { changes: resource.changes } : {}),
    reason: terminal.reason ?? null,
    message: terminal.message ?? null,
    timings: {
      acceptedAt: accepted,
      createStartedAt: resource.createStartedAt ?? null,
      finishedAt,
      durationSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(accepted)) / 1000)),
    },
  });
  const won = await updateResource(deps.table, resource, {
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
      ...(terminal.observation ? { observation: terminal.observation } : {}),
      ...(terminal.generation !== undefined ? { generation: terminal.generation } : {}),
    },
    remove: ['outcomeUnknown'],
    from: ['Queued', 'WaitingForDependency', 'CreatePending', 'Creating', 'Updating', 'Deleting'],
  });
  // Already terminal (or gone): another attempt finished it and published its event.
  if (!won) return undefined;
  // Only a request that may hold the lifecycle records its outcome there (Unchanged and a refused change never do).
  // It runs beside the publish and the count, but before the outbox is cleared: until then the poller would redo it.
  const settling = terminal.ownsIdentity ? settle(deps, won) : undefined;
  const key = resourceKey(resource.requestId, resource.kind, resource.name);
  const [progress] = await Promise.all([countFinished(deps, resource.requestId), flushOutbox(deps, key, [event], settling)]);
  return progress ? { progress } : {};
}

/**
 * Records a finished resource's outcome on its managed resource, if this request holds it in flight.
 * Idempotent; the poller calls it again for every resource whose event is still in the outbox.
 */
export async function settle(
  deps: Pick<OutboxDeps, 'table' | 'now'>,
  resource: Pick<
    ResourceRecord,
    'requestId' | 'projectId' | 'kind' | 'name' | 'state' | 'huaweiId' | 'reason' | 'message' | 'manifest' | 'operation'
  > & {
    observation?: Terminal['observation'];
  },
): Promise<void> {
  if (!TERMINAL_STATES.has(resource.state)) return;
  const at = deps.now().toISOString();
  const succeeded = resource.state === 'Succeeded';
  const removed = resource.state === 'Deleted' || resource.state === 'Orphaned';
  const outcome = {
    state: resource.state,
    ...(resource.reason ? { reason: resource.reason } : {}),
    ...(resource.message ? { message: resource.message } : {}),
  };
  // What a resource was created in (its pool) lists it while it lives, so deleting the pool can wait or refuse;
  // an independent item, written beside the settlement rather than after it.
  const reference = succeeded || removed ? referenceOf(resource) : undefined;
  const dependentKey = `${resource.kind}/${resource.name}`;
  await Promise.all([
    reference ? linkDependent(deps.table, { projectId: resource.projectId, ...reference }, dependentKey, succeeded) : undefined,
    settleManaged(deps.table, {
      projectId: resource.projectId,
      kind: resource.kind,
      name: resource.name,
      requestId: resource.requestId,
      state: succeeded ? 'Succeeded' : removed ? (resource.state as 'Deleted' | 'Orphaned') : 'Failed',
      ...(succeeded && resource.huaweiId ? { huaweiId: resource.huaweiId } : {}),
      conditions: terminalConditions(at, outcome, resource.observation),
      ...(resource.observation ? { observation: { at, ...resource.observation } } : {}),
      ...(succeeded ? { driftDueAt: nextDriftLook(resource, deps.now()) } : {}),
      now: at,
    }),
  ]);
}

/** When a ready resource is first looked at for drift: its slot in the interval (shared/reconcile/drift.ts). */
function nextDriftLook(resource: Pick<ResourceRecord, 'projectId' | 'kind' | 'name'>, now: Date): string {
  return nextDriftAt(resource, now, executionConfig().DRIFT_INTERVAL_MINUTES);
}

function referenceOf(resource: Pick<ResourceRecord, 'kind' | 'manifest'>) {
  const spec = (resource.manifest as { spec?: ResourceSpec }).spec;
  return spec ? adapterOf(resource.kind).reference(spec) : undefined;
}

/**
 * Counts one more finished resource on the request item and returns the request's progress. Only the
 * transition that won its guarded terminal write gets here, so the count never exceeds the truth; a finisher
 * that dies between that write and this update leaves it short, which the poller's periodic check of every
 * incomplete accepted request repairs. Not written with the terminal state: a transaction holding the one
 * request item that all of a request's finishers write would be cancelled whenever two overlap.
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
    const item = await addFinished(deps.table, requestIds[0]!, n);
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
 * Writes request.completed into the request's outbox once every resource is terminal, carrying each
 * resource's state, reason and message (subscribers need not read the table). The guard on completedAt
 * makes concurrent finishers agree on a single event.
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
      operation: r.state === 'Unchanged' ? null : (r.operation ?? null),
      huaweiId: r.huaweiId ?? null,
      reason: r.reason ?? null,
      message: r.message ?? null,
    })),
  });
  const completion = { event, outcome: state, now: now.toISOString(), retryAt: dueAt(now, OUTBOX_RETRY_SECONDS) };
  if (!(await markCompleted(deps.table, requestId, completion))) return false;
  await flushOutbox(deps, requestKey(requestId), [event]);
  return true;
}

export interface FinishDeps extends OutboxDeps {
  dispatch: QueueRef;
}

/**
 * After a terminal transition: the resources of the same request waiting for this one (listed at submit,
 * so no read of the request's partition) move at once, queued with its Huawei id when it succeeded, failed
 * when it did not; resources of other requests notice on their next recheck. Then the request is completed
 * if this was its last resource (`progress`, from the finish's count, says when to check).
 */
export async function afterTerminal(
  deps: FinishDeps,
  resource: Pick<ResourceRecord, 'requestId' | 'kind' | 'name' | 'dependents' | 'huaweiId'>,
  state: string,
  progress?: RequestProgress,
): Promise<void> {
  if (resource.dependents?.length) {
    const ready = state === 'Succeeded' || state === 'Unchanged';
    const dependents = resource.dependents.map(({ kind, name }) => ({ requestId: resource.requestId, kind, name }));
    if (ready) {
      // Those already past waiting ignore the message.
      const referenceId = resource.huaweiId;
      await enqueueDispatch(
        deps.dispatch,
        dependents.map((d) => ({ ...d, ...(referenceId ? { poolId: referenceId } : {}) })),
      );
    } else {
      await failDependents(deps, `${resource.kind} ${resource.name} ended ${state}`, dependents);
    }
  }
  await completeRequestIfDone(deps, resource.requestId, progress);
}

async function failDependents(deps: FinishDeps, message: string, dependents: DispatchMessage[]): Promise<void> {
  for (const key of dependents) {
    // The rare failure path finishes each dependent, which needs its whole record.
    const dependent = await getResource(deps.table, key.requestId, key.kind, key.name);
    // One that got past waiting resolved its reference elsewhere (a resource an earlier request created): not ours to fail.
    if (!dependent || (dependent.state !== 'WaitingForDependency' && dependent.state !== 'Queued')) continue;
    const finished = await finishResourceOnce(deps, dependent, {
      state: 'Failed',
      reason: 'DependencyFailed',
      message,
      ownsIdentity: true,
    });
    if (finished) await completeRequestIfDone(deps, dependent.requestId, finished.progress);
  }
}

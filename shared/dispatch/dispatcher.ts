/**
 * The dispatcher's work for one resource: claim its identity, resolve what it depends on, record the
 * intent, look up before any create that could repeat an earlier attempt, create, and record the result.
 * Invariant: no create is sent twice for one intent unless a look-up proved the first did not happen.
 */
import { createHash } from 'node:crypto';
import type { HuaweiTarget } from '../huaweicloud/client';
import { statusOf } from '../huaweicloud/status';
import { HuaweiInvalidRequestError, HuaweiPermanentError, HuaweiRetryableError, HuaweiUnknownOutcomeError } from '../huaweicloud/errors';
import type { Kind } from '../manifests/kinds';
import { completeRequestIfDone, finishResourceOnce, type OutboxDeps, type RequestProgress, type Terminal } from '../events/outbox';
import { dueAt } from '../store/due';
import { claimIdentity, getIdentity } from '../store/identity';
import { getResource, listResourceSummaries, updateResource } from '../store/resources';
import { TERMINAL_STATES, type IdentityRecord, type ResourceRecord } from '../store/types';
import { enqueueDispatch, type DispatchMessage, type QueueRef } from './messages';
import { huaweiName, markedBody, ownedId } from './ownership';
import { KIND_POLICY } from './policy';

/** The part of the Huawei client the dispatcher and poller use; the real client satisfies it. */
export interface CloudApi {
  create(kind: Kind, target: HuaweiTarget, body: unknown): Promise<{ id: string; raw: unknown }>;
  show(kind: Kind, target: HuaweiTarget, id: string): Promise<unknown>;
  findByName(kind: Kind, target: HuaweiTarget, name: string): Promise<unknown[]>;
  listPods(target: HuaweiTarget, deploymentId: string): Promise<unknown[]>;
}

interface ExecutionSettings {
  leaseSeconds: number;
  waitRecheckSeconds: number;
  pollScale: number;
  maxReceives: number;
}

export interface DispatchDeps extends OutboxDeps {
  cloud: CloudApi;
  dispatch: QueueRef;
  settings: ExecutionSettings;
  /** Test seams that stand for the process dying at the two dangerous points; never set in production. */
  crashPoints?: { afterIntent?: () => void; afterCreate?: () => void };
}

/** The message should come back later (SQS redelivery with backoff); nothing was decided. */
export class RetryLaterError extends Error {
  readonly code = 'RETRY_LATER';
  constructor(
    message: string,
    /** When known, how long until a retry can succeed (e.g. until another attempt's lease runs out). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

export type DispatchResult = 'missing' | 'already-settled' | 'waiting' | 'creating' | 'adopted' | 'finished';

interface Spec {
  poolName?: string;
  poolRef?: string;
  iefInstanceId?: string;
  timeoutMinutes?: number;
  body: Record<string, unknown>;
}

const specOf = (resource: ResourceRecord) => (resource.manifest as { spec: Spec }).spec;

/** What makes two manifests "the same resource spec": the kind's create body and its targeting. */
export function specHash(resource: ResourceRecord): string {
  const { body, poolName, poolRef, iefInstanceId } = specOf(resource);
  return createHash('sha256')
    .update(canonicalJson({ body, poolName, poolRef, iefInstanceId, region: resource.region }))
    .digest('hex');
}

/** JSON with object keys sorted at every level: DynamoDB returns maps in no particular order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function keyOf(resource: Pick<ResourceRecord, 'requestId' | 'kind' | 'name'>) {
  return { requestId: resource.requestId, kind: resource.kind, name: resource.name };
}

async function finish(deps: DispatchDeps, resource: ResourceRecord, terminal: Terminal): Promise<DispatchResult> {
  const finished = await finishResourceOnce(deps, resource, terminal);
  const huaweiId = terminal.huaweiId ?? resource.huaweiId;
  if (finished)
    await afterTerminal(deps, resource.requestId, { ...resource, ...(huaweiId ? { huaweiId } : {}) }, terminal.state, finished.progress);
  return 'finished';
}

/**
 * Once a pool is terminal, its dependents in the same request move at once: re-queued when it succeeded,
 * failed when it did not. Dependents in other requests notice on their next recheck. Then the request is
 * completed if this was its last resource (`progress`, from the finish's count, says when to check).
 */
export async function afterTerminal(
  deps: DispatchDeps,
  requestId: string,
  resource: Pick<ResourceRecord, 'kind' | 'name' | 'dependents' | 'huaweiId'>,
  state: string,
  progress?: RequestProgress,
): Promise<void> {
  if (resource.kind === 'ResourcePool') {
    if (resource.dependents) {
      // Listed at submit: no read of the request's partition. Those already past waiting ignore the message or the failure.
      const poolId = state === 'Succeeded' || state === 'Unchanged' ? resource.huaweiId : undefined;
      await settleDependents(
        deps,
        resource.name,
        state,
        resource.dependents.map(({ kind, name }) => ({ requestId, kind, name, ...(poolId ? { poolId } : {}) })),
      );
    } else {
      // Recorded before pools listed their dependents. Projected (see listResourceSummaries): N pools would otherwise read all N manifests.
      const dependents = (await listResourceSummaries(deps.table, requestId)).filter(
        (r) => r.manifest?.spec?.poolRef === resource.name && (r.state === 'WaitingForDependency' || r.state === 'Queued'),
      );
      await settleDependents(deps, resource.name, state, dependents.map(keyOf));
    }
  }
  await completeRequestIfDone(deps, requestId, progress);
}

async function settleDependents(deps: DispatchDeps, pool: string, state: string, dependents: DispatchMessage[]): Promise<void> {
  if (state === 'Succeeded' || state === 'Unchanged') {
    await enqueueDispatch(deps.dispatch, dependents);
    return;
  }
  for (const key of dependents) {
    // The rare failure path finishes each dependent, which needs its whole record.
    const dependent = await getResource(deps.table, key.requestId, key.kind, key.name);
    // One that got past waiting resolved its pool elsewhere (an identity an earlier request created): not ours to fail.
    if (!dependent || (dependent.state !== 'WaitingForDependency' && dependent.state !== 'Queued')) continue;
    await finish(deps, dependent, {
      state: 'Failed',
      reason: 'DependencyFailed',
      message: `ResourcePool ${pool} ended ${state}`,
      ownsIdentity: true,
    });
  }
}

async function wait(deps: DispatchDeps, resource: ResourceRecord, message: string): Promise<DispatchResult> {
  const now = deps.now();
  await updateResource(deps.table, keyOf(resource), {
    from: ['Queued', 'WaitingForDependency'],
    set: { state: 'WaitingForDependency', message, updatedAt: now.toISOString(), dueAt: dueAt(now, deps.settings.waitRecheckSeconds) },
  });
  return 'waiting';
}

type Resolution = { ok: true; poolId?: string } | { ok: false; result: Promise<DispatchResult> };

/** A poolRef names a ResourcePool manifest; it resolves to that pool's ID once the pool is Running. */
async function resolvePool(
  deps: DispatchDeps,
  resource: ResourceRecord,
  poolIdentity?: Promise<IdentityRecord | undefined>,
  knownPoolId?: string,
): Promise<Resolution> {
  const { poolRef } = specOf(resource);
  if (!poolRef) return { ok: true };
  if (knownPoolId) return { ok: true, poolId: knownPoolId };
  const identity = await (poolIdentity ?? getIdentity(deps.table, resource.projectId, 'ResourcePool', poolRef));
  if (identity?.state === 'Succeeded' && identity.huaweiId) return { ok: true, poolId: identity.huaweiId };
  const sibling = await getResource(deps.table, resource.requestId, 'ResourcePool', poolRef);
  if (identity?.state === 'Failed' || (sibling && (sibling.state === 'Failed' || sibling.state === 'TimedOut'))) {
    return {
      ok: false,
      result: finish(deps, resource, {
        state: 'Failed',
        reason: 'DependencyFailed',
        message: `ResourcePool ${poolRef} failed`,
        ownsIdentity: true,
      }),
    };
  }
  if (identity || sibling) return { ok: false, result: wait(deps, resource, `waiting for ResourcePool ${poolRef} to be Running`) };
  return {
    ok: false,
    result: finish(deps, resource, {
      state: 'Failed',
      reason: 'DependencyFailed',
      message: `no ResourcePool named ${poolRef} in project ${resource.projectId} was ever requested`,
      ownsIdentity: true,
    }),
  };
}

/** Where the calls for a resource go: its project and region, its parent pool, its IEF instance. */
export function targetOf(resource: Pick<ResourceRecord, 'kind' | 'projectId' | 'region' | 'manifest'>, poolId?: string): HuaweiTarget {
  const spec = specOf(resource as ResourceRecord);
  const poolName = resource.kind === 'NodePool' ? (spec.poolName ?? poolId) : undefined;
  return {
    projectId: resource.projectId,
    region: resource.region,
    ...(poolName ? { poolName } : {}),
    ...(spec.iefInstanceId ? { iefInstanceId: spec.iefInstanceId } : {}),
  };
}

async function markCreating(
  deps: DispatchDeps,
  resource: ResourceRecord,
  attempt: number,
  huaweiId: string,
  adopted: boolean,
): Promise<DispatchResult> {
  const now = deps.now();
  const timeout = specOf(resource).timeoutMinutes ?? KIND_POLICY[resource.kind].timeoutMinutes;
  const policy = KIND_POLICY[resource.kind];
  const updated = await updateResource(deps.table, keyOf(resource), {
    from: ['CreatePending'],
    condition: 'attempt = :attempt',
    values: { ':attempt': attempt },
    set: {
      state: 'Creating',
      huaweiId,
      createStartedAt: now.toISOString(),
      deadlineAt: dueAt(now, timeout * 60),
      polls: 0,
      updatedAt: now.toISOString(),
      dueAt: dueAt(now, policy.pollFirstSeconds * deps.settings.pollScale),
      message: adopted ? 'adopted a resource an earlier attempt created' : 'create accepted',
    },
    remove: ['outcomeUnknown'],
  });
  if (!updated) throw new RetryLaterError('another attempt took over this resource');
  return adopted ? 'adopted' : 'creating';
}

/**
 * Handles one dispatch message. Throws RetryLaterError (or an AWS error) when SQS should deliver it
 * again; every other outcome is recorded before returning.
 */
export async function dispatchResource(
  deps: DispatchDeps,
  message: DispatchMessage,
  ctx: { receiveCount: number },
): Promise<DispatchResult> {
  const resource = await getResource(deps.table, message.requestId, message.kind, message.name);
  if (!resource) return 'missing';
  if (TERMINAL_STATES.has(resource.state) || resource.state === 'Creating') return 'already-settled';
  const now = deps.now();
  const spec = specOf(resource);

  // A dependent reads its pool's identity anyway unless the claim ends it (or its pool sent the id): read beside the claim, not after it.
  const knownPoolId = spec.poolRef ? message.poolId : undefined;
  const poolIdentity = spec.poolRef && !knownPoolId ? getIdentity(deps.table, resource.projectId, 'ResourcePool', spec.poolRef) : undefined;
  poolIdentity?.catch(() => undefined);
  const claim = await claimIdentity(deps.table, {
    projectId: resource.projectId,
    kind: resource.kind,
    name: resource.name,
    requestId: resource.requestId,
    specHash: specHash(resource),
    now: now.toISOString(),
  });
  if (claim.status === 'succeeded') {
    return claim.identity.specHash === specHash(resource)
      ? finish(deps, resource, {
          state: 'Unchanged',
          ...(claim.identity.huaweiId ? { huaweiId: claim.identity.huaweiId } : {}),
          message: `already created by request ${claim.identity.ownerRequestId}`,
          ownsIdentity: false,
        })
      : finish(deps, resource, {
          state: 'Failed',
          reason: 'UpdateNotSupported',
          message:
            `${resource.kind}/${resource.name} exists with a different spec (request ` +
            `${claim.identity.ownerRequestId}); updates are not supported yet`,
          ownsIdentity: false,
        });
  }
  if (claim.status === 'busy')
    return wait(deps, resource, `waiting for request ${claim.identity.ownerRequestId}, which is creating the same resource`);

  const policy = KIND_POLICY[resource.kind];
  if (resource.dispatchStartedAt && now.getTime() > Date.parse(resource.dispatchStartedAt) + policy.dispatchDeadlineMinutes * 60_000) {
    return finish(deps, resource, {
      state: 'Failed',
      reason: 'DispatchDeadlineExceeded',
      message: `no confirmed create within ${policy.dispatchDeadlineMinutes} minutes of retries`,
      ownsIdentity: true,
    });
  }
  if (ctx.receiveCount >= deps.settings.maxReceives && resource.state !== 'CreatePending') {
    return finish(deps, resource, {
      state: 'Failed',
      reason: 'DispatchRetriesExhausted',
      message: `dispatch failed ${ctx.receiveCount} times`,
      ownsIdentity: true,
    });
  }

  const pool = await resolvePool(deps, resource, poolIdentity, knownPoolId);
  if (!pool.ok) return pool.result;

  // The intent: only one attempt at a time may hold it; a stale or known-unresolved one can be taken over.
  const staleBefore = new Date(now.getTime() - deps.settings.leaseSeconds * 1000).toISOString();
  const intent = await updateResource(deps.table, keyOf(resource), {
    condition: '#state IN (:queued, :waiting) OR (#state = :pending AND (intentAt < :stale OR outcomeUnknown = :true))',
    values: { ':queued': 'Queued', ':waiting': 'WaitingForDependency', ':pending': 'CreatePending', ':stale': staleBefore, ':true': true },
    set: {
      state: 'CreatePending',
      intentAt: now.toISOString(),
      outcomeUnknown: false,
      dispatchStartedAt: resource.dispatchStartedAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
      dueAt: dueAt(now, deps.settings.leaseSeconds),
      message: 'creating',
      ...(pool.poolId ? { resolvedPoolName: pool.poolId } : {}),
    },
    add: { attempt: 1 },
  });
  if (!intent) {
    const current = await getResource(deps.table, message.requestId, message.kind, message.name);
    const leaseLeft = current?.intentAt
      ? Math.ceil((Date.parse(current.intentAt) + deps.settings.leaseSeconds * 1000 - now.getTime()) / 1000)
      : undefined;
    throw new RetryLaterError(
      'another attempt holds the create intent',
      leaseLeft !== undefined && leaseLeft > 0 ? leaseLeft + 1 : undefined,
    );
  }
  const attempt = intent.attempt ?? 1;
  // From the counter the intent just incremented, not from the record read above: another delivery of this
  // message may have recorded an intent (and created) between that read and this update.
  const earlierAttempt = attempt > 1;
  deps.crashPoints?.afterIntent?.();

  const target = targetOf(resource, pool.poolId);
  const body = spec.body;
  // A Failed identity may hide a create whose outcome never became known (a dispatch deadline or retry limit
  // hit while it was unresolved): a request taking it over looks up too, but adopts only what did not fail.
  const takenOver = claim.status === 'owned' && claim.takenOver === true;
  if (earlierAttempt || takenOver) {
    // An earlier attempt recorded an intent: it may have created the resource before dying or losing the answer.
    let found: unknown[];
    try {
      found = await deps.cloud.findByName(resource.kind, target, huaweiName(resource.kind, body));
    } catch (error) {
      if (error instanceof HuaweiInvalidRequestError) {
        // The create carries the same target, so no later delivery could send it: fail now, not at the dispatch deadline.
        return finish(
          deps,
          { ...resource, state: 'CreatePending' },
          { state: 'Failed', reason: error.reason, message: error.errorMsg ?? error.message, ownsIdentity: true },
        );
      }
      await releaseIntent(deps, resource, attempt, true);
      throw error instanceof HuaweiPermanentError ? error : new RetryLaterError(`look-up failed: ${(error as Error).message}`);
    }
    const candidates = earlierAttempt ? found : found.filter((item) => statusOf(resource.kind, item).phase !== 'Failed');
    const id = candidates.map((item) => ownedId(resource.kind, item, resource.projectId, resource.name, body)).find(Boolean);
    if (id) return markCreating(deps, resource, attempt, id, true);
  }

  let created: { id: string };
  try {
    created = await deps.cloud.create(
      resource.kind,
      target,
      markedBody(resource.kind, body, resource.projectId, resource.name, pool.poolId ? { poolId: pool.poolId } : {}),
    );
  } catch (error) {
    if (error instanceof HuaweiPermanentError) {
      return finish(
        deps,
        { ...resource, state: 'CreatePending' },
        {
          state: 'Failed',
          reason: error instanceof HuaweiInvalidRequestError ? error.reason : (error.errorCode ?? `HTTP_${error.status ?? 'ERROR'}`),
          message: error.errorMsg ?? error.message,
          ownsIdentity: true,
        },
      );
    }
    if (error instanceof HuaweiRetryableError) {
      // Throttled before reaching the service: nothing was created, so the next attempt need not look up.
      await releaseIntent(deps, resource, attempt, false);
      throw new RetryLaterError(`create throttled: ${error.message}`);
    }
    if (error instanceof HuaweiUnknownOutcomeError) {
      await releaseIntent(deps, resource, attempt, true);
      throw new RetryLaterError(`create outcome unknown: ${error.message}`);
    }
    throw error;
  }
  deps.crashPoints?.afterCreate?.();
  return markCreating(deps, resource, attempt, created.id, false);
}

/**
 * Lets the next delivery proceed without waiting out the lease. `mayExist` keeps the look-up that a
 * possibly-created resource requires; a throttled create is known not to have happened.
 */
async function releaseIntent(deps: DispatchDeps, resource: ResourceRecord, attempt: number, mayExist: boolean): Promise<void> {
  const now = deps.now();
  await updateResource(deps.table, keyOf(resource), {
    from: ['CreatePending'],
    condition: 'attempt = :attempt',
    values: { ':attempt': attempt },
    set: mayExist
      ? { outcomeUnknown: true, updatedAt: now.toISOString(), message: 'create outcome unknown; will look up before retrying' }
      : { state: 'Queued', updatedAt: now.toISOString(), message: 'throttled; will retry' },
    ...(mayExist ? {} : { add: { attempt: -1 } }),
  });
}

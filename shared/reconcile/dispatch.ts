/**
 * Bringing one resource of a request to the generation it asked for: take its managed resource's lifecycle,
 * resolve what it references, record the intent, look up before any create that could repeat an earlier
 * attempt, create, and record the result. The dispatcher runs this for each queue message.
 * Invariant: no create is sent twice for one intent unless a look-up proved the first did not happen.
 */
import { HuaweiInvalidRequestError, HuaweiPermanentError, HuaweiRetryableError, HuaweiUnknownOutcomeError } from '../huaweicloud/errors';
import type { ResourceSpec } from '../kinds/adapter';
import { adapterOf } from '../kinds/registry';
import type { DispatchMessage } from '../queue/messages';
import { dueAt } from '../store/due';
import { claimChange, claimManaged, getManaged, type Claim, type ManagedClaim } from '../store/managed';
import { getResource, getResourceStanding, updateResource } from '../store/resources';
import {
  OBSERVED_STATES,
  REQUEUED_STATES,
  TERMINAL_STATES,
  type ManagedResource,
  type ResourceRecord,
  type ResourceState,
} from '../store/types';
import { reconcilingConditions } from './conditions';
import { afterTerminal, finishResourceOnce, requestSource, type Terminal } from './finish';
import { ownerOf } from './owner';
import { adapterResource, keyOf, RetryLaterError, specOf, targetOf, type ReconcileDeps } from './resource';
import { adoptable, decideChange, foreignMessage, specHash, standing } from './verdict';
import { startChange, startRemoval } from './change';
import { isNotFoundError } from '../huaweicloud/client';

export { RetryLaterError, type ReconcileDeps };

export type DispatchResult =
  | 'missing'
  | 'already-settled'
  | 'awaiting-approval'
  | 'waiting'
  | 'creating'
  | 'adopted'
  | 'finished'
  | 'changing'
  | 'deleting';

/**
 * Whether the poller will bring this message's resource on without the message: it is due (where intake and every
 * intent put it) in a state the poller queues again or observes (pollTick). A message that has used up its receives
 * for such a resource is acknowledged instead of dead-lettered, so the dead-letter queue holds only what nothing else
 * would pick up. What was found goes with the answer, for the log line either way; no state: no such resource.
 */
export async function pollerFollows(
  deps: ReconcileDeps,
  message: DispatchMessage,
): Promise<{ follows: boolean; state?: ResourceState; due: boolean }> {
  const standing = await getResourceStanding(deps.table, message.requestId, message.kind, message.name);
  if (!standing) return { follows: false, due: false };
  const follows = standing.due && (REQUEUED_STATES.has(standing.state) || OBSERVED_STATES.has(standing.state));
  return { follows, ...standing };
}

async function finish(deps: ReconcileDeps, resource: ResourceRecord, terminal: Terminal): Promise<DispatchResult> {
  const finished = await finishResourceOnce(deps, resource, terminal);
  const huaweiId = terminal.huaweiId ?? resource.huaweiId;
  if (finished) await afterTerminal(deps, { ...resource, ...(huaweiId ? { huaweiId } : {}) }, terminal.state, finished.progress);
  return 'finished';
}

async function wait(deps: ReconcileDeps, resource: ResourceRecord, message: string): Promise<DispatchResult> {
  const now = deps.now();
  await updateResource(deps.table, keyOf(resource), {
    from: ['Queued', 'WaitingForDependency'],
    set: { state: 'WaitingForDependency', message, updatedAt: now.toISOString(), dueAt: dueAt(now, deps.settings.waitRecheckSeconds) },
  });
  return 'waiting';
}

type Resolution = { ok: true; referenceId?: string } | { ok: false; result: Promise<DispatchResult> };

/** A reference (a poolRef) names another managed resource; it resolves to that resource's Huawei id once it is ready. */
async function resolveReference(
  deps: ReconcileDeps,
  resource: ResourceRecord,
  referenced?: ReturnType<typeof getManaged>,
  knownId?: string,
): Promise<Resolution> {
  const reference = adapterOf(resource.kind).reference(specOf(resource));
  if (!reference) return { ok: true };
  if (knownId) return { ok: true, referenceId: knownId };
  const managed = await (referenced ?? getManaged(deps.table, resource.projectId, reference.kind, reference.name));
  if (managed?.state === 'Succeeded' && managed.huaweiId) return { ok: true, referenceId: managed.huaweiId };
  // A failed update leaves the referenced resource where it was, still there to be used: only a failed create (or
  // replacement) means there is nothing to create in.
  if (managed?.state === 'Failed' && managed.operation === 'update' && managed.huaweiId) return { ok: true, referenceId: managed.huaweiId };
  const sibling = await getResource(deps.table, resource.requestId, reference.kind, reference.name);
  const fail = (message: string): Resolution => ({
    ok: false,
    result: finish(deps, resource, { state: 'Failed', reason: 'DependencyFailed', message, ownsIdentity: true }),
  });
  if (managed?.state === 'Failed' || (sibling && (sibling.state === 'Failed' || sibling.state === 'TimedOut')))
    return fail(`${reference.kind} ${reference.name} failed`);
  if (managed || sibling) return { ok: false, result: wait(deps, resource, `waiting for ${reference.kind} ${reference.name} to be ready`) };
  return fail(`no ${reference.kind} named ${reference.name} in project ${resource.projectId} was ever requested`);
}

/** The owner this resource's request speaks for: written at intake; read from the request for older records. */
async function ownerOfResource(deps: ReconcileDeps, resource: ResourceRecord): Promise<string> {
  if (resource.owner) return resource.owner;
  const source = await requestSource(deps.table, resource.requestId);
  return source ? ownerOf(source) : `request:${resource.requestId}`;
}

async function markCreating(
  deps: ReconcileDeps,
  resource: ResourceRecord,
  attempt: number,
  huaweiId: string,
  adopted: boolean,
): Promise<DispatchResult> {
  const now = deps.now();
  const timing = adapterOf(resource.kind).timing;
  const timeout = specOf(resource).timeoutMinutes ?? timing.timeoutMinutes;
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
      dueAt: dueAt(now, timing.pollFirstSeconds * deps.settings.pollScale),
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
  deps: ReconcileDeps,
  message: DispatchMessage,
  ctx: { receiveCount: number },
): Promise<DispatchResult> {
  const resource = await getResource(deps.table, message.requestId, message.kind, message.name);
  if (!resource) return 'missing';
  if (TERMINAL_STATES.has(resource.state) || OBSERVED_STATES.has(resource.state)) return 'already-settled';
  // Held for approval: nothing may be dispatched until an approver releases it (which queues it again).
  if (resource.state === 'PendingApproval') return 'awaiting-approval';
  const now = deps.now();
  const adapter = adapterOf(resource.kind);
  const spec = specOf(resource);
  const reference = adapter.reference(spec);
  if (resource.operation === 'delete' || resource.operation === 'orphan') {
    return (await startRemoval(deps, resource, await ownerOfResource(deps, resource))) as DispatchResult;
  }

  // A dependent reads what it references anyway unless the claim ends it (or its pool sent the id): read beside the claim, not after it.
  const knownId = reference ? message.poolId : undefined;
  const referenced = reference && !knownId ? getManaged(deps.table, resource.projectId, reference.kind, reference.name) : undefined;
  referenced?.catch(() => undefined);
  // Intake hashes the spec it records; a record without that hash is hashed here.
  const hash = resource.specHash ?? specHash(resource.kind, spec, resource.region);
  const owner = await ownerOfResource(deps, resource);
  const ask: ManagedClaim = {
    projectId: resource.projectId,
    kind: resource.kind,
    name: resource.name,
    region: resource.region,
    requestId: resource.requestId,
    owner,
    source: resource.source ?? { provider: 'api', ref: `request:${resource.requestId}`, file: resource.file },
    desired: spec as unknown as Record<string, unknown>,
    specHash: hash,
    conditions: reconcilingConditions(now.toISOString()),
    now: now.toISOString(),
  };
  const claimFor = () => claimManaged(deps.table, ask);
  let claim: Claim = await claimFor();
  /** A resource Huawei may still hold from an earlier life (a failed update, an orphan): changed in place if it lives. */
  let earlier = claim.status === 'owned' && claim.takenOver ? earlierLife(claim.previous) : undefined;
  if (claim.status === 'existing') {
    const { managed } = claim;
    switch (standing(managed, { owner, specHash: hash, requestId: resource.requestId })) {
      case 'foreign':
        return finish(deps, resource, {
          state: 'Failed',
          reason: 'OwnedElsewhere',
          message: foreignMessage(resource.kind, resource.name, managed),
          ownsIdentity: false,
        });
      case 'unchanged':
        // A correction of drift: the manifest is the same, Huawei's copy is not.
        if (resource.correction) return correct(deps, resource, ask, managed, resource.correction);
        return finish(deps, resource, {
          state: 'Unchanged',
          ...(managed.huaweiId ? { huaweiId: managed.huaweiId } : {}),
          message: `already created by request ${managed.requestId}`,
          generation: managed.generation,
          ownsIdentity: false,
        });
      case 'changed':
        return change(deps, resource, ask, managed);
      case 'busy':
        return wait(deps, resource, `waiting for request ${managed.requestId}, which is creating the same resource`);
      case 'mine': {
        // This request's own claim, redelivered before its intent: what the claim was for goes on.
        const changing = managed.operation === 'update' || managed.operation === 'recreate';
        if (changing && !resource.removedAt) return resumeChange(deps, resource, managed);
        // A delivery that died after the claim sent nothing (the intent comes first); the attempt counter covers the rest.
        claim = { status: 'owned', generation: managed.generation };
        // Its claim kept the desired spec it replaced; a recreate's old resource is gone.
        if (!resource.removedAt) earlier = earlierLife({ ...managed, desired: managed.previousDesired ?? {} });
        break;
      }
      case 'retry':
        // It failed between our claim and our read: claim it again (it is conditional, so at most one request wins).
        claim = await claimFor();
        if (claim.status === 'existing') throw new RetryLaterError('the managed resource changed hands while it was claimed');
        earlier = claim.takenOver ? earlierLife(claim.previous) : undefined;
    }
  }
  // The same spec as before needs no change: the create path's look-up adopts what lives.
  if (earlier && claim.status === 'owned' && specHash(resource.kind, earlier.desired as ResourceSpec, resource.region) !== hash) {
    if (await isLive(deps, resource, earlier.huaweiId)) return changeInPlace(deps, resource, claim.generation, earlier);
  }

  const timing = adapter.timing;
  if (resource.dispatchStartedAt && now.getTime() > Date.parse(resource.dispatchStartedAt) + timing.dispatchDeadlineMinutes * 60_000) {
    return finish(deps, resource, {
      state: 'Failed',
      reason: 'DispatchDeadlineExceeded',
      message: `no confirmed create within ${timing.dispatchDeadlineMinutes} minutes of retries`,
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

  const resolved = await resolveReference(deps, resource, referenced, knownId);
  if (!resolved.ok) return resolved.result;

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
      operation: resource.operation === 'recreate' ? 'recreate' : 'create',
      generation: claim.generation,
      ...(resolved.referenceId ? { resolvedPoolName: resolved.referenceId } : {}),
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

  const target = targetOf(resource, resolved.referenceId);
  const wanted = adapterResource(resource);
  // A Failed lifecycle may hide a create whose outcome never became known (a dispatch deadline or retry limit
  // hit while it was unresolved): a request taking it over looks up too, but adopts only what did not fail.
  const takenOver = claim.status === 'owned' && claim.takenOver === true;
  if (earlierAttempt || takenOver) {
    // An earlier attempt recorded an intent: it may have created the resource before dying or losing the answer.
    let found: unknown[];
    try {
      found = await deps.cloud.findByName(resource.kind, target, adapter.huaweiName(spec));
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
    const id = adoptable(resource.kind, found, wanted, !earlierAttempt);
    if (id) return markCreating(deps, resource, attempt, id, true);
  }

  let created: { id: string };
  try {
    created = await deps.cloud.create(resource.kind, wanted, target, resolved.referenceId);
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
 * A change of a Succeeded resource's desired spec: in place when the kind can apply every changed field,
 * by replacement when the manifest asks for it (spec.updatePolicy: Recreate); otherwise refused, naming the fields.
 */
async function change(deps: ReconcileDeps, resource: ResourceRecord, ask: ManagedClaim, managed: ManagedResource): Promise<DispatchResult> {
  const decision = decideChange(resource.kind, managed.desired as ResourceSpec, specOf(resource), managed.dependents);
  if (decision.verdict === 'refused') {
    return finish(deps, resource, { state: 'Failed', reason: decision.reason, message: decision.message, ownsIdentity: false });
  }
  const { verdict: operation, changes } = decision;
  const claimed = await claimChange(deps.table, { ...ask, operation, expectRequestId: managed.requestId });
  if (!claimed) throw new RetryLaterError('the managed resource changed while it was claimed for a change');
  return startChange(deps, resource, {
    operation,
    generation: claimed.generation,
    ...(managed.huaweiId ? { huaweiId: managed.huaweiId } : {}),
    changes,
  });
}

/**
 * Brings what Huawei holds back to the unchanged manifest: fields that drifted through the update path (each step
 * decided from a fresh look, as any update), a resource deleted outside by a recreate, whose delete finds nothing
 * and whose create makes it anew.
 */
async function correct(
  deps: ReconcileDeps,
  resource: ResourceRecord,
  ask: ManagedClaim,
  managed: ManagedResource,
  correction: NonNullable<ResourceRecord['correction']>,
): Promise<DispatchResult> {
  const operation = correction === 'missing' ? 'recreate' : 'update';
  const claimed = await claimChange(deps.table, { ...ask, operation, expectRequestId: managed.requestId });
  if (!claimed) throw new RetryLaterError('the managed resource changed while it was claimed for a correction');
  const changes = (managed.drift ?? []).map(({ path, desired, observed }) => ({
    path,
    desired,
    observed,
    effect: 'restores the manifest',
  }));
  return startChange(deps, resource, {
    operation,
    generation: claimed.generation,
    ...(managed.huaweiId ? { huaweiId: managed.huaweiId } : {}),
    changes,
  });
}

/** A change this request claimed, redelivered before its intent was written: started again from the same claim. */
async function resumeChange(deps: ReconcileDeps, resource: ResourceRecord, managed: ManagedResource): Promise<DispatchResult> {
  const adapter = adapterOf(resource.kind);
  const previous = (managed.previousDesired ?? managed.desired) as ResourceSpec;
  return startChange(deps, resource, {
    operation: managed.operation === 'recreate' ? 'recreate' : 'update',
    generation: managed.generation,
    ...(managed.huaweiId ? { huaweiId: managed.huaweiId } : {}),
    changes: adapter.changes(previous, specOf(resource)),
  });
}

type EarlierLife = Pick<ManagedResource, 'desired' | 'dependents'> & { huaweiId: string };

const earlierLife = (managed?: Pick<ManagedResource, 'huaweiId' | 'desired' | 'dependents'>): EarlierLife | undefined =>
  managed?.huaweiId ? { ...managed, huaweiId: managed.huaweiId } : undefined;

/** Whether the resource an earlier life left is still held by Huawei and did not fail. */
async function isLive(deps: ReconcileDeps, resource: ResourceRecord, id: string): Promise<boolean> {
  try {
    const seen = await deps.cloud.observe(resource.kind, targetOf(resource, resource.resolvedPoolName), id);
    return seen.phase !== 'Failed';
  } catch (error) {
    if (error instanceof HuaweiPermanentError && isNotFoundError(error)) return false;
    throw new RetryLaterError(`could not read ${resource.kind} ${id}: ${(error as Error).message}`);
  }
}

/** A taken-over resource that still lives is brought to this request's spec in place (or replaced, or refused). */
async function changeInPlace(
  deps: ReconcileDeps,
  resource: ResourceRecord,
  generation: number,
  earlier: EarlierLife,
): Promise<DispatchResult> {
  const decision = decideChange(resource.kind, earlier.desired as ResourceSpec, specOf(resource), earlier.dependents);
  if (decision.verdict === 'refused') {
    return finish(deps, resource, { state: 'Failed', reason: decision.reason, message: decision.message, ownsIdentity: true });
  }
  return startChange(deps, resource, { operation: decision.verdict, generation, huaweiId: earlier.huaweiId, changes: decision.changes });
}

/**
 * Lets the next delivery proceed without waiting out the lease. `mayExist` keeps the look-up that a
 * possibly-created resource requires; a throttled create is known not to have happened.
 */
async function releaseIntent(deps: ReconcileDeps, resource: ResourceRecord, attempt: number, mayExist: boolean): Promise<void> {
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

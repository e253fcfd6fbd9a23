/**
 * The rest of a resource's life after its create: update in place, recreate (delete, then create again), delete
 * and orphan. Each starts in the dispatcher (a claim on the managed resource, then the intent: the state
 * Updating or Deleting, written before any call) and goes on in the poller, one level-triggered step per
 * look: observe, then let the adapter decide the next call from what it saw. A step that died or lost its
 * answer is repeated from a fresh observation, so an update applied already is never sent again, and a delete
 * that finds nothing has succeeded (not found is success; nothing re-creates a deleted resource but a new request).
 */
import { isNotFoundError } from '../huaweicloud/client';
import { HuaweiInvalidRequestError, HuaweiPermanentError } from '../huaweicloud/errors';
import type { Observation, PlannedChange, UpdateStep } from '../kinds/adapter';
import { adapterOf } from '../kinds/registry';
import { enqueueDispatch } from '../queue/messages';
import { dueAt } from '../store/due';
import { claimRemoval, getManaged } from '../store/managed';
import { getResource, updateResource } from '../store/resources';
import { TERMINAL_STATES, type ManagedResource, type ResourceRecord } from '../store/types';
import { adoptable } from './verdict';
import { afterTerminal, finishResourceOnce, type Terminal } from './finish';
import { adapterResource, keyOf, specOf, targetOf, type ReconcileDeps } from './resource';
import { nextPollSeconds } from './timing';

/** After this many refusals in a row, an update step's error is the verdict (one may follow a lost answer). */
const MAX_REFUSALS = 3;
const DEFAULT_UPDATE_MINUTES = 30;
const DEFAULT_DELETE_MINUTES = 30;

/** Moves a resource to a terminal state once and does what follows (dependents, the request's completion). */
async function finishChange(deps: ReconcileDeps, resource: ResourceRecord, terminal: Terminal): Promise<'finished'> {
  const finished = await finishResourceOnce(deps, resource, terminal);
  const huaweiId = terminal.huaweiId ?? resource.huaweiId;
  if (finished) await afterTerminal(deps, { ...resource, ...(huaweiId ? { huaweiId } : {}) }, terminal.state, finished.progress);
  return 'finished';
}

/** Parks a resource until what it waits for moves; the poller hands it back to the dispatcher after the recheck delay. */
async function waitFor(deps: ReconcileDeps, resource: ResourceRecord, message: string): Promise<'waiting'> {
  const now = deps.now();
  await updateResource(deps.table, keyOf(resource), {
    from: ['Queued', 'WaitingForDependency'],
    set: { state: 'WaitingForDependency', message, updatedAt: now.toISOString(), dueAt: dueAt(now, deps.settings.waitRecheckSeconds) },
  });
  return 'waiting';
}

function minutesFor(kind: string, state: 'Updating' | 'Deleting', spec: { timeoutMinutes?: number }): number {
  const timing = adapterOf(kind).timing;
  if (state === 'Updating') return spec.timeoutMinutes ?? timing.updateTimeoutMinutes ?? DEFAULT_UPDATE_MINUTES;
  return timing.deleteTimeoutMinutes ?? DEFAULT_DELETE_MINUTES;
}

/** The Huawei id of what the resource was created in (a node pool's pool): its calls are addressed through it. */
async function referenceId(deps: ReconcileDeps, resource: ResourceRecord): Promise<string | undefined> {
  if (resource.resolvedPoolName) return resource.resolvedPoolName;
  const reference = adapterOf(resource.kind).reference(specOf(resource));
  if (!reference) return undefined;
  return (await getManaged(deps.table, resource.projectId, reference.kind, reference.name))?.huaweiId;
}

/**
 * The intent of an update or a recreate: written before any call, from a state only the dispatcher holds, so
 * exactly one delivery starts it; then its first step at once (the poller takes the next ones).
 */
export async function startChange(
  deps: ReconcileDeps,
  resource: ResourceRecord,
  change: { operation: 'update' | 'recreate'; generation: number; huaweiId?: string; changes: PlannedChange[] },
): Promise<'changing' | 'finished'> {
  const now = deps.now();
  const state = change.operation === 'update' ? 'Updating' : 'Deleting';
  const poolId = await referenceId(deps, resource);
  const started = await updateResource(deps.table, keyOf(resource), {
    from: ['Queued', 'WaitingForDependency'],
    set: {
      state,
      operation: change.operation,
      generation: change.generation,
      changes: change.changes,
      createStartedAt: now.toISOString(),
      deadlineAt: dueAt(now, minutesFor(resource.kind, state, specOf(resource)) * 60),
      polls: 0,
      deleteSent: false,
      updatedAt: now.toISOString(),
      dueAt: dueAt(now, deps.settings.leaseSeconds),
      message: change.operation === 'update' ? 'updating' : 'replacing: deleting the old resource first',
      ...(change.huaweiId ? { huaweiId: change.huaweiId } : {}),
      ...(poolId ? { resolvedPoolName: poolId } : {}),
    },
  });
  // Another delivery wrote the intent first: it (or the poller) goes on.
  if (!started) return 'changing';
  deps.crashPoints?.afterIntent?.();
  return (await stepChange(deps, started)) ? 'finished' : 'changing';
}

/**
 * Deletes or orphans a resource for a removal request: only its owner may, dependents first (a pool waits for
 * the node pools and notebooks of the same request being removed, and refuses while others still live in it).
 */
export async function startRemoval(deps: ReconcileDeps, resource: ResourceRecord, owner: string): Promise<string> {
  const operation = resource.operation === 'orphan' ? 'orphan' : 'delete';
  const gone = operation === 'orphan' ? 'Orphaned' : 'Deleted';
  const current = await getManaged(deps.table, resource.projectId, resource.kind, resource.name);
  if (!current || current.state === 'Deleted' || current.state === 'Orphaned') {
    return finishChange(deps, resource, { state: gone, message: 'not managed: nothing to remove', ownsIdentity: false });
  }
  if (current.owner !== owner) {
    const message = `${resource.kind}/${resource.name} is managed by ${current.owner}; only that owner may remove it`;
    return finishChange(deps, resource, { state: 'Failed', reason: 'OwnedElsewhere', message, ownsIdentity: false });
  }
  if (operation === 'delete') {
    const blocking = await liveDependents(deps, resource, current);
    if (blocking.waitFor.length) return waitFor(deps, resource, `waiting for ${blocking.waitFor.join(', ')} to be removed first`);
    if (blocking.refuse.length) {
      const message = `still holds ${blocking.refuse.join(', ')}, which are not being deleted: delete them first`;
      return finishChange(deps, resource, { state: 'Failed', reason: 'HasDependents', message, ownsIdentity: false });
    }
  }
  const now = deps.now().toISOString();
  const claim = await claimRemoval(deps.table, { ...identity(resource), requestId: resource.requestId, owner, operation, now });
  let previous: ManagedResource;
  if (claim.status === 'absent') {
    return finishChange(deps, resource, { state: gone, message: 'not managed: nothing to remove', ownsIdentity: false });
  } else if (claim.status === 'existing') {
    // This request's own claim, redelivered: go on; another request's work: wait for it to end.
    if (claim.managed.requestId !== resource.requestId || claim.managed.state !== 'InFlight')
      return waitFor(deps, resource, `waiting for request ${claim.managed.requestId}, which is working on the same resource`);
    previous = claim.managed;
  } else previous = claim.previous;

  if (operation === 'orphan') {
    return finishChange(deps, resource, {
      state: 'Orphaned',
      message: 'left running; no longer managed',
      ownsIdentity: true,
      ...(previous.huaweiId ? { huaweiId: previous.huaweiId } : {}),
    });
  }
  const poolId = await referenceId(deps, resource);
  const started = await updateResource(deps.table, keyOf(resource), {
    from: ['Queued', 'WaitingForDependency'],
    set: {
      ...(poolId ? { resolvedPoolName: poolId } : {}),
      state: 'Deleting',
      operation: 'delete',
      createStartedAt: now,
      deadlineAt: dueAt(deps.now(), minutesFor(resource.kind, 'Deleting', specOf(resource)) * 60),
      polls: 0,
      deleteSent: false,
      updatedAt: now,
      dueAt: dueAt(deps.now(), deps.settings.leaseSeconds),
      message: 'deleting',
      ...(previous.huaweiId ? { huaweiId: previous.huaweiId } : {}),
    },
  });
  if (!started) return 'deleting';
  deps.crashPoints?.afterIntent?.();
  return (await stepChange(deps, started)) ? 'finished' : 'deleting';
}

const identity = (resource: Pick<ResourceRecord, 'projectId' | 'kind' | 'name'>) => ({
  projectId: resource.projectId,
  kind: resource.kind,
  name: resource.name,
});

/** The managed resources created in this one that still live: those this request removes too are waited for. */
async function liveDependents(deps: ReconcileDeps, resource: ResourceRecord, managed: ManagedResource) {
  const waitFor: string[] = [];
  const refuse: string[] = [];
  for (const member of [...(managed.dependents ?? [])].sort()) {
    const [kind, ...rest] = member.split('/');
    const name = rest.join('/');
    if (!kind || !name) continue;
    const dependent = await getManaged(deps.table, resource.projectId, kind, name);
    if (!dependent || dependent.state === 'Deleted' || dependent.state === 'Orphaned') continue;
    const sibling = await getResource(deps.table, resource.requestId, kind, name);
    const removing = sibling && (sibling.operation === 'delete' || sibling.operation === 'orphan');
    // One this request removes is waited for until its removal ends. Ended Deleted or Orphaned, it is gone even
    // if its managed resource does not say so yet (a finisher that died before settling it leaves that to the
    // poller's outbox pass); ended otherwise (failed), it still lives in the pool.
    if (removing && (sibling.state === 'Deleted' || sibling.state === 'Orphaned')) continue;
    if (removing && !TERMINAL_STATES.has(sibling.state)) waitFor.push(member);
    else refuse.push(member);
  }
  return { waitFor, refuse };
}

/**
 * One step of an update or delete: takes the step (a conditional count, so two pollers never both act),
 * observes, and acts on what it saw. Returns true when the resource reached a terminal state.
 */
export async function stepChange(deps: ReconcileDeps, resource: ResourceRecord): Promise<boolean> {
  if (resource.state !== 'Updating' && resource.state !== 'Deleting') return false;
  const state = resource.state;
  const now = deps.now();
  const polls = resource.polls ?? 0;
  const taken = await updateResource(deps.table, keyOf(resource), {
    from: [state],
    condition: 'polls = :polls',
    values: { ':polls': polls },
    // Until this step ends, the lease keeps the poller away; a step that dies is taken again after it.
    set: { polls: polls + 1, dueAt: dueAt(now, deps.settings.leaseSeconds), updatedAt: now.toISOString() },
  });
  if (!taken) return false;
  const r = taken;
  const overdue = r.deadlineAt !== undefined && now.toISOString() >= r.deadlineAt;
  const later = async (message?: string, extra: Record<string, unknown> = {}) => {
    const next = dueAt(now, nextPollSeconds(r.kind, r.polls ?? 0, deps.settings.pollScale));
    await updateResource(deps.table, keyOf(r), {
      from: [state],
      condition: 'polls = :polls',
      values: { ':polls': r.polls },
      set: { dueAt: r.deadlineAt && next > r.deadlineAt ? r.deadlineAt : next, ...(message ? { message } : {}), ...extra },
    });
    return false;
  };
  const end = async (terminal: Omit<Terminal, 'ownsIdentity'>) => {
    await finishChange(deps, r, { ...terminal, ownsIdentity: true });
    return true;
  };
  const timedOut = (what: string) =>
    end({ state: 'TimedOut', reason: 'Timeout', message: `${what} not done within its timeout (${r.message ?? 'no status'})` });

  const target = targetOf(r, r.resolvedPoolName);
  let id = r.huaweiId;
  if (!id && state === 'Deleting') {
    // The create never confirmed an id: anything Huawei holds under the resource's mark is what to delete.
    try {
      const found = await deps.cloud.findByName(r.kind, target, adapterOf(r.kind).huaweiName(specOf(r)));
      id = adoptable(r.kind, found, adapterResource(r), false);
    } catch (error) {
      return overdue ? timedOut('delete') : later(`look-up failed: ${(error as Error).message}`);
    }
    if (!id) return removed(deps, r);
  }
  if (!id) return end({ state: 'Failed', reason: 'NotFound', message: 'no Huawei id is known for this resource' });

  let observation: Observation;
  try {
    observation = await deps.cloud.observe(r.kind, target, id);
  } catch (error) {
    if (error instanceof HuaweiPermanentError && isNotFoundError(error)) {
      if (state === 'Deleting') return removed(deps, r);
      return end({ state: 'Failed', reason: 'NotFound', message: `${r.kind} ${id} no longer exists in Huawei Cloud` });
    }
    if (error instanceof HuaweiInvalidRequestError) return end({ state: 'Failed', reason: error.reason, message: error.message });
    return overdue ? timedOut(state === 'Updating' ? 'update' : 'delete') : later();
  }
  const observed = {
    phase: observation.phase,
    ...(observation.reason ? { reason: observation.reason } : {}),
    ...(observation.message ? { message: observation.message } : {}),
  };

  if (state === 'Deleting') {
    // Huawei already deleting it (a delete whose answer was lost, or a step that died after sending it): not sent
    // again, since Huawei refuses a delete of a resource in transition, which would read as a failure.
    const beingDeleted = /delet|terminat/i.test(observation.reason ?? '');
    if (!r.deleteSent && !beingDeleted) {
      try {
        await deps.cloud.delete(r.kind, target, id);
      } catch (error) {
        if (error instanceof HuaweiPermanentError && !(error instanceof HuaweiInvalidRequestError) && !isNotFoundError(error)) {
          return refusal(r, error, 'delete', later, end);
        }
        // Lost or throttled: the next step looks again and sends it again if the resource is still there.
        return overdue ? timedOut('delete') : later(`delete outcome unknown: ${(error as Error).message}`);
      }
      deps.crashPoints?.afterCreate?.();
      return later(`delete accepted (${observed.reason ?? observed.phase})`, { deleteSent: true, refusals: 0 });
    }
    return overdue ? timedOut('delete') : later(`deleting (${observed.reason ?? observed.phase})`);
  }

  let step: UpdateStep;
  try {
    step = await deps.cloud.update(r.kind, adapterResource(r), target, id, observation);
  } catch (error) {
    if (error instanceof HuaweiInvalidRequestError) return end({ state: 'Failed', reason: error.reason, message: error.message });
    if (error instanceof HuaweiPermanentError) return refusal(r, error, 'update', later, end);
    return overdue ? timedOut('update') : later(`update outcome unknown: ${(error as Error).message}`);
  }
  if (step.status === 'sent') deps.crashPoints?.afterCreate?.();
  switch (step.status) {
    case 'converged':
      return end({ state: 'Succeeded', message: step.message ?? updatedMessage(r), observation: observed, huaweiId: id });
    case 'failed':
      return end({ state: 'Failed', reason: step.reason, message: step.message, observation: observed });
    default:
      return overdue ? timedOut('update') : later(step.message, { refusals: 0 });
  }
}

/** "updated (flavor changed; the notebook restarted)": what changed, and what that did. */
function updatedMessage(resource: ResourceRecord): string {
  const changes = resource.changes ?? [];
  const fields = [...new Set(changes.map((c) => c.path.split('.').pop()!.replace(/\[.*$/, '')))];
  const effects = [...new Set(changes.map((c) => c.effect).filter(Boolean))];
  const what = fields.length ? `${fields.join(', ')} changed` : 'in sync';
  return `updated (${[what, ...effects].join('; ')})`;
}

/**
 * Huawei refused a step. After a lost answer that is expected (a stop repeated once the notebook is
 * stopping): the next look decides. Refused again and again, it is the verdict.
 */
async function refusal(
  resource: ResourceRecord,
  error: HuaweiPermanentError,
  what: string,
  later: (message?: string, extra?: Record<string, unknown>) => Promise<boolean>,
  end: (terminal: Omit<Terminal, 'ownsIdentity'>) => Promise<boolean>,
): Promise<boolean> {
  const refusals = (resource.refusals ?? 0) + 1;
  const reason = error.errorCode ?? `HTTP_${error.status ?? 'ERROR'}`;
  const message = `${what} refused: ${error.errorMsg ?? error.message}`;
  if (refusals >= MAX_REFUSALS) return end({ state: 'Failed', reason, message });
  return later(message, { refusals });
}

/** The resource is gone: a delete is done; a recreate goes on to create the replacement. */
async function removed(deps: ReconcileDeps, resource: ResourceRecord): Promise<boolean> {
  if (resource.operation !== 'recreate') {
    await finishChange(deps, resource, { state: 'Deleted', message: 'deleted', ownsIdentity: true });
    return true;
  }
  const now = deps.now();
  const queued = await updateResource(deps.table, keyOf(resource), {
    from: ['Deleting'],
    set: {
      state: 'Queued',
      removedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      message: 'old resource deleted; creating its replacement',
    },
    remove: ['huaweiId', 'deadlineAt', 'deleteSent'],
  });
  if (queued) await enqueueDispatch(deps.dispatch, [keyOf(resource)]);
  return false;
}

/**
 * One poller tick: observing what is being created, and recovering what stalled. The table, not the queue,
 * is the source of truth: it reads only what the due index says is due (in-flight work, never history),
 * within its own time budget; what it cannot reach stays due for the next tick.
 */
import { walkDue } from './due-walk';
import type { OutgoingEvent } from '../events/cloudevents';
import { flushOutbox } from '../events/outbox';
import { isNotFoundError } from '../huaweicloud/client';
import { HuaweiInvalidRequestError, HuaweiPermanentError } from '../huaweicloud/errors';
import type { Observation } from '../kinds/adapter';
import { enqueueDispatch } from '../queue/messages';
import { dueAt } from '../store/due';
import { leaveDueIndex, recheckRequestAt } from '../store/requests';
import { queryDue, updateResource } from '../store/resources';
import { REQUEUED_STATES, type RequestRecord, type ResourceRecord } from '../store/types';
import { settleApproval } from './approval';
import { targetOf, type ReconcileDeps } from './resource';
import { afterTerminal, completeRequestIfDone, finishResourceOnce, settle } from './finish';
import { nextPollSeconds } from './timing';
import { stepChange } from './change';

export interface TickSettings {
  /** Stop starting new work this many ms from now. */
  budgetMs: number;
  concurrency: number;
  /** How long a re-queued resource waits before the poller looks at it again. */
  requeueGraceSeconds: number;
}

export interface TickStats {
  itemsRead: number;
  polled: number;
  finished: number;
  requeued: number;
  published: number;
  /** Due items left for the next tick because the budget ran out. */
  deferred: boolean;
  durationMs: number;
}

type DueItem = Record<string, unknown> & { pk: string; sk: string };

export async function pollTick(deps: ReconcileDeps, settings: TickSettings): Promise<TickStats> {
  const started = Date.now();
  const stats: TickStats = { itemsRead: 0, polled: 0, finished: 0, requeued: 0, published: 0, deferred: false, durationMs: 0 };
  const nowIso = deps.now().toISOString();
  const walked = await walkDue(
    (startKey) => queryDue(deps.table, nowIso, startKey),
    (item) => handleDue(deps, settings, item, stats),
    settings,
  );
  Object.assign(stats, walked, { durationMs: Date.now() - started });
  return stats;
}

async function handleDue(deps: ReconcileDeps, settings: TickSettings, item: DueItem, stats: TickStats): Promise<void> {
  // A decided approval is applied to the held resources before its event goes out (a decider may have stopped between).
  const approvalDue = item.sk === 'REQ' && item.approval ? await settleApproval(deps, item as unknown as RequestRecord) : undefined;
  if (Array.isArray(item.pendingEvents) && item.pendingEvents.length > 0) {
    // A finisher that stopped after the terminal write: the identity first (dependents resolve through it), then the event.
    const resource = item.sk.startsWith('RES#') ? (item as unknown as ResourceRecord) : undefined;
    if (resource) await settle(deps, resource);
    if (await flushOutbox(deps, { pk: item.pk, sk: item.sk }, item.pendingEvents as OutgoingEvent[]))
      stats.published += item.pendingEvents.length;
    // No progress passed: the count may be short of this finish, so completion is checked in full.
    if (resource) await afterTerminal(deps, resource, resource.state);
    return;
  }
  if (item.sk === 'REQ') return checkRequest(deps, settings, item, approvalDue);
  if (!item.sk.startsWith('RES#')) return clearDue(deps, item);
  const resource = item as unknown as ResourceRecord;
  if (REQUEUED_STATES.has(resource.state)) {
    // A lost or dead-lettered message, a dependency to re-check, or an attempt that died: the dispatcher decides.
    await updateResource(deps.table, resource, {
      from: [resource.state],
      set: { dueAt: dueAt(deps.now(), settings.requeueGraceSeconds) },
    });
    await enqueueDispatch(deps.dispatch, [{ requestId: resource.requestId, kind: resource.kind, name: resource.name }]);
    stats.requeued++;
    return;
  }
  switch (resource.state) {
    case 'Creating':
      stats.polled++;
      if (await pollResource(deps, resource)) stats.finished++;
      return;
    case 'Updating':
    case 'Deleting':
      stats.polled++;
      if (await stepChange(deps, resource)) stats.finished++;
      return;
    default:
      return clearDue(deps, item);
  }
}

/**
 * An accepted request waits in the index until request.completed is written, which normally happens as its
 * last resource finishes; if that finisher died first, this writes it. Not done yet: look again later.
 */
async function checkRequest(deps: ReconcileDeps, settings: TickSettings, item: DueItem, approvalDue?: string): Promise<void> {
  // Waiting for an approver: looked at again when the approval expires (settleApproval ended it if that is now).
  if (approvalDue) return recheckRequestAt(deps.table, String(item.requestId), approvalDue);
  if (item.phase !== 'Accepted' || item.completedAt) return clearDue(deps, item);
  if (await completeRequestIfDone(deps, String(item.requestId))) return;
  await recheckRequestAt(deps.table, String(item.requestId), dueAt(deps.now(), settings.requeueGraceSeconds));
}

async function clearDue(deps: ReconcileDeps, item: DueItem): Promise<void> {
  await leaveDueIndex(deps.table, { pk: item.pk, sk: item.sk });
}

/** Shows one creating resource and applies the kind's status semantics; returns true when it finished. */
async function pollResource(deps: ReconcileDeps, resource: ResourceRecord): Promise<boolean> {
  const now = deps.now();
  const target = targetOf(resource, resource.resolvedPoolName);
  let status: Observation | undefined;
  const finish = async (state: 'Succeeded' | 'Failed' | 'TimedOut', reason?: string, message?: string) => {
    const observation = status
      ? { phase: status.phase, ...(status.reason ? { reason: status.reason } : {}), ...(status.message ? { message: status.message } : {}) }
      : undefined;
    const done = await finishResourceOnce(deps, resource, {
      state,
      ownsIdentity: true,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
      ...(observation ? { observation } : {}),
    });
    if (done) await afterTerminal(deps, resource, state, done.progress);
    return done !== undefined;
  };

  try {
    status = await deps.cloud.observe(resource.kind, target, resource.huaweiId!);
  } catch (error) {
    if (error instanceof HuaweiPermanentError && isNotFoundError(error)) {
      return finish('Failed', 'NotFound', `${resource.kind} ${resource.huaweiId} no longer exists in Huawei Cloud`);
    }
    // No later tick can send it either: waiting out the deadline would only delay the same verdict.
    if (error instanceof HuaweiInvalidRequestError) return finish('Failed', error.reason, error.message);
    // A read that failed is not a verdict: try again on a later tick, unless the time is up.
    if (resource.deadlineAt && now.toISOString() >= resource.deadlineAt)
      return finish('TimedOut', 'Timeout', `no status could be read before the deadline: ${(error as Error).message}`);
    await updateResource(deps.table, resource, {
      from: ['Creating'],
      set: { dueAt: dueAt(now, nextPollSeconds(resource.kind, resource.polls ?? 0, deps.settings.pollScale)) },
    });
    return false;
  }
  if (status.phase === 'Succeeded') return finish('Succeeded', status.reason, status.message ?? `ready (${status.reason ?? 'done'})`);
  if (status.phase === 'Failed') return finish('Failed', status.reason ?? 'CreateFailed', status.message);
  if (resource.deadlineAt && now.toISOString() >= resource.deadlineAt) {
    const minutes = Math.round((Date.parse(resource.deadlineAt) - Date.parse(resource.createStartedAt ?? resource.deadlineAt)) / 60_000);
    return finish(
      'TimedOut',
      'Timeout',
      `not ready after ${minutes} minutes (last status: ${status.message ?? status.reason ?? 'in progress'})`,
    );
  }
  const polls = (resource.polls ?? 0) + 1;
  const next = dueAt(now, nextPollSeconds(resource.kind, polls, deps.settings.pollScale));
  // Never poll past the deadline by more than needed to notice it.
  const at = resource.deadlineAt && next > resource.deadlineAt ? resource.deadlineAt : next;
  await updateResource(deps.table, resource, {
    from: ['Creating'],
    set: { polls, dueAt: at, updatedAt: now.toISOString(), ...(status.message ? { message: status.message } : {}) },
  });
  return false;
}

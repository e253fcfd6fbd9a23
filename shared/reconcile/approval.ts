/**
 * Approval: a request a policy rule holds is recorded PendingApproval with every resource held, nothing
 * dispatched and nothing created, until someone other than the requester approves it (then its resources go
 * on as any accepted request's), rejects it, or nobody does before it expires (both end it, creating nothing).
 * The decision is one guarded write on the request; releasing or cancelling the held resources follows it and
 * is finished by the poller if the decider stops half-way, so a decision is never lost nor applied twice.
 */
import { EVENT_TYPES, requestEvent, type OutgoingEvent, type Outcome } from '../events/cloudevents';
import { flushOutbox } from '../events/outbox';
import type { TopicRef } from '../events/publish';
import { enqueueDispatch, type QueueRef } from '../queue/messages';
import { recordApprovalDecision } from '../store/approvals';
import { DUE_PARTITION, dueAt } from '../store/due';
import { getRequestWithResources, QUEUED_GRACE_SECONDS, requestKey, type TableRef } from '../store/requests';
import { updateResource } from '../store/resources';
import type { ApprovalChannel, ApprovalRecord, RequestRecord, ResourceRecord } from '../store/types';

export interface ApprovalDeps {
  table: TableRef;
  dispatch: QueueRef;
  /** Without it the decision's event waits in the request's outbox for the poller. */
  topic?: TopicRef;
  now: () => Date;
  logger?: { warn(message: string, extra?: Record<string, unknown>): void };
}

type ApprovalErrorCode = 'REQUEST_NOT_FOUND' | 'NOT_PENDING' | 'SELF_APPROVAL' | 'NOT_AN_APPROVER' | 'APPROVAL_EXPIRED';

export class ApprovalError extends Error {
  constructor(
    readonly code: ApprovalErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApprovalError';
  }
}

export interface DecisionInput {
  approve: boolean;
  /** The decider as provider:user (api:alice, jira:<accountId>). */
  by: string;
  channel: ApprovalChannel;
  comment?: string;
}

export interface DecisionOutcome {
  requestId: string;
  state: 'Approved' | 'Rejected';
  /** True when this exact decision had already been recorded (a retried call). */
  duplicate: boolean;
  resources: { kind: string; name: string; state: string }[];
}

/** Who may decide, in words, for statuses, comments and refusals. */
function approversText(approval: Pick<ApprovalRecord, 'approvers'>): string {
  return approval.approvers.length > 0 ? approval.approvers.join(', ') : 'any holder of the approve role';
}

/** Approves or rejects a pending request. Throws ApprovalError for a decision that may not be made. */
export async function decideApproval(deps: ApprovalDeps, requestId: string, input: DecisionInput): Promise<DecisionOutcome> {
  const found = await getRequestWithResources(deps.table, requestId);
  const approval = found?.request.approval;
  if (!found || !approval) throw new ApprovalError('REQUEST_NOT_FOUND', `no request ${requestId} awaits approval`);
  const wanted = input.approve ? 'Approved' : 'Rejected';
  const now = deps.now();
  if (found.request.phase !== 'PendingApproval' || approval.state !== 'Pending') {
    const last = approval.history.at(-1);
    // The same decider repeating the same decision (a retried call) is answered as the first time.
    if (approval.state === wanted && last?.by === input.by) return outcomeOf(found.request, found.resources, wanted, true);
    throw new ApprovalError(
      approval.state === 'Expired' ? 'APPROVAL_EXPIRED' : 'NOT_PENDING',
      `request ${requestId} is no longer pending approval: ${approval.state.toLowerCase()}${last ? ` by ${last.by} at ${last.at}` : ''}`,
    );
  }
  if (now.toISOString() >= approval.expiresAt) {
    await expire(deps, found.request, found.resources);
    throw new ApprovalError('APPROVAL_EXPIRED', `request ${requestId} expired at ${approval.expiresAt} before anyone decided`);
  }
  if (sameIdentity(input.by, approval.requestedBy))
    throw new ApprovalError('SELF_APPROVAL', `${input.by} requested ${requestId} and cannot also approve or reject it`);
  if (approval.approvers.length > 0 && !approval.approvers.some((who) => sameIdentity(who, input.by)))
    throw new ApprovalError('NOT_AN_APPROVER', `${input.by} may not decide on ${requestId}; approvers: ${approversText(approval)}`);
  const entry = {
    action: input.approve ? ('approved' as const) : ('rejected' as const),
    by: input.by,
    at: now.toISOString(),
    channel: input.channel,
    ...(input.comment ? { comment: input.comment } : {}),
  };
  const decided: RequestRecord = {
    ...found.request,
    phase: input.approve ? 'Accepted' : 'Rejected',
    approval: { ...approval, state: wanted, history: [...approval.history, entry] },
  };
  const event = decisionEvent(decided, found.resources, now.toISOString());
  if (!(await recordApprovalDecision(deps.table, requestId, { state: wanted, entry, event, now: now.toISOString() }))) {
    // Someone decided in between: answer from what they recorded.
    return decideApproval(deps, requestId, input);
  }
  const resources = await releaseHeld(deps, decided, found.resources);
  await publish(deps, requestId, event);
  return outcomeOf(decided, resources, wanted, false);
}

/**
 * The poller's part, for a request item with an approval: expires a pending one whose time is up (or says when
 * to look again), and finishes a decision whose decider stopped before every held resource was released or
 * cancelled. Returns the time the request is next due while it waits, else undefined.
 */
export async function settleApproval(deps: ApprovalDeps, request: RequestRecord): Promise<string | undefined> {
  const approval = request.approval;
  if (!approval) return undefined;
  if (request.phase === 'PendingApproval') {
    if (deps.now().toISOString() < approval.expiresAt) return approval.expiresAt;
    const found = await getRequestWithResources(deps.table, request.requestId);
    if (found?.request.phase === 'PendingApproval') await expire(deps, found.request, found.resources);
    return undefined;
  }
  const found = await getRequestWithResources(deps.table, request.requestId);
  const held = found?.resources.some((r) => r.state === 'PendingApproval') ? found : undefined;
  if (held) await releaseHeld(deps, held.request, held.resources);
  return undefined;
}

async function expire(deps: ApprovalDeps, request: RequestRecord, resources: readonly ResourceRecord[]): Promise<void> {
  const approval = request.approval!;
  const at = deps.now().toISOString();
  const entry = { action: 'expired' as const, by: 'hwc-provisioner', at, channel: 'timeout' as const };
  const expired: RequestRecord = {
    ...request,
    phase: 'Expired',
    approval: { ...approval, state: 'Expired', history: [...approval.history, entry] },
  };
  const event = decisionEvent(expired, resources, at);
  if (!(await recordApprovalDecision(deps.table, request.requestId, { state: 'Expired', entry, event, now: at }))) return;
  await releaseHeld(deps, expired, resources);
  await publish(deps, request.requestId, event);
}

/**
 * Moves each resource still held to what the decision means: the state it was recorded for (queued, or waiting
 * for a pool of the request) when approved, Cancelled otherwise. Each move is guarded on the resource still being
 * held, so repeating it (the poller after a crash) changes nothing twice.
 */
async function releaseHeld(deps: ApprovalDeps, request: RequestRecord, resources: readonly ResourceRecord[]): Promise<ResourceRecord[]> {
  const approved = request.phase === 'Accepted';
  const now = deps.now();
  const last = request.approval?.history.at(-1);
  const moved = await Promise.all(
    resources.map(async (resource) => {
      if (resource.state !== 'PendingApproval') return resource;
      const next = approved ? (resource.heldState ?? 'Queued') : 'Cancelled';
      const message = approved
        ? `approved by ${last?.by ?? 'an approver'}; ${next === 'Queued' ? 'queued' : (resource.message ?? 'waiting for its pool')}`
        : request.phase === 'Expired'
          ? `not created: nobody approved the request before ${request.approval?.expiresAt}`
          : `not created: rejected by ${last?.by ?? 'an approver'}${last?.comment ? `: ${last.comment}` : ''}`;
      const updated = await updateResource(deps.table, resource, {
        from: ['PendingApproval'],
        set: {
          state: next,
          message,
          updatedAt: now.toISOString(),
          ...(approved
            ? { duePk: DUE_PARTITION, dueAt: dueAt(now, QUEUED_GRACE_SECONDS) }
            : { reason: request.phase === 'Expired' ? 'ApprovalExpired' : 'ApprovalRejected', finishedAt: now.toISOString() }),
        },
        remove: ['heldState'],
      });
      return updated ?? resource;
    }),
  );
  const queued = moved.filter((r) => r.state === 'Queued').map(({ requestId, kind, name }) => ({ requestId, kind, name }));
  if (approved && queued.length > 0) await enqueueDispatch(deps.dispatch, queued);
  return moved;
}

async function publish(deps: ApprovalDeps, requestId: string, event: OutgoingEvent): Promise<void> {
  if (!deps.topic) return;
  await flushOutbox(
    { table: deps.table, topic: deps.topic, now: deps.now, ...(deps.logger ? { logger: deps.logger } : {}) },
    requestKey(requestId),
    [event],
  );
}

const EVENT_OF: Record<string, { type: (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES]; outcome: Outcome; state: string }> = {
  Pending: { type: EVENT_TYPES.requestPendingApproval, outcome: 'pending_approval', state: 'PendingApproval' },
  Approved: { type: EVENT_TYPES.requestApproved, outcome: 'approved', state: 'InProgress' },
  Rejected: { type: EVENT_TYPES.requestRejected, outcome: 'rejected', state: 'Rejected' },
  Expired: { type: EVENT_TYPES.requestExpired, outcome: 'expired', state: 'Expired' },
};

/** request.pending_approval, .approved, .rejected or .expired, as the request's approval now stands. */
export function decisionEvent(request: RequestRecord, resources: readonly ResourceRecord[], time: string): OutgoingEvent {
  const approval = request.approval!;
  const mapped = EVENT_OF[approval.state]!;
  const resourceState = approval.state === 'Pending' ? 'PendingApproval' : approval.state === 'Approved' ? 'Queued' : 'Cancelled';
  const last = approval.history.at(-1);
  const message = {
    Pending: `awaiting approval by ${approversText(approval)}`,
    Approved: `approved by ${last?.by}`,
    Rejected: `not created: rejected by ${last?.by}${last?.comment ? `: ${last.comment}` : ''}`,
    Expired: `not created: nobody approved the request before ${approval.expiresAt}`,
  }[approval.state];
  const reason = { Pending: 'PendingApproval', Approved: 'Approved', Rejected: 'ApprovalRejected', Expired: 'ApprovalExpired' }[
    approval.state
  ];
  return requestEvent(mapped.type, mapped.outcome, time, {
    requestId: request.requestId,
    source: request.source,
    state: mapped.state,
    resources: resources.map(({ kind, name, operation }) => ({
      kind,
      name,
      state: resourceState,
      operation: operation ?? null,
      huaweiId: null,
      reason,
      message,
    })),
    approval,
  });
}

function outcomeOf(
  request: RequestRecord,
  resources: readonly ResourceRecord[],
  state: 'Approved' | 'Rejected',
  duplicate: boolean,
): DecisionOutcome {
  return {
    requestId: request.requestId,
    state,
    duplicate,
    resources: resources.map(({ kind, name, state: s }) => ({ kind, name, state: s })),
  };
}

/** Identities compare case-insensitively: providers treat user names so, and an approver list is typed by people. */
function sameIdentity(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

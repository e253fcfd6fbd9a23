/** Approval decisions on a request item: one guarded write each, so two approvers cannot both decide. */
import { DUE_PARTITION } from './due';
import { requestKey, updateIfStill, type TableRef } from './requests';
import type { ApprovalRecord, RequestRecord } from './types';

type Decision = Exclude<ApprovalRecord['state'], 'Pending'>;

/** The phase a decided request takes: approved requests go on as any accepted one; the others end. */
const PHASE_OF: Record<Decision, RequestRecord['phase']> = { Approved: 'Accepted', Rejected: 'Rejected', Expired: 'Expired' };

/**
 * Records a decision on a request still pending approval, with its event in the request's outbox and the
 * request due now (the poller finishes what the decider could not: releasing or cancelling the held resources,
 * publishing the event). False when the request was no longer pending: someone else decided first.
 */
export async function recordApprovalDecision(
  table: TableRef,
  requestId: string,
  decision: { state: Decision; entry: ApprovalRecord['history'][number]; event: unknown; now: string },
): Promise<boolean> {
  const ends = decision.state !== 'Approved';
  return updateIfStill(table, requestKey(requestId), {
    UpdateExpression:
      'SET phase = :phase, approval.#state = :decided, approval.history = list_append(approval.history, :entry), updatedAt = :now, ' +
      'pendingEvents = list_append(if_not_exists(pendingEvents, :none), :events), duePk = :due, dueAt = :now' +
      (ends ? ', completedAt = :now' : ''),
    ConditionExpression: 'phase = :pendingPhase AND approval.#state = :pending',
    ExpressionAttributeNames: { '#state': 'state' },
    ExpressionAttributeValues: {
      ':phase': PHASE_OF[decision.state],
      ':decided': decision.state,
      ':entry': [decision.entry],
      ':now': decision.now,
      ':none': [],
      ':events': [decision.event],
      ':due': DUE_PARTITION,
      ':pendingPhase': 'PendingApproval',
      ':pending': 'Pending',
    },
  });
}

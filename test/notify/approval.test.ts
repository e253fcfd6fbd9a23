/**
 * What people read while a request waits for approval and once someone decided: commit statuses and Jira
 * comments, written by the real notifier from the events the approval module publishes, parsed with the
 * published schema.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseEventMessage } from '../../shared/notify/events';
import { notify } from '../../shared/notify/notifier';
import { decisionEvent } from '../../shared/reconcile/approval';
import type { ApprovalRecord, RequestRecord, RequestSource, ResourceRecord } from '../../shared/store/types';
import { PROJECT_ID } from '../execution/harness';
import { startRig, type Rig } from './rig';

const at = '2026-12-04T09:00:00.000Z';
let serial = 0;

function held(source: RequestSource, state: ApprovalRecord['state'], last?: ApprovalRecord['history'][number]) {
  const requestId = `req_approval${String(++serial).padStart(19, '0')}`;
  const approval: ApprovalRecord = {
    state,
    rules: ['gpu-pools'],
    reasons: ['ResourcePool gpu-pool: pools with GPUs need an approval'],
    approvers: ['api:bob'],
    requestedBy: 'github:alice',
    requestedAt: at,
    expiresAt: '2026-12-07T09:00:00.000Z',
    history: [{ action: 'requested', by: 'github:alice', at, channel: 'git' }, ...(last ? [last] : [])],
  };
  const request = {
    requestId,
    source,
    phase: 'PendingApproval',
    resourceCount: 1,
    approval,
    createdAt: at,
    updatedAt: at,
  } as RequestRecord;
  const resource = {
    requestId,
    kind: 'ResourcePool',
    name: 'gpu-pool',
    projectId: PROJECT_ID,
    region: 'cn-north-4',
    state: 'PendingApproval',
    manifest: {},
    file: 'pools.yaml',
    createdAt: at,
    updatedAt: at,
  } as ResourceRecord;
  return decisionEvent(request, [resource], at).event;
}

describe('feedback on approvals', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig.close());
  afterEach(() => expect(rig.deniedTableCalls).toEqual([]));

  const github = (commit: string): RequestSource => ({
    provider: 'github',
    ref: `acme/infra@${commit}`,
    repository: 'acme/infra',
    commit,
    branch: 'main',
    user: 'github:alice',
  });

  async function statuses(event: ReturnType<typeof held>) {
    await notify(rig.notifyDeps, parseEventMessage(JSON.stringify(event)));
    const commit = (event.data as { source: RequestSource }).source.commit;
    return rig.feedback.statuses.filter((s) => s.sha === commit).map((s) => [s.state, s.description]);
  }

  it('says a held resource awaits approval and by whom; a rejection and an expiry fail it, saying why', async () => {
    expect(await statuses(held(github('a'.repeat(40)), 'Pending'))).toEqual([['pending', 'Awaiting approval by api:bob']]);
    const rejected = held(github('b'.repeat(40)), 'Rejected', {
      action: 'rejected',
      by: 'api:bob',
      at,
      channel: 'api',
      comment: 'too many GPUs',
    });
    expect(rejected.type).toBe('hwc-provisioner.request.rejected');
    expect(await statuses(rejected)).toEqual([['failure', 'Not created: rejected by api:bob: too many GPUs']]);
    const expired = held(github('c'.repeat(40)), 'Expired', { action: 'expired', by: 'hwc-provisioner', at, channel: 'timeout' });
    expect(expired.type).toBe('hwc-provisioner.request.expired');
    expect(await statuses(expired)).toEqual([['failure', 'Not created: nobody approved the request before 2026-12-07T09:00:00.000Z']]);
    const approved = held(github('d'.repeat(40)), 'Approved', { action: 'approved', by: 'api:bob', at, channel: 'api' });
    expect(await statuses(approved)).toEqual([['pending', 'Queued, approved by api:bob']]);
  });

  it('comments on the ticket once per step: how to approve, then who decided', async () => {
    const source: RequestSource = { provider: 'jira', ref: 'OPS-90', ticket: 'OPS-90', user: 'jira:reporter-1' };
    const pending = held(source, 'Pending');
    await notify(rig.notifyDeps, parseEventMessage(JSON.stringify(pending)));
    // A redelivered event comments nothing more.
    await notify(rig.notifyDeps, parseEventMessage(JSON.stringify(pending)));
    const first = rig.feedback.jira.filter((j) => j.key === 'OPS-90');
    expect(first).toHaveLength(1);
    const text = JSON.stringify(first[0]!.body);
    expect(text).toContain('awaiting approval by api:bob before anything is created');
    expect(text).toContain(`POST /requests/${(pending.data as { requestId: string }).requestId}/approve`);
    const approved = { ...held(source, 'Approved', { action: 'approved', by: 'jira:approver-1', at, channel: 'jira' }) };
    await notify(rig.notifyDeps, parseEventMessage(JSON.stringify(approved)));
    const after = rig.feedback.jira.filter((j) => j.key === 'OPS-90');
    expect(after).toHaveLength(2);
    expect(JSON.stringify(after[1]!.body)).toContain('approved by jira:approver-1');
  });
});

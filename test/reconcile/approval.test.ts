/**
 * A request a policy rule holds for approval creates nothing until someone other than its requester approves
 * it; a rejection or an expiry ends it creating nothing; a decision whose decider stopped half-way is finished
 * by the poller. Driven end to end: the real intake, dispatcher, poller, DynamoDB Local, fauxqs and the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submit, type IntakeDeps } from '../../shared/intake/submit';
import { randomRequestId } from '../../shared/intake/ids';
import { parsePolicy } from '../../shared/policy/document';
import { ApprovalError, decideApproval, decisionEvent } from '../../shared/reconcile/approval';
import { dispatchResource } from '../../shared/reconcile/dispatch';
import { pollTick } from '../../shared/reconcile/poll';
import { recordApprovalDecision } from '../../shared/store/approvals';
import { overallState } from '../../shared/store/requests';
import type { RequestSource } from '../../shared/store/types';
import { allKinds, PROJECT_ID, startHarness, type Harness } from '../execution/harness';

/** Pools need an approver (bob or carol); everything else is allowed to everyone. */
const POLICY = `
apiVersion: hwc-provisioner.io/v1
kind: Policy
rules:
  - name: pools-need-approval
    match: {}
    grant:
      projects: ["*"]
      kinds: [ResourcePool, NodePool]
    approval:
      kinds: [ResourcePool]
      approvers: ["api:bob", "api:carol", "jira:approver-1"]
  - name: everything-else
    match: {}
    grant:
      projects: ["*"]
`;

const alice: RequestSource = { provider: 'api', ref: 'api:alice', caller: 'alice', user: 'api:alice' };

describe('approval of a request a policy rule holds', () => {
  let h: Harness;
  let intake: IntakeDeps;
  const approvals = () => ({ ...intake, now: h.deps.now });

  beforeAll(async () => {
    h = await startHarness();
    intake = {
      table: h.deps.table,
      dispatch: h.deps.dispatch,
      topic: h.deps.topic,
      defaults: { projectId: PROJECT_ID, region: 'cn-north-4' },
      queuedGraceSeconds: 5,
      waitRecheckSeconds: 0.2,
      now: h.deps.now,
      policy: await parsePolicy(POLICY, 'policy.yaml'),
      approvalTimeoutHours: 1,
    };
  });
  afterAll(() => h.close());

  /** The pool and node pool of the four-kind example, named for `suffix`. */
  const pools = (suffix: string) =>
    allKinds(suffix)
      .split('---\n')
      .filter((doc) => /kind: (ResourcePool|NodePool)/.test(doc))
      .join('---\n');

  async function submitHeld(suffix: string) {
    const requestId = randomRequestId();
    const outcome = await submit(intake, { requestId, source: alice, files: [{ file: 'pools.yaml', text: pools(suffix) }] });
    expect(outcome).toMatchObject({
      status: 'accepted',
      approval: { state: 'Pending', approvers: ['api:bob', 'api:carol', 'jira:approver-1'] },
    });
    return requestId;
  }

  it('records the request PendingApproval, holds every resource and queues nothing', async () => {
    await h.stack.drainQueue(h.stack.queues.dispatch.url, { waitMs: 200 });
    const requestId = await submitHeld('held');
    const { request, resources } = (await h.request(requestId))!;
    expect(request.phase).toBe('PendingApproval');
    expect(overallState(request, resources)).toBe('PendingApproval');
    expect(resources.map((r) => [r.kind, r.state, r.heldState])).toEqual([
      ['NodePool', 'PendingApproval', 'WaitingForDependency'],
      ['ResourcePool', 'PendingApproval', 'Queued'],
    ]);
    expect(request.approval).toMatchObject({
      rules: ['pools-need-approval'],
      requestedBy: 'api:alice',
      history: [{ action: 'requested', by: 'api:alice', channel: 'api' }],
    });
    expect(await h.stack.drainQueue(h.stack.queues.dispatch.url, { waitMs: 300 })).toEqual([]);
    // A stray dispatch message for a held resource does nothing.
    const pool = resources.find((r) => r.kind === 'ResourcePool')!;
    expect(await dispatchResource(h.deps, { requestId, kind: pool.kind, name: pool.name }, { receiveCount: 1 })).toBe('awaiting-approval');
    // Pollers come and go: nothing is created while it waits.
    await pollTick(h.deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });
    expect((await h.simResources()).filter((r) => r.name.includes('held'))).toEqual([]);
    const types = (await h.events()).filter((e) => e.data.requestId === requestId).map((e) => e.type);
    expect(types).toEqual(['hwc-provisioner.request.pending_approval']);
  });

  it('refuses the requester and anyone not listed; an approver releases it and it is created', async () => {
    const requestId = await submitHeld('ok');
    await expect(decideApproval(approvals(), requestId, { approve: true, by: 'api:alice', channel: 'api' })).rejects.toMatchObject({
      code: 'SELF_APPROVAL',
    });
    await expect(decideApproval(approvals(), requestId, { approve: true, by: 'api:mallory', channel: 'api' })).rejects.toMatchObject({
      code: 'NOT_AN_APPROVER',
    });
    const outcome = await decideApproval(approvals(), requestId, { approve: true, by: 'api:Bob', channel: 'api', comment: 'go' });
    expect(outcome).toMatchObject({ state: 'Approved', duplicate: false });
    // The same decision again is answered as the first; another approver finds it decided.
    expect(await decideApproval(approvals(), requestId, { approve: true, by: 'api:Bob', channel: 'api' })).toMatchObject({
      state: 'Approved',
      duplicate: true,
    });
    await expect(decideApproval(approvals(), requestId, { approve: false, by: 'api:carol', channel: 'api' })).rejects.toMatchObject({
      code: 'NOT_PENDING',
    });
    await h.drive(requestId);
    const { request, resources } = (await h.request(requestId))!;
    expect(overallState(request, resources)).toBe('Succeeded');
    expect(request.approval!.history.map((e) => [e.action, e.by])).toEqual([
      ['requested', 'api:alice'],
      ['approved', 'api:Bob'],
    ]);
    expect(
      (await h.simResources())
        .filter((r) => r.name.includes('ok'))
        .map((r) => r.kind)
        .sort(),
    ).toEqual(['NodePool', 'ResourcePool']);
    const types = (await h.events()).filter((e) => e.data.requestId === requestId).map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['hwc-provisioner.request.pending_approval', 'hwc-provisioner.request.approved']);
    expect(types).toContain('hwc-provisioner.request.completed');
  });

  it('a rejection ends the request with its resources cancelled, nothing created', async () => {
    const requestId = await submitHeld('no');
    await decideApproval(approvals(), requestId, { approve: false, by: 'api:carol', channel: 'api', comment: 'too many GPUs' });
    const { request, resources } = (await h.request(requestId))!;
    expect(overallState(request, resources)).toBe('Rejected');
    expect(resources.map((r) => [r.state, r.reason, r.message])).toEqual([
      ['Cancelled', 'ApprovalRejected', 'not created: rejected by api:carol: too many GPUs'],
      ['Cancelled', 'ApprovalRejected', 'not created: rejected by api:carol: too many GPUs'],
    ]);
    const rejected = (await h.events()).find((e) => e.data.requestId === requestId && e.type === 'hwc-provisioner.request.rejected');
    expect(rejected?.data).toMatchObject({ state: 'Rejected', approval: { state: 'Rejected' } });
    await pollTick(h.deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });
    expect((await h.simResources()).filter((r) => r.name.includes('-no'))).toEqual([]);
  });

  it('expires after APPROVAL_TIMEOUT_HOURS: the poller ends it, and a late approval is refused', async () => {
    const requestId = await submitHeld('late');
    h.advance(61 * 60_000);
    await pollTick(h.deps, { budgetMs: 5_000, concurrency: 4, requeueGraceSeconds: 2 });
    const { request, resources } = (await h.request(requestId))!;
    expect(overallState(request, resources)).toBe('Expired');
    expect(resources.every((r) => r.state === 'Cancelled' && r.reason === 'ApprovalExpired')).toBe(true);
    const error = await decideApproval(approvals(), requestId, { approve: true, by: 'api:bob', channel: 'api' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApprovalError);
    expect(error).toMatchObject({ code: 'APPROVAL_EXPIRED' });
    const types = (await h.events()).filter((e) => e.data.requestId === requestId).map((e) => e.type);
    expect(types).toContain('hwc-provisioner.request.expired');
    expect((await h.simResources()).filter((r) => r.name.includes('late'))).toEqual([]);
  });

  it('a decision recorded by a decider that stopped before releasing anything is finished by the poller', async () => {
    const requestId = await submitHeld('crash');
    const found = (await h.request(requestId))!;
    const approval = found.request.approval!;
    const now = h.deps.now().toISOString();
    const entry = { action: 'approved' as const, by: 'api:bob', at: now, channel: 'api' as const };
    const decided = {
      ...found.request,
      phase: 'Accepted' as const,
      approval: { ...approval, state: 'Approved' as const, history: [...approval.history, entry] },
    };
    expect(
      await recordApprovalDecision(h.deps.table, requestId, {
        state: 'Approved',
        entry,
        event: decisionEvent(decided, found.resources, now),
        now,
      }),
    ).toBe(true);
    // The resources are still held: the poller releases them and the request goes on to be created.
    expect((await h.request(requestId))!.resources.every((r) => r.state === 'PendingApproval')).toBe(true);
    await h.drive(requestId);
    const after = (await h.request(requestId))!;
    expect(overallState(after.request, after.resources)).toBe('Succeeded');
  });

  it('a request the source itself approves (a reviewed merge) is accepted at once, its approval recorded', async () => {
    const requestId = randomRequestId();
    const push: RequestSource = {
      provider: 'github',
      ref: 'acme/infra@abc',
      repository: 'acme/infra',
      branch: 'main',
      user: 'github:alice',
    };
    const outcome = await submit(intake, {
      requestId,
      source: push,
      files: [{ file: 'pools.yaml', text: pools('merged') }],
      sourceApproval: async () => ({ by: 'github:bob', comment: 'pull request #7 merged with 1 approving reviews' }),
    });
    expect(outcome).toMatchObject({ status: 'accepted', approval: { state: 'Approved' } });
    const { request, resources } = (await h.request(requestId))!;
    expect(request.phase).toBe('Accepted');
    expect(resources.map((r) => r.state).sort()).toEqual(['Queued', 'WaitingForDependency']);
    expect(request.approval!.history.map((e) => [e.action, e.by, e.channel])).toEqual([
      ['requested', 'github:alice', 'git'],
      ['approved', 'github:bob', 'git'],
    ]);
    await h.drive(requestId);
  });
});

/**
 * Approving over HTTP and from Jira: POST /requests/{id}/approve and /reject with the approve role, the
 * requester refused, the audit trail in GET /requests/{id}; a ticket moved into JIRA_APPROVAL_STATUS by someone
 * other than its reporter approves the ticket's pending request.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { SecretsEnv } from '../../shared/config';
import { processIntakeMessage } from '../../shared/intake/service';
import { parsePolicy } from '../../shared/policy/document';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { appFor, hubSignature, SECRETS } from './helpers';

const POLICY = await parsePolicy(
  `
apiVersion: hwc-provisioner.io/v1
kind: Policy
rules:
  - name: pools-need-approval
    match: {}
    grant:
      projects: ["*"]
      kinds: [ResourcePool]
    approval: {}
  - name: everything-else
    match: {}
    grant:
      projects: ["*"]
`,
  'policy.yaml',
);

const TOKENS: SecretsEnv = {
  ...SECRETS,
  API_TOKENS: [
    { caller: 'ci', token: 'api-token-for-tests-0123456789abcdef', roles: ['submit'] },
    { caller: 'boss', token: 'boss-token-for-tests-0123456789abcdef', roles: ['approve'] },
    { caller: 'self', token: 'self-token-for-tests-0123456789abcdef', roles: ['submit', 'approve'] },
  ],
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const CI = 'api-token-for-tests-0123456789abcdef';
const BOSS = 'boss-token-for-tests-0123456789abcdef';
const SELF = 'self-token-for-tests-0123456789abcdef';

function pool(name: string): string {
  const doc = parse(readFileSync('examples/resource-pool.yaml', 'utf8'));
  doc.metadata.name = name;
  doc.spec.body.metadata.labels['os.modelarts/name'] = name;
  return stringify(doc);
}

describe('approving over HTTP and from Jira', () => {
  let stack: LocalStack;
  let app: ReturnType<typeof appFor>;
  beforeAll(async () => {
    stack = await useLocalResources();
    app = appFor(stack, { secrets: TOKENS, governance: { policy: POLICY }, jiraApprovalStatus: 'Approved' });
  });
  afterAll(() => stack.close());

  async function submitPool(name: string, token = CI): Promise<string> {
    const response = await app.request('/requests', {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/yaml' },
      body: pool(name),
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { requestId: string; state: string; approval: { state: string } };
    expect(body).toMatchObject({ state: 'PendingApproval', approval: { state: 'Pending', rules: ['pools-need-approval'] } });
    return body.requestId;
  }
  const decide = (id: string, action: 'approve' | 'reject', token: string, body?: unknown) =>
    app.request(`/requests/${id}/${action}`, {
      method: 'POST',
      headers: { ...bearer(token), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it('needs the approve role, refuses the requester, and records who approved', async () => {
    const id = await submitPool('pool-http-1');
    expect((await decide(id, 'approve', CI)).status).toBe(403);
    const queued = await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 });
    expect(queued).toEqual([]);
    const approved = await decide(id, 'approve', BOSS, { comment: 'capacity checked' });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ state: 'Approved', resources: [{ kind: 'ResourcePool', state: 'Queued' }] });
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 })).toHaveLength(1);
    const read = await app.request(`/requests/${id}`, { headers: bearer(CI) });
    expect(await read.json()).toMatchObject({
      state: 'InProgress',
      approval: {
        state: 'Approved',
        requestedBy: 'api:ci',
        history: [
          { action: 'requested', by: 'api:ci', channel: 'api' },
          { action: 'approved', by: 'api:boss', channel: 'api', comment: 'capacity checked' },
        ],
      },
    });
    // Deciding again: the same decision is answered as before, another one is a conflict.
    expect((await decide(id, 'approve', BOSS)).status).toBe(200);
    const conflict = await decide(id, 'reject', BOSS);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: { code: 'NOT_PENDING' } });
  });

  it('refuses self-approval with 403 and takes a rejection with its reason', async () => {
    const id = await submitPool('pool-http-2', SELF);
    const self = await decide(id, 'approve', SELF);
    expect(self.status).toBe(403);
    expect(await self.json()).toMatchObject({ error: { code: 'SELF_APPROVAL' } });
    const rejected = await decide(id, 'reject', BOSS, { comment: 'not this quarter' });
    expect(rejected.status).toBe(200);
    const read = await app.request(`/requests/${id}`, { headers: bearer(BOSS) });
    expect(await read.json()).toMatchObject({
      state: 'Rejected',
      resources: [{ state: 'Cancelled', reason: 'ApprovalRejected', message: 'not created: rejected by api:boss: not this quarter' }],
    });
  });

  it('answers 404 for an unknown request and 400 for a bad comment', async () => {
    expect((await decide('req_000000000000000000000000000', 'approve', BOSS)).status).toBe(404);
    const id = await submitPool('pool-http-3');
    const bad = await decide(id, 'approve', BOSS, { comment: 42 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_COMMENT' } });
  });

  describe('from Jira', () => {
    const description = (name: string) => `Please create:\n\n\`\`\`yaml\n${pool(name)}\`\`\`\n`;
    function event(kind: 'created' | 'updated', name: string, actor: string, opts: { toStatus?: string } = {}) {
      return {
        timestamp: 1_764_000_000_000,
        webhookEvent: `jira:issue_${kind}`,
        issue_event_type_name: kind === 'created' ? 'issue_created' : 'issue_generic',
        user: { accountId: actor, displayName: actor },
        issue: {
          id: '10001',
          key: 'OPS-41',
          self: 'https://example.atlassian.net/rest/api/3/issue/10001',
          fields: { description: description(name), reporter: { accountId: 'reporter-1', displayName: 'Rita Reporter' } },
        },
        ...(opts.toStatus
          ? {
              changelog: {
                id: '1',
                items: [{ field: 'status', fieldtype: 'jira', from: '1', fromString: 'Open', to: '5', toString: opts.toStatus }],
              },
            }
          : {}),
      };
    }
    const send = (payload: unknown) => {
      const body = JSON.stringify(payload);
      return app.request('/webhooks/jira', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature': hubSignature(SECRETS.JIRA_WEBHOOK_SECRET!, body) },
        body,
      });
    };

    it('approves on a transition into the approval status by someone other than the reporter', async () => {
      // The ticket is filed: the webhook queues it, intake records it PendingApproval with the reporter as requester.
      const filed = await send(event('created', 'pool-jira-1', 'reporter-1'));
      expect(filed.status).toBe(202);
      const { requestId } = (await filed.json()) as { requestId: string };
      const [job] = await stack.drainQueue(stack.queues.intake.url, { count: 1 });
      const deps = { ...appDepsIntake(stack), policy: POLICY };
      await processIntakeMessage(
        deps,
        { globs: [], github: { apiUrl: 'http://127.0.0.1:9' }, gitlab: { apiUrl: 'http://127.0.0.1:9' } },
        {
          messageId: 'm-jira-1',
          body: job!,
        },
      );
      // The reporter moving it is not an approval; another user is.
      const byReporter = await send(event('updated', 'pool-jira-1', 'reporter-1', { toStatus: 'Approved' }));
      expect(await byReporter.json()).toMatchObject({ ignored: true });
      const otherStatus = await send(event('updated', 'pool-jira-1', 'approver-1', { toStatus: 'In Progress' }));
      expect(otherStatus.status).toBe(202);
      await stack.drainQueue(stack.queues.intake.url, { waitMs: 200 });
      // The approval is queued with the ticket (the webhook holds no table); intake decides it.
      const approved = await send(event('updated', 'pool-jira-1', 'approver-1', { toStatus: 'approved ' }));
      expect(approved.status).toBe(202);
      expect(await approved.json()).toEqual({ requestId, approval: 'queued' });
      const [approval] = await stack.drainQueue(stack.queues.intake.url, { count: 1 });
      expect(JSON.parse(approval!)).toMatchObject({ type: 'jira.issue', requestId, approval: { by: 'jira:approver-1' } });
      const providers = { globs: [], github: { apiUrl: 'http://127.0.0.1:9' }, gitlab: { apiUrl: 'http://127.0.0.1:9' } };
      const decided = await processIntakeMessage(deps, providers, { messageId: 'm-jira-2', body: approval! });
      expect(decided).toEqual({ status: 'approved', requestId, duplicate: false });
      // Jira redelivering the same transition decides nothing twice.
      expect(await processIntakeMessage(deps, providers, { messageId: 'm-jira-3', body: approval! })).toEqual({
        status: 'approved',
        requestId,
        duplicate: true,
      });
      // Someone else approving what is decided already is said in intake's log, and changes nothing.
      await send(event('updated', 'pool-jira-1', 'approver-2', { toStatus: 'Approved' }));
      const [late] = await stack.drainQueue(stack.queues.intake.url, { count: 1 });
      expect(await processIntakeMessage(deps, providers, { messageId: 'm-jira-4', body: late! })).toMatchObject({
        status: 'approval-ignored',
        requestId,
        reason: expect.stringMatching(/no longer pending approval: approved by jira:approver-1/),
      });
      const read = await app.request(`/requests/${requestId}`, { headers: bearer(BOSS) });
      expect(await read.json()).toMatchObject({
        approval: {
          state: 'Approved',
          requestedBy: 'jira:reporter-1',
          history: [{ action: 'requested' }, { action: 'approved', by: 'jira:approver-1', channel: 'jira' }],
        },
      });
    });
  });
});

function appDepsIntake(stack: LocalStack) {
  return {
    table: { ddb: stack.ddb, tableName: stack.tableName },
    dispatch: { sqs: stack.sqs, queueUrl: stack.queues.dispatch.url },
    defaults: { projectId: '0123456789abcdef0123456789abcdef', region: 'cn-north-4' },
  };
}

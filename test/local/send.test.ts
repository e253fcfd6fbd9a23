/**
 * `npm run local:send -- jira-approve`: against the local fake providers and a stand-in for the stack's
 * /webhooks/jira that keeps what it receives, read with the product's own signature check and parsers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSendState } from '../../local/fake-providers/demo';
import { type LocalProviders, startLocalProviders } from '../../local/fake-providers/index';
import { runSend } from '../../local/send';
import { verifyHubSignature } from '../../shared/intake/auth';
import { contentHash, deriveRequestId } from '../../shared/intake/ids';
import { isApprovalTransition, scanDescription, statusTransitionOf } from '../../shared/intake/jira';

const SECRET = 'jira-secret-for-send';

interface Received {
  body: Record<string, any>;
  signed: boolean;
}

/** The request id the webhook derives for a ticket's payload: it follows the key and the yaml blocks only. */
const requestIdOf = (payload: Record<string, any>) =>
  deriveRequestId('jira', payload.issue.key, contentHash(...scanDescription(payload.issue.fields.description).blocks));

describe('npm run local:send -- jira-approve', () => {
  let local: LocalProviders;
  let api: Server;
  let dir: string;
  const received: Received[] = [];
  const printed: string[] = [];
  const send = (argv: string[], env: Record<string, string> = {}) =>
    runSend(argv, { env: { LOCAL_STATE_DIR: dir, ...env }, cwd: dir, print: (line) => printed.push(line) });
  const last = () => received.at(-1)!;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hwcp-send-'));
    local = await startLocalProviders({ githubToken: 'ghp_x', gitlabToken: 'glpat-x', jiraEmail: 'bot@example.com', jiraToken: 'jira' });
    api = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        received.push({
          body: JSON.parse(raw.toString('utf8')),
          signed: verifyHubSignature(SECRET, raw, req.headers['x-hub-signature'] as string),
        });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"requestId":"req_stand_in"}');
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    writeSendState(dir, {
      pid: process.pid,
      apiUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
      fakeUrl: local.url,
      manifestGlobs: ['provisioning/**/*.{yaml,yml,json}'],
      github: { repository: 'acme/infra' },
      gitlab: { repository: 'acme/infra', projectId: 42 },
      secrets: { JIRA_WEBHOOK_SECRET: SECRET },
    });
    writeFileSync(join(dir, 'notebook.yaml'), 'apiVersion: hwc.example/v1\nkind: Notebook\nmetadata:\n  name: nb-send\n');
  });
  afterAll(async () => {
    await local?.close();
    await new Promise<void>((resolve) => (api ? api.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('moves a filed ticket into Approved as another user, with the description it was filed with', async () => {
    const filed = await send(['jira']);
    const ticket = filed.issue!;
    const created = last().body;
    expect(created.issue.fields.reporter).toEqual({ accountId: 'local-sender', displayName: 'Local Sender' });

    const approved = await send(['jira-approve', ticket]);
    expect(approved).toMatchObject({ status: 202, issue: ticket, requestId: 'req_stand_in' });
    const { body, signed } = last();
    expect(signed).toBe(true);
    expect(body).toMatchObject({ webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_generic' });
    expect(body.issue.fields.description).toBe(created.issue.fields.description);
    expect(requestIdOf(body)).toBe(requestIdOf(created));
    const transition = statusTransitionOf(body)!;
    expect(transition).toEqual({
      ticket,
      fromStatus: 'To Do',
      toStatus: 'Approved',
      actor: { id: 'local-approver', displayName: 'local-approver' },
      reporter: { id: 'local-sender', displayName: 'Local Sender' },
    });
    expect(isApprovalTransition(transition, 'Approved')).toBe(true);
    expect(printed.at(-3)).toBe(`jira-approve: ${ticket} To Do → Approved by local-approver (reporter local-sender)`);
  });

  it('takes the approver and the status from --by and --status, else JIRA_APPROVAL_STATUS, and remembers the status', async () => {
    const ticket = (await send(['jira', 'notebook.yaml'])).issue!;
    await send(['jira-approve', ticket, '--status', 'In Review', '--by', 'local-sender']);
    expect(statusTransitionOf(last().body)).toMatchObject({ fromStatus: 'To Do', toStatus: 'In Review', actor: { id: 'local-sender' } });
    expect(printed.at(-3)).toMatch(/by local-sender \(its reporter\)$/);
    await send(['jira-approve', ticket], { JIRA_APPROVAL_STATUS: ' Signed off ' });
    expect(statusTransitionOf(last().body)).toMatchObject({
      fromStatus: 'In Review',
      toStatus: 'Signed off',
      actor: { id: 'local-approver' },
    });
  });

  it('rebuilds the description from the files named again for a ticket the fake Jira does not know', async () => {
    await send(['jira', 'notebook.yaml']);
    const original = last().body;
    await expect(send(['jira-approve', 'OPS-900'])).rejects.toThrow(/does not know OPS-900.*jira-approve OPS-900 my\.yaml/s);
    await send(['jira-approve', 'OPS-900', 'notebook.yaml']);
    const { body } = last();
    expect(body.issue.key).toBe('OPS-900');
    expect(body.issue.fields.description).toBe(original.issue.fields.description);
    expect(statusTransitionOf(body)).toMatchObject({ fromStatus: 'To Do', reporter: { id: 'local-sender' } });
    // Once filed again, the fake remembers it.
    await send(['jira-approve', 'OPS-900', '--status', 'Done']);
    expect(statusTransitionOf(last().body)).toMatchObject({ fromStatus: 'Approved', toStatus: 'Done' });
  });

  it('needs the ticket key first', async () => {
    const before = received.length;
    await expect(send(['jira-approve'])).rejects.toThrow(/takes the ticket's key first \(OPS-1\), not nothing/);
    await expect(send(['jira-approve', 'notebook.yaml'])).rejects.toThrow(/not notebook\.yaml/);
    await expect(send(['jira-approve', 'OPS-1', '--by', ' '])).rejects.toThrow(/--by takes/);
    expect(received.length).toBe(before);
  });
});

/**
 * `npm run local:send -- <github-push|github-pr|gitlab-push|gitlab-mr|jira|jira-approve> [file...]`: makes the
 * change in the fake provider of a stack started with `npm start -- --fake-providers` (a commit, a pull request, a
 * ticket, a ticket's transition), then sends the webhook the real provider would send, signed with the stack's secrets.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { demoManifests, manifestPath, repositoryFiles, sendStatePath, type SendState } from './fake-providers/demo';
import type { FakeIssue, JiraUser, PullResult, PushResult } from './fake-providers/index';

export const SEND_KINDS = ['github-push', 'github-pr', 'gitlab-push', 'gitlab-mr', 'jira', 'jira-approve'] as const;
export type SendKind = (typeof SEND_KINDS)[number];

/** Who files the tickets of `jira`; `jira-approve` approves as somebody else unless told to. */
const JIRA_REPORTER: JiraUser = { accountId: 'local-sender', displayName: 'Local Sender' };
const JIRA_APPROVER = 'local-approver';
const CHANGE_KINDS = SEND_KINDS.filter((kind) => kind !== 'jira-approve');

export const USAGE = `usage: npm run local:send -- <${CHANGE_KINDS.join('|')}> [file...] [--remove <path>]...
         [--fail] [--pr <n>] [--issue <KEY>]
       npm run local:send -- jira-approve <KEY> [file...] [--by <user>] [--status <name>]

  github-push, gitlab-push  commit the files to acme/infra's default branch, then send the push event
  github-pr, gitlab-mr      open a pull/merge request with the files (--pr <n>: add a commit to request n)
  jira                      a ticket whose description holds each file as a yaml code block (--issue <KEY>: update it)
  jira-approve              move ticket KEY into --status (default $JIRA_APPROVAL_STATUS, else Approved) as user
                            --by (default ${JIRA_APPROVER}, not the reporter ${JIRA_REPORTER.accountId}), with the
                            description the ticket was filed with; after a restart of the stack, name the files again

--remove <path> takes a file out of the repository in the same commit (what it declared is orphaned, or deleted
with PRUNE=true and metadata.deletionPolicy: Delete). Without files or removals, two new demo resources from
examples/ are sent (--fail: the notebook fails in the simulator).
Files that do not already match MANIFEST_GLOBS go under its directory. The stack is found through
$LOCAL_STATE_DIR/fake-providers.json (default .local/); GITHUB_WEBHOOK_SECRET, GITLAB_WEBHOOK_TOKEN and
JIRA_WEBHOOK_SECRET from the environment win over what the stack generated.`;

export interface SendOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  print?: (line: string) => void;
}

export interface SendResult {
  status: number;
  body: unknown;
  /** The request intake will create (pushes and tickets); plans have none. */
  requestId?: string;
  push?: PushResult;
  pull?: PullResult;
  issue?: string;
}

type Secrets = Required<SendState['secrets']>;

const JIRA_SUMMARY = 'Provision demo resources';
const ISSUE_KEY = /^[A-Z][A-Z0-9_]*-\d+$/;

/** Jira Cloud webhooks carry the description in wiki markup: one {code:yaml} block per file. */
function jiraDescription(files: Record<string, string | null>): string {
  return [
    'Please provision:',
    ...Object.values(files)
      .filter((text): text is string => text !== null)
      .map((text) => `{code:yaml}\n${text.replace(/\n?$/, '\n')}{code}`),
  ].join('\n\n');
}

function loadState(env: Record<string, string | undefined>, cwd: string): { state: SendState; secrets: Partial<Secrets> } {
  const dir = resolve(cwd, env.LOCAL_STATE_DIR || '.local');
  let state: SendState;
  try {
    state = JSON.parse(readFileSync(sendStatePath(dir), 'utf8')) as SendState;
  } catch {
    throw new Error(
      `no stack with fake providers found (${sendStatePath(dir)} is missing): start one with \`npm start -- --fake-providers\``,
    );
  }
  try {
    process.kill(state.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH')
      throw new Error(
        `the stack that wrote ${sendStatePath(dir)} (pid ${state.pid}) is not running: start it with \`npm start -- --fake-providers\``,
      );
  }
  const pick = (name: keyof Secrets) => env[name] || state.secrets[name];
  return {
    state,
    secrets: {
      GITHUB_WEBHOOK_SECRET: pick('GITHUB_WEBHOOK_SECRET'),
      GITLAB_WEBHOOK_TOKEN: pick('GITLAB_WEBHOOK_TOKEN'),
      JIRA_WEBHOOK_SECRET: pick('JIRA_WEBHOOK_SECRET'),
    },
  };
}

function need(secrets: Partial<Secrets>, name: keyof Secrets): string {
  const value = secrets[name];
  if (!value) throw new Error(`${name} is not known: the stack was given one, so set the same ${name} in this shell`);
  return value;
}

async function admin<T>(state: SendState, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${state.fakeUrl}/__fake/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as T & { message?: string };
  if (!response.ok) throw new Error(`fake providers: ${json.message ?? response.status}`);
  return json;
}

/** The ticket as the fake Jira keeps it, or undefined when it does not know the key (it forgets on restart). */
async function findIssue(state: SendState, key: string): Promise<FakeIssue | undefined> {
  const response = await fetch(`${state.fakeUrl}/__fake/issue/${encodeURIComponent(key)}`);
  if (response.status === 404) return undefined;
  const json = (await response.json()) as FakeIssue & { message?: string };
  if (!response.ok) throw new Error(`fake providers: ${json.message ?? response.status}`);
  return json;
}

/** The issue object of a Jira webhook: Cloud's REST shape, cut to what a ticket here has. */
const jiraIssue = (issue: FakeIssue) => ({
  id: issue.key.replace(/\D/g, ''),
  key: issue.key,
  self: issue.self,
  fields: { summary: issue.summary, description: issue.description, reporter: issue.reporter, status: { name: issue.status } },
});

const hubSignature = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const short = (sha: string) => sha.slice(0, 8);
const gitlabTime = (date: Date) => `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

export async function runSend(argv: readonly string[], opts: SendOptions = {}): Promise<SendResult> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  // npm runs scripts from the package root; file arguments are relative to where the user typed them.
  const filesCwd = opts.cwd ?? env.INIT_CWD ?? process.cwd();
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      fail: { type: 'boolean' },
      pr: { type: 'string' },
      issue: { type: 'string' },
      by: { type: 'string' },
      status: { type: 'string' },
      remove: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [kind, ...rest] = positionals;
  if (values.help || !SEND_KINDS.includes(kind as SendKind)) throw new Error(USAGE);
  // jira-approve names its ticket first; the files after it are those the ticket was filed with.
  const ticket = kind === 'jira-approve' ? rest[0] : undefined;
  const paths = kind === 'jira-approve' ? rest.slice(1) : rest;
  if (kind === 'jira-approve' && !ISSUE_KEY.test(ticket ?? ''))
    throw new Error(`jira-approve takes the ticket's key first (OPS-1), not ${ticket ?? 'nothing'}\n${USAGE}`);
  if (values.by?.trim() === '') throw new Error('--by takes the approving user (a Jira accountId)');
  const { state, secrets } = loadState(env, cwd);
  const globs = state.manifestGlobs;
  const id = randomBytes(2).toString('hex');
  const removed = values.remove ?? [];
  const files: Record<string, string | null> =
    kind === 'jira-approve'
      ? repositoryFiles(globs, paths, filesCwd)
      : {
          ...(paths.length > 0
            ? repositoryFiles(globs, paths, filesCwd)
            : removed.length > 0
              ? {}
              : { [manifestPath(globs, `demo-${id}.yaml`)]: demoManifests(id, { fail: values.fail ?? false }) }),
          ...Object.fromEntries(removed.map((path) => [path, null])),
        };
  const number = values.pr === undefined ? undefined : Number(values.pr);
  if (number !== undefined && !Number.isInteger(number)) throw new Error('--pr takes a pull or merge request number');

  const deliver = async (
    provider: 'github' | 'gitlab' | 'jira',
    headers: Record<string, string>,
    payload: unknown,
    extra: Omit<SendResult, 'status' | 'body'>,
  ) => {
    const body = JSON.stringify(payload);
    const url = `${state.apiUrl}/webhooks/${provider}`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'hwc-provisioner-local-send', ...headers },
      body,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: shown as is
    }
    const event = headers['x-github-event'] ?? headers['x-gitlab-event'] ?? (payload as { webhookEvent?: string }).webhookEvent;
    print(`POST ${url} (${event}) → ${response.status} ${text}`);
    const requestId = (parsed as { requestId?: unknown } | null)?.requestId;
    if (typeof requestId === 'string')
      print(`request ${requestId}: GET ${state.apiUrl}/requests/${requestId} (bearer token from the npm start banner)`);
    return { status: response.status, body: parsed, ...(typeof requestId === 'string' ? { requestId } : {}), ...extra };
  };
  const describeFiles = (changed: string[]) =>
    changed.length > 0 ? changed.join(', ') : 'no file changed: intake will find nothing to do';
  const deliverJira = (payload: unknown, key: string) => {
    const body = JSON.stringify(payload);
    return deliver(
      'jira',
      { 'x-hub-signature': hubSignature(need(secrets, 'JIRA_WEBHOOK_SECRET'), body), 'x-atlassian-webhook-identifier': randomUUID() },
      payload,
      { issue: key },
    );
  };

  switch (kind as SendKind) {
    case 'github-push':
    case 'gitlab-push': {
      const provider = kind === 'github-push' ? 'github' : 'gitlab';
      const repository = state[provider].repository;
      const push = await admin<PushResult>(state, 'push', { provider, repository, files });
      print(
        `${kind}: commit ${short(push.after)} on ${repository} ${push.branch} ` +
          `(parent ${short(push.before)}): ${describeFiles(push.changed)}`,
      );
      const commit = {
        id: push.after,
        message: 'Change manifests (npm run local:send)',
        timestamp: new Date().toISOString(),
        author: { name: 'Local Sender', email: 'local@example.com' },
        modified: push.changed,
      };
      if (provider === 'github') {
        const payload = {
          ref: `refs/heads/${push.branch}`,
          before: push.before,
          after: push.after,
          created: false,
          deleted: false,
          forced: false,
          compare: `https://github.com/${repository}/compare/${short(push.before)}...${short(push.after)}`,
          commits: [commit],
          head_commit: commit,
          repository: {
            id: push.projectId,
            name: repository.split('/')[1],
            full_name: repository,
            default_branch: push.branch,
            html_url: `https://github.com/${repository}`,
          },
          pusher: { name: 'local-sender', email: 'local@example.com' },
          sender: { login: 'local-sender' },
        };
        const body = JSON.stringify(payload);
        return deliver(
          'github',
          {
            'x-github-event': 'push',
            'x-github-delivery': randomUUID(),
            'x-hub-signature-256': hubSignature(need(secrets, 'GITHUB_WEBHOOK_SECRET'), body),
          },
          payload,
          { push },
        );
      }
      const project = {
        id: push.projectId,
        name: repository.split('/')[1],
        path_with_namespace: repository,
        default_branch: push.branch,
        web_url: `https://gitlab.example.com/${repository}`,
      };
      const payload = {
        object_kind: 'push',
        event_name: 'push',
        ref: `refs/heads/${push.branch}`,
        before: push.before,
        after: push.after,
        checkout_sha: push.after,
        user_username: 'local-sender',
        project_id: push.projectId,
        project,
        commits: [commit],
        total_commits_count: 1,
      };
      const uuid = randomUUID();
      return deliver(
        'gitlab',
        {
          'x-gitlab-event': 'Push Hook',
          'x-gitlab-token': need(secrets, 'GITLAB_WEBHOOK_TOKEN'),
          'idempotency-key': uuid,
          'x-gitlab-event-uuid': uuid,
        },
        payload,
        { push },
      );
    }
    case 'github-pr':
    case 'gitlab-mr': {
      const provider = kind === 'github-pr' ? 'github' : 'gitlab';
      const repository = state[provider].repository;
      const pull = await admin<PullResult>(state, 'pull', { provider, repository, files, ...(number !== undefined ? { number } : {}) });
      const now = new Date();
      print(
        `${kind}: ${pull.action === 'opened' ? 'opened' : 'new commit on'} ` +
          `${provider === 'github' ? `#${pull.number}` : `!${pull.number}`} (${pull.headRef} ${short(pull.head)} ` +
          `into ${pull.baseRef} ${short(pull.base)}): ${describeFiles(pull.changed)}`,
      );
      if (provider === 'github') {
        const payload = {
          action: pull.action,
          number: pull.number,
          pull_request: {
            number: pull.number,
            state: 'open',
            title: `Change manifests (${pull.headRef})`,
            html_url: `https://github.com/${repository}/pull/${pull.number}`,
            updated_at: now.toISOString(),
            base: { ref: pull.baseRef, sha: pull.base, repo: { id: pull.projectId, full_name: repository } },
            head: { ref: pull.headRef, sha: pull.head, repo: { id: pull.projectId, full_name: repository } },
          },
          repository: {
            id: pull.projectId,
            name: repository.split('/')[1],
            full_name: repository,
            default_branch: pull.baseRef,
            html_url: `https://github.com/${repository}`,
          },
          sender: { login: 'local-sender' },
        };
        const body = JSON.stringify(payload);
        return deliver(
          'github',
          {
            'x-github-event': 'pull_request',
            'x-github-delivery': randomUUID(),
            'x-hub-signature-256': hubSignature(need(secrets, 'GITHUB_WEBHOOK_SECRET'), body),
          },
          payload,
          { pull },
        );
      }
      const payload = {
        object_kind: 'merge_request',
        event_type: 'merge_request',
        user: { username: 'local-sender' },
        project: {
          id: pull.projectId,
          path_with_namespace: repository,
          default_branch: pull.baseRef,
          web_url: `https://gitlab.example.com/${repository}`,
        },
        object_attributes: {
          iid: pull.number,
          source_project_id: pull.projectId,
          target_project_id: pull.projectId,
          title: `Change manifests (${pull.headRef})`,
          state: 'opened',
          action: pull.action === 'opened' ? 'open' : 'update',
          ...(pull.previousHead ? { oldrev: pull.previousHead } : {}),
          source_branch: pull.headRef,
          target_branch: pull.baseRef,
          updated_at: gitlabTime(now),
          url: `https://gitlab.example.com/${repository}/-/merge_requests/${pull.number}`,
          last_commit: { id: pull.head },
          diff_refs: { base_sha: pull.base, head_sha: pull.head, start_sha: pull.base },
        },
      };
      const uuid = randomUUID();
      return deliver(
        'gitlab',
        {
          'x-gitlab-event': 'Merge Request Hook',
          'x-gitlab-token': need(secrets, 'GITLAB_WEBHOOK_TOKEN'),
          'idempotency-key': uuid,
          'x-gitlab-event-uuid': uuid,
        },
        payload,
        { pull },
      );
    }
    case 'jira': {
      const description = jiraDescription(files);
      const issue = await admin<FakeIssue>(state, 'issue', {
        ...(values.issue ? { key: values.issue } : {}),
        summary: JIRA_SUMMARY,
        description,
        reporter: JIRA_REPORTER,
      });
      const event = values.issue ? 'jira:issue_updated' : 'jira:issue_created';
      const blocks = Object.keys(files).filter((path) => files[path] !== null);
      print(
        `jira: ${values.issue ? 'updated' : 'created'} ${issue.key} with ${blocks.length} yaml block${blocks.length === 1 ? '' : 's'} ` +
          `(${blocks.map((f) => basename(f)).join(', ')})`,
      );
      const payload = {
        timestamp: Date.now(),
        webhookEvent: event,
        issue_event_type_name: values.issue ? 'issue_updated' : 'issue_created',
        user: JIRA_REPORTER,
        issue: jiraIssue(issue),
      };
      return deliverJira(payload, issue.key);
    }
    case 'jira-approve': {
      const key = ticket!;
      const known = await findIssue(state, key);
      // Jira sends the whole issue with a transition, and intake reads its description again: sent as the ticket was
      // filed, it maps to the ticket's request. Files named here are filed again, for a ticket the fake has forgotten.
      const issue =
        paths.length > 0
          ? await admin<FakeIssue>(state, 'issue', {
              key,
              summary: known?.summary ?? JIRA_SUMMARY,
              description: jiraDescription(files),
              reporter: known?.reporter ?? JIRA_REPORTER,
            })
          : known;
      if (!issue)
        throw new Error(
          `the fake Jira does not know ${key} (was the stack restarted?): name the files it was filed with, ` +
            `as in \`npm run local:send -- jira-approve ${key} my.yaml\``,
        );
      const by = values.by ?? JIRA_APPROVER;
      const status = values.status ?? (env.JIRA_APPROVAL_STATUS?.trim() || 'Approved');
      const { from } = await admin<{ from: string }>(state, `issue/${key}/transition`, { status });
      print(
        `jira-approve: ${key} ${from} → ${status} by ${by}` +
          (by === issue.reporter.accountId ? ' (its reporter)' : ` (reporter ${issue.reporter.accountId})`),
      );
      const payload = {
        timestamp: Date.now(),
        webhookEvent: 'jira:issue_updated',
        issue_event_type_name: 'issue_generic',
        user: { accountId: by, displayName: by },
        issue: jiraIssue({ ...issue, status }),
        changelog: {
          id: Date.now() % 100_000,
          items: [{ field: 'status', fieldtype: 'jira', fieldId: 'status', fromString: from, toString: status }],
        },
      };
      return deliverJira(payload, key);
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runSend(process.argv.slice(2)).then(
    (result) => process.exit(result.status >= 200 && result.status < 300 ? 0 : 1),
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    },
  );
}

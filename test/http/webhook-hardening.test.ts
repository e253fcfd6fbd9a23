/**
 * What a signed or authenticated sender could slip past the webhooks: replays under fresh delivery ids, ids and
 * names that would become keys or API paths, GitLab payloads of unexpected types, over-long Jira descriptions.
 */
import { readFileSync } from 'node:fs';
import examples from '@octokit/webhooks-examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubReader } from '../../shared/intake/github';
import { MAX_DESCRIPTION_CHARS } from '../../shared/intake/jira';
import { processIntakeMessage, type ProviderSettings } from '../../shared/intake/service';
import { getRequestWithResources } from '../../shared/store/requests';
import { startFakeProviders, type FakeProviders } from '../../local/fake-providers/git';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { appFor, fakeProviderSettings, hubSignature, intakeDepsFor, SECRETS } from './helpers';

const pushExamples = (examples as unknown as { name: string; examples: Record<string, unknown>[] }[]).find(
  (e) => e.name === 'push',
)!.examples;
const branchPush = pushExamples.find((e) => e.ref === 'refs/heads/master' && !e.deleted) as {
  repository: Record<string, unknown>;
} & Record<string, unknown>;
const NOTEBOOK = readFileSync('examples/notebook.yaml', 'utf8');

describe('webhook hardening', () => {
  let stack: LocalStack;
  let app: ReturnType<typeof appFor>;
  let providers: FakeProviders;
  let settings: ProviderSettings;

  beforeAll(async () => {
    stack = await useLocalResources();
    app = appFor(stack);
    providers = await startFakeProviders({ githubToken: SECRETS.GITHUB_TOKEN!, gitlabToken: SECRETS.GITLAB_TOKEN! });
    settings = fakeProviderSettings(providers);
  });
  afterAll(async () => {
    stack.close();
    await providers.close();
  });

  async function runIntake() {
    const messages = await stack.drainMessages(stack.queues.intake.url, { waitMs: 300 });
    const outcomes = [];
    for (const m of messages)
      outcomes.push(await processIntakeMessage(intakeDepsFor(stack), settings, { messageId: m.MessageId!, body: m.Body! }));
    return outcomes;
  }

  /** The same bytes and signature each time, as a replay sends them; only the delivery header changes. */
  const signedGithub = (body: string, delivery: string, event = 'push') =>
    app.request('/webhooks/github', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': delivery,
        'x-hub-signature-256': hubSignature(SECRETS.GITHUB_WEBHOOK_SECRET!, body),
      },
    });
  const gitlab = (payload: unknown, key: string, event = 'Push Hook') =>
    app.request('/webhooks/gitlab', {
      method: 'POST',
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
      headers: {
        'content-type': 'application/json',
        'x-gitlab-token': SECRETS.GITLAB_WEBHOOK_TOKEN!,
        'x-gitlab-event': event,
        'idempotency-key': key,
      },
    });
  const gitlabPush = (after: string) => ({
    object_kind: 'push',
    ref: 'refs/heads/main',
    before: '0'.repeat(40),
    after,
    project_id: 42,
    project: { path_with_namespace: 'group/infra', default_branch: 'main', web_url: 'https://gitlab.example.com/group/infra' },
  });

  it('treats a GitHub push replayed under fresh delivery ids as the first request: one request, one dispatch, one tree read', async () => {
    const after = '7'.repeat(40);
    providers.commits.set(after, { 'provisioning/nb.yaml': NOTEBOOK.replace('name: notebooks-test', 'name: replayed') });
    const body = JSON.stringify({ ...branchPush, ref: 'refs/heads/master', before: '0'.repeat(40), after });
    const ids = new Set<string>();
    for (const delivery of ['d-first', 'd-replay-1', 'd-replay-2']) {
      const response = await signedGithub(body, delivery);
      expect(response.status).toBe(202);
      ids.add(((await response.json()) as { requestId: string }).requestId);
    }
    expect(ids.size).toBe(1);
    const trees = providers.calls.filter((c) => c.path.includes('/git/trees/')).length;
    const outcomes = await runIntake();
    expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(outcomes.filter((o) => o.status === 'accepted' && !o.duplicate)).toHaveLength(1);
    expect(providers.calls.filter((c) => c.path.includes('/git/trees/')).length - trees).toBe(1);
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 })).toHaveLength(1);
    const stored = await getRequestWithResources({ ddb: stack.ddb, tableName: stack.tableName }, [...ids][0]!);
    // The first delivery's id stays on the record for logs.
    expect(stored!.request.source).toMatchObject({ provider: 'github', deliveryId: 'd-first' });
  });

  it(
    'keys a GitHub push on the repository id, not its name: a push ' + 'of the same commits to another repository is another request',
    async () => {
      const after = '8'.repeat(40);
      const push = { ...branchPush, ref: 'refs/heads/master', before: '0'.repeat(40), after };
      const a = await signedGithub(JSON.stringify(push), 'repo-a');
      const b = await signedGithub(JSON.stringify({ ...push, repository: { ...branchPush.repository, id: 99 } }), 'repo-b');
      expect(((await a.json()) as { requestId: string }).requestId).not.toBe(((await b.json()) as { requestId: string }).requestId);
      await stack.drainQueue(stack.queues.intake.url, { waitMs: 300 });
    },
  );

  it('treats a GitLab push resent with a new Idempotency-Key and event UUID as the same request', async () => {
    const after = '9'.repeat(40);
    providers.commits.set(after, { 'provisioning/nb.yaml': NOTEBOOK.replace('name: notebooks-test', 'name: gl-replayed') });
    const first = (await (await gitlab(gitlabPush(after), 'idem-a')).json()) as { requestId: string };
    const second = (await (await gitlab(gitlabPush(after), 'idem-b')).json()) as { requestId: string };
    expect(second.requestId).toBe(first.requestId);
    const outcomes = await runIntake();
    expect(outcomes.filter((o) => o.status === 'accepted' && !o.duplicate)).toHaveLength(1);
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 })).toHaveLength(1);
  });

  it.each([
    ['an after that is not a commit id', { after: '../../x' }, 'after'],
    ['a before that is not a commit id', { before: 'HEAD~1' }, 'before'],
    [
      'a repository name with dot segments',
      { repository: { ...branchPush.repository, full_name: 'acme/../../rest/api/2' } },
      'repository.full_name',
    ],
    [
      'a repository name with an encoded slash',
      { repository: { ...branchPush.repository, full_name: 'acme/infra%2F..' } },
      'repository.full_name',
    ],
    ['no repository id', { repository: { ...branchPush.repository, id: undefined } }, 'repository.id'],
  ])('answers a GitHub push with %s 400 with the field, and queues nothing', async (_what, change, path) => {
    const response = await signedGithub(JSON.stringify({ ...branchPush, ref: 'refs/heads/master', ...change }), 'bad-1');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; details: { issues: { path: string }[] } } };
    expect(body.error.code).toBe('INVALID_PAYLOAD');
    expect(body.error.details.issues.map((i) => i.path)).toContain(path);
    expect(await stack.drainQueue(stack.queues.intake.url, { waitMs: 200 })).toEqual([]);
  });

  it('bounds a 3,000-character delivery header before it reaches a record or a log', async () => {
    const after = '6'.repeat(40);
    providers.commits.set(after, { 'provisioning/nb.yaml': NOTEBOOK.replace('name: notebooks-test', 'name: long-delivery') });
    const response = await signedGithub(
      JSON.stringify({ ...branchPush, ref: 'refs/heads/master', before: '0'.repeat(40), after }),
      `x${'\u00e9'.repeat(2_999)}`,
    );
    expect(response.status).toBe(202);
    const { requestId } = (await response.json()) as { requestId: string };
    const [outcome] = await runIntake();
    expect(outcome).toMatchObject({ status: 'accepted', requestId });
    const stored = await getRequestWithResources({ ddb: stack.ddb, tableName: stack.tableName }, requestId);
    expect(stored!.request.source.deliveryId).toMatch(/^sha256:[0-9a-f]{32}$/);
    await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 });
  });

  it.each([
    ['default_branch null', { ...gitlabPush('1'.repeat(40)), project: { path_with_namespace: 'group/infra', default_branch: null } }],
    ['project_id as a string', { ...gitlabPush('1'.repeat(40)), project_id: '42' }],
    ['an after that is a path', gitlabPush('../../x')],
    [
      'a project path with dot segments',
      { ...gitlabPush('1'.repeat(40)), project: { path_with_namespace: 'group/../../admin', default_branch: 'main' } },
    ],
    ['a body that is not JSON', '{"object_kind":'],
  ])('answers a GitLab Push Hook with %s 200 ignored with a reason (a 4xx would disable the hook)', async (_what, payload) => {
    const response = await gitlab(payload, 'odd-1');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { ignored: boolean; reason: string };
    expect(body.ignored).toBe(true);
    expect(body.reason).toMatch(/^Push Hook payload not understood: /);
    expect(await stack.drainQueue(stack.queues.intake.url, { waitMs: 200 })).toEqual([]);
  });

  it('encodes each segment of a repository name in GitHub API paths', async () => {
    const urls: string[] = [];
    const recording = (async (url: string) => {
      urls.push(url);
      return new Response(JSON.stringify({ tree: [] }), { status: 200 });
    }) as typeof fetch;
    await githubReader({ apiUrl: 'https://api.example.com', repository: 'a b/c?d', fetch: recording }).listTree('a'.repeat(40));
    expect(urls).toEqual([`https://api.example.com/repos/a%20b/c%3Fd/git/trees/${'a'.repeat(40)}?recursive=1`]);
  });

  it('rejects a Jira ticket whose description is longer than Jira allows, saying so, instead of dropping its later blocks', async () => {
    const early = `\`\`\`yaml\n${NOTEBOOK.replace('name: notebooks-test', 'name: early')}\`\`\`\n`;
    const late = `\`\`\`yaml\n${NOTEBOOK.replace('name: notebooks-test', 'name: late')}\`\`\`\n`;
    const description = `${early + 'x'.repeat(MAX_DESCRIPTION_CHARS)}\n${late}`;
    const body = JSON.stringify({
      webhookEvent: 'jira:issue_created',
      issue: { key: 'OPS-77', self: 'https://example.atlassian.net/rest/api/2/issue/1', fields: { description } },
    });
    const response = await app.request('/webhooks/jira', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-hub-signature': hubSignature(SECRETS.JIRA_WEBHOOK_SECRET!, body) },
    });
    expect(response.status).toBe(202);
    const { requestId } = (await response.json()) as { requestId: string };
    const [outcome] = await runIntake();
    expect(outcome).toMatchObject({ status: 'rejected', requestId });
    const stored = await getRequestWithResources({ ddb: stack.ddb, tableName: stack.tableName }, requestId);
    expect(stored!.request.phase).toBe('Rejected');
    expect(JSON.stringify(stored!.request.rejected)).toContain(`over Jira's limit of ${MAX_DESCRIPTION_CHARS}`);
    expect(stored!.resources).toEqual([]);
    expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 200 })).toEqual([]);
  });
});

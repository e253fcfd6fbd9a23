import { readFileSync } from 'node:fs';
import examples from '@octokit/webhooks-examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomRequestId } from '../../shared/intake/ids';
import { processIntakeMessage, type ProviderSettings } from '../../shared/intake/service';
import { getRequestWithResources } from '../../shared/store/requests';
import { startFakeProviders, type FakeProviders } from '../../local/fake-providers/git';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { appFor, fakeProviderSettings, hubSignature, intakeDepsFor, SECRETS } from './helpers';

const pushExamples = (examples as unknown as { name: string; examples: Record<string, unknown>[] }[]).find(
  (e) => e.name === 'push',
)!.examples;
/** A real push to a branch (the others in the set are tag pushes and deletions). */
const branchPush = pushExamples.find((e) => e.ref === 'refs/heads/master' && !e.deleted) as {
  after: string;
  before: string;
  repository: { full_name: string };
} & Record<string, unknown>;

const POOL = readFileSync('examples/resource-pool.yaml', 'utf8');
const NOTEBOOK = readFileSync('examples/notebook.yaml', 'utf8');
const EDGE = readFileSync('examples/edge-deployment.yaml', 'utf8');

describe('provider webhooks through intake', () => {
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

  /** Runs intake over everything on the intake queue, as the intake function would. */
  async function runIntake() {
    const messages = await stack.drainMessages(stack.queues.intake.url, { waitMs: 300 });
    const outcomes = [];
    for (const m of messages)
      outcomes.push(await processIntakeMessage(intakeDepsFor(stack), settings, { messageId: m.MessageId!, body: m.Body! }));
    return outcomes;
  }

  const github = (event: string, delivery: string, payload: unknown, secret = SECRETS.GITHUB_WEBHOOK_SECRET!) => {
    const body = JSON.stringify(payload);
    return app.request('/webhooks/github', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': delivery,
        'x-hub-signature-256': hubSignature(secret, body),
      },
    });
  };

  it('turns a GitHub push delivered three times into one request with the manifests at the pushed commit', async () => {
    providers.commits.set(branchPush.after, {
      'provisioning/pool.yaml': POOL,
      'provisioning/team/edge.yml': EDGE,
      'README.md': '# not a manifest',
      'other/notebook.yaml': NOTEBOOK,
    });
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const response = await github('push', 'delivery-1', branchPush);
      expect(response.status).toBe(202);
      ids.push(((await response.json()) as any).requestId);
    }
    expect(new Set(ids).size).toBe(1);

    const outcomes = await runIntake();
    expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(outcomes.filter((o) => o.status === 'accepted' && !o.duplicate)).toHaveLength(1);
    const dispatch = (await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 })).map((b) => JSON.parse(b));
    // New branch (before is all zeros): every manifest under the globs, none outside them; the redeliveries re-send nothing new.
    expect(new Set(dispatch.map((m: { kind: string; name: string }) => `${m.kind}/${m.name}`))).toEqual(
      new Set(['ResourcePool/train-pool', 'EdgeDeployment/app']),
    );
    const stored = await getRequestWithResources({ ddb: stack.ddb, tableName: stack.tableName }, ids[0]);
    expect(stored!.request.source).toMatchObject({
      provider: 'github',
      ref: `Codertocat/Hello-World@${branchPush.after}`,
      deliveryId: 'delivery-1',
      branch: 'master',
      url: `https://github.com/Codertocat/Hello-World/commit/${branchPush.after}`,
    });
    expect(stored!.resources.map((r) => r.file).sort()).toEqual(['provisioning/pool.yaml', 'provisioning/team/edge.yml']);
    expect(providers.calls.every((c) => c.authorized)).toBe(true);
    // The redeliveries were answered from the delivery record: the repository was read once.
    expect(providers.calls.filter((c) => c.path.includes('/git/trees/'))).toHaveLength(1);
  });

  it('reads only the manifests a push changed, from the trees rather than the payload lists', async () => {
    const before = 'b'.repeat(40);
    const after = 'c'.repeat(40);
    providers.commits.set(before, { 'provisioning/pool.yaml': POOL, 'provisioning/edge.yaml': EDGE });
    providers.commits.set(after, { 'provisioning/pool.yaml': POOL, 'provisioning/edge.yaml': EDGE.replace('name: app', 'name: app2') });
    const response = await github('push', 'delivery-2', { ...branchPush, before, after, commits: [] });
    expect(response.status).toBe(202);
    await runIntake();
    const dispatch = (await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 500 })).map((b) => JSON.parse(b));
    expect(dispatch.map((m: { kind: string; name: string }) => `${m.kind}/${m.name}`)).toEqual(['EdgeDeployment/app2']);
  });

  it('makes no request for a push that changes no manifest', async () => {
    const sha = 'd'.repeat(40);
    providers.commits.set(sha, { 'provisioning/pool.yaml': POOL });
    providers.commits.set('e'.repeat(40), { 'provisioning/pool.yaml': POOL, 'docs/x.md': 'x' });
    const response = await github('push', 'delivery-3', { ...branchPush, before: sha, after: 'e'.repeat(40) });
    const { requestId } = (await response.json()) as any;
    expect((await runIntake()).map((o) => o.status)).toEqual(['empty']);
    expect(await getRequestWithResources({ ddb: stack.ddb, tableName: stack.tableName }, requestId)).toBeUndefined();
  });

  it('records a rejected request when the repository cannot be read', async () => {
    const response = await github('push', 'delivery-4', { ...branchPush, before: '0'.repeat(40), after: 'f'.repeat(40) });
    const { requestId } = (await response.json()) as any;
    const [outcome] = await runIntake();
    expect(outcome).toMatchObject({ status: 'rejected', requestId });
    const stored = await getRequestWithResources({ ddb: stack.ddb, tableName: stack.tableName }, requestId);
    expect(stored!.request.rejected![0]!.errors[0]!.message).toMatch(/could not read manifests: GitHub tree of f+: HTTP 404/);
  });

  it('retries (throws) when the provider is down, so SQS redelivers', async () => {
    await github('push', 'delivery-5', { ...branchPush, before: '0'.repeat(40), after: '5'.repeat(40) });
    providers.failNext(1, 502);
    await expect(runIntake()).rejects.toThrow(/HTTP 502/);
  });

  it('answers 401 to a forged signature and stores or queues nothing', async () => {
    const response = await github('push', 'forged-1', branchPush, 'not-the-secret');
    expect(response.status).toBe(401);
    expect((await response.json()) as any).toEqual({ error: { code: 'UNAUTHORIZED', message: 'missing or invalid credentials' } });
    expect(await stack.drainQueue(stack.queues.intake.url, { waitMs: 300 })).toEqual([]);
  });

  it('answers ping with 200, other events with 200 ignored, untracked branches and tags with 200 ignored', async () => {
    expect((await github('ping', 'p-1', { zen: 'Keep it logically awesome.', hook_id: 1 })).status).toBe(200);
    const issues = await github('issues', 'i-1', { action: 'opened' });
    expect((await issues.json()) as any).toMatchObject({ ignored: true });
    const tag = await github(
      'push',
      't-1',
      pushExamples.find((e) => e.ref === 'refs/tags/simple-tag' && !e.deleted),
    );
    expect((await tag.json()) as any).toMatchObject({ ignored: true, reason: expect.stringContaining('not a branch') });
    const feature = await github('push', 'f-1', { ...branchPush, ref: 'refs/heads/feature' });
    expect((await feature.json()) as any).toMatchObject({ ignored: true, reason: expect.stringContaining('not tracked') });
    expect(await stack.drainQueue(stack.queues.intake.url, { waitMs: 300 })).toEqual([]);
  });

  it('accepts a GitLab Push Hook with its token, dedupes a resent push, and 2xx-ignores other events', async () => {
    const after = '1'.repeat(40);
    providers.commits.set(after, { 'provisioning/nb.yaml': NOTEBOOK });
    const payload = {
      object_kind: 'push',
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after,
      project_id: 42,
      project: { path_with_namespace: 'group/infra', default_branch: 'main', web_url: 'https://gitlab.example.com/group/infra' },
    };
    const send = (token: string, event = 'Push Hook', key = 'idem-1') =>
      app.request('/webhooks/gitlab', {
        method: 'POST',
        body: JSON.stringify(payload),
        headers: { 'content-type': 'application/json', 'x-gitlab-token': token, 'x-gitlab-event': event, 'idempotency-key': key },
      });
    expect((await send('wrong')).status).toBe(401);
    const a = (await (await send(SECRETS.GITLAB_WEBHOOK_TOKEN!)).json()) as any;
    const b = (await (await send(SECRETS.GITLAB_WEBHOOK_TOKEN!)).json()) as any;
    expect(a.requestId).toBe(b.requestId);
    const ignored = await send(SECRETS.GITLAB_WEBHOOK_TOKEN!, 'Merge Request Hook');
    expect(ignored.status).toBe(200);
    const outcomes = await runIntake();
    expect(outcomes.filter((o) => o.status === 'accepted' && !o.duplicate)).toHaveLength(1);
    const stored = await getRequestWithResources({ ddb: stack.ddb, tableName: stack.tableName }, a.requestId);
    expect(stored!.request.source).toMatchObject({
      provider: 'gitlab',
      ref: `group/infra@${after}`,
      url: `https://gitlab.example.com/group/infra/-/commit/${after}`,
    });
    expect(stored!.resources.map((r) => r.name)).toEqual(['notebooks-test']);
    await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 });
  });

  describe('Jira', () => {
    const issue = (description: string, event = 'jira:issue_created') => ({
      timestamp: 1700000000000,
      webhookEvent: event,
      issue_event_type_name: 'issue_created',
      issue: {
        id: '10001',
        key: 'OPS-12',
        self: 'https://example.atlassian.net/rest/api/2/issue/10001',
        fields: { summary: 'Need GPUs', description },
      },
    });
    const jira = (payload: unknown, secret = SECRETS.JIRA_WEBHOOK_SECRET!, id = 'jira-delivery-1') => {
      const body = JSON.stringify(payload);
      return app.request('/webhooks/jira', {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-hub-signature': hubSignature(secret, body),
          'x-atlassian-webhook-identifier': id,
        },
      });
    };
    const description = `Please provision:\n\`\`\`yaml\n${POOL}\`\`\`\nand\n\`\`\`yaml\n${EDGE}\`\`\`\n`;

    it('turns an issue with two yaml blocks into one request keyed to the ticket', async () => {
      const response = await jira(issue(description));
      expect(response.status).toBe(202);
      const { requestId } = (await response.json()) as any;
      const [outcome] = await runIntake();
      expect(outcome).toMatchObject({
        status: 'accepted',
        requestId,
        resources: [
          { kind: 'ResourcePool', name: 'train-pool' },
          { kind: 'EdgeDeployment', name: 'app' },
        ],
      });
      const stored = await getRequestWithResources({ ddb: stack.ddb, tableName: stack.tableName }, requestId);
      expect(stored!.request.source).toMatchObject({
        provider: 'jira',
        ref: 'OPS-12',
        ticket: 'OPS-12',
        url: 'https://example.atlassian.net/browse/OPS-12',
      });
      expect(stored!.resources.map((r) => r.file).sort()).toEqual(['OPS-12#yaml-1', 'OPS-12#yaml-2']);
      await stack.drainQueue(stack.queues.dispatch.url, { count: 2 });
    });

    it('makes no new request when an update leaves the manifests unchanged', async () => {
      const first = (await (await jira(issue(description, 'jira:issue_updated'), undefined, 'jira-delivery-2')).json()) as any;
      const outcomes = await runIntake();
      expect(outcomes).toEqual([expect.objectContaining({ status: 'accepted', duplicate: true, requestId: first.requestId })]);
      expect(await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 })).toEqual([]);
    });

    it('rejects a bad signature and ignores descriptions without yaml and other events', async () => {
      expect((await jira(issue(description), 'wrong')).status).toBe(401);
      expect((await (await jira(issue('no manifests here'))).json()) as any).toMatchObject({ ignored: true });
      expect((await (await jira(issue(description, 'jira:issue_deleted'))).json()) as any).toMatchObject({ ignored: true });
      expect(await stack.drainQueue(stack.queues.intake.url, { waitMs: 300 })).toEqual([]);
    });
  });

  it('turns an invalid message from another system into a rejected request, not a retry', async () => {
    const outcome = await processIntakeMessage(intakeDepsFor(stack), settings, { messageId: 'm-1', body: '{"manifest": "typo"}' });
    expect(outcome).toMatchObject({
      status: 'rejected',
      documents: [{ errors: [{ message: expect.stringContaining('not an intake submission') }] }],
    });
    const valid = await processIntakeMessage(intakeDepsFor(stack), settings, {
      messageId: 'm-2',
      body: JSON.stringify({ manifests: EDGE.replace('name: app', 'name: from-queue'), source: { system: 'cmdb', reference: 'CHG-1' } }),
    });
    expect(valid).toMatchObject({ status: 'accepted', resources: [{ kind: 'EdgeDeployment', name: 'from-queue' }] });
    await stack.drainQueue(stack.queues.dispatch.url, { count: 1 });
  });

  it('reads the provider settings (with their secrets) only for a message that reads a repository', async () => {
    let asked = 0;
    const lazy = async () => {
      asked++;
      return settings;
    };
    const edge = EDGE.replace(/name: app\b/, 'name: lazy-settings');
    const ticket = JSON.stringify({
      type: 'jira.issue',
      requestId: randomRequestId(),
      deliveryId: 'd-lazy',
      ticket: 'OPS-77',
      blocks: [edge],
    });
    expect(await processIntakeMessage(intakeDepsFor(stack), lazy, { messageId: 'm-lazy-1', body: ticket })).toMatchObject({
      status: 'accepted',
    });
    const queued = JSON.stringify({ manifests: edge.replace('lazy-settings', 'lazy-queue'), source: { system: 'cmdb' } });
    expect(await processIntakeMessage(intakeDepsFor(stack), lazy, { messageId: 'm-lazy-2', body: queued })).toMatchObject({
      status: 'accepted',
    });
    expect(asked).toBe(0);

    const after = 'e'.repeat(40);
    providers.commits.set(after, { 'provisioning/edge.yaml': edge.replace('lazy-settings', 'lazy-push') });
    expect((await github('push', 'delivery-lazy', { ...branchPush, after, head_commit: { id: after } })).status).toBe(202);
    const [message] = await stack.drainMessages(stack.queues.intake.url, { waitMs: 300 });
    expect(await processIntakeMessage(intakeDepsFor(stack), lazy, { messageId: message!.MessageId!, body: message!.Body! })).toMatchObject({
      status: 'accepted',
    });
    expect(asked).toBe(1);
    await stack.drainQueue(stack.queues.dispatch.url, { count: 3 });
  });
});

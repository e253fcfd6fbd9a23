/**
 * Plans run the bot's token over the head commit and answer in the pull request: by default only for pull
 * and merge requests whose head lives in the same repository. Real GitHub payloads (@octokit/webhooks-examples);
 * GitLab's follow its documented Merge Request Hook.
 */
import examples from '@octokit/webhooks-examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, IntakeEnvSchema, parseEnv } from '../../shared/config';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { appFor, hubSignature, SECRETS } from './helpers';

type Payload = Record<string, any>;
const prExamples = (examples as unknown as { name: string; examples: Payload[] }[]).find((e) => e.name === 'pull_request')!.examples;
const opened = prExamples.find((e) => e.action === 'opened' && e.pull_request.head.repo?.full_name === e.repository.full_name)!;
const clone = (p: Payload): Payload => structuredClone(p);

/** The same pull request, opened from a fork of the repository. */
function fromFork(): Payload {
  const pr = clone(opened);
  pr.pull_request.head.repo = {
    ...pr.pull_request.head.repo,
    id: 999_001,
    node_id: 'R_fork',
    name: 'Hello-World',
    full_name: 'mallory/Hello-World',
    fork: true,
    owner: { login: 'mallory', id: 999_002 },
  };
  pr.pull_request.head.label = 'mallory:changes';
  return pr;
}

/** A Merge Request Hook as GitLab sends it; `source` is the project the branch lives in. */
function mergeRequest(source: number, target = 14): Payload {
  const head = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: { id: 1, name: 'Administrator', username: 'root' },
    project: {
      id: target,
      name: 'infra',
      web_url: 'https://gitlab.example.com/group/infra',
      path_with_namespace: 'group/infra',
      default_branch: 'main',
    },
    object_attributes: {
      id: 99,
      iid: 1,
      target_branch: 'main',
      source_branch: 'ms-viewport',
      source_project_id: source,
      target_project_id: target,
      title: 'MS-Viewport',
      state: 'opened',
      action: 'open',
      updated_at: '2026-11-23 10:00:00 UTC',
      url: 'https://gitlab.example.com/group/infra/-/merge_requests/1',
      source: { name: 'infra', path_with_namespace: source === target ? 'group/infra' : 'mallory/infra' },
      target: { name: 'infra', path_with_namespace: 'group/infra' },
      last_commit: { id: head, message: 'fixed readme', timestamp: '2026-11-23T10:00:00+00:00' },
      diff_refs: {
        base_sha: '0123456789abcdef0123456789abcdef01234567',
        head_sha: head,
        start_sha: '0123456789abcdef0123456789abcdef01234567',
      },
    },
  };
}

describe('plans for pull and merge requests from forks', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await useLocalResources();
  });
  afterAll(() => stack.close());

  const github = (app: ReturnType<typeof appFor>, payload: Payload, delivery: string) => {
    const body = JSON.stringify(payload);
    return app.request('/webhooks/github', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': delivery,
        'x-hub-signature-256': hubSignature(SECRETS.GITHUB_WEBHOOK_SECRET!, body),
      },
    });
  };
  const gitlab = (app: ReturnType<typeof appFor>, payload: Payload, key: string) =>
    app.request('/webhooks/gitlab', {
      method: 'POST',
      body: JSON.stringify(payload),
      headers: {
        'content-type': 'application/json',
        'x-gitlab-token': SECRETS.GITLAB_WEBHOOK_TOKEN!,
        'x-gitlab-event': 'Merge Request Hook',
        'idempotency-key': key,
      },
    });
  const queued = async () => (await stack.drainQueue(stack.queues.intake.url, { waitMs: 300 })).map((b) => JSON.parse(b) as Payload);

  it('plans a pull request from the same repository', async () => {
    const response = await github(appFor(stack), opened, 'pr-same');
    expect(response.status).toBe(202);
    expect(await queued()).toEqual([
      expect.objectContaining({ type: 'github.plan', repository: 'Codertocat/Hello-World', head: opened.pull_request.head.sha }),
    ]);
  });

  it('ignores a pull request from a fork, or from a fork since deleted, without queueing a plan', async () => {
    const app = appFor(stack);
    const fork = await github(app, fromFork(), 'pr-fork');
    expect(fork.status).toBe(200);
    expect(await fork.json()).toEqual({ ignored: true, reason: expect.stringMatching(/fork/) });
    const deleted = fromFork();
    deleted.pull_request.head.repo = null;
    const gone = await github(app, deleted, 'pr-deleted-fork');
    expect(gone.status).toBe(200);
    expect(await gone.json()).toMatchObject({ ignored: true });
    expect(await queued()).toEqual([]);
  });

  it('plans pull requests from forks when PLAN_FORK_PULL_REQUESTS is on', async () => {
    const app = appFor(stack, { planForkPullRequests: true });
    expect((await github(app, fromFork(), 'pr-fork-on')).status).toBe(202);
    expect(await queued()).toEqual([expect.objectContaining({ type: 'github.plan', repository: 'Codertocat/Hello-World' })]);
  });

  it('ignores a merge request from another project unless forks are planned', async () => {
    const same = await gitlab(appFor(stack), mergeRequest(14), 'mr-same');
    expect(same.status).toBe(202);
    expect(await queued()).toEqual([expect.objectContaining({ type: 'gitlab.plan', projectId: 14 })]);

    const fork = await gitlab(appFor(stack), mergeRequest(77), 'mr-fork');
    expect(fork.status).toBe(200);
    expect(await fork.json()).toEqual({ ignored: true, reason: expect.stringMatching(/fork/) });
    expect(await queued()).toEqual([]);

    expect((await gitlab(appFor(stack, { planForkPullRequests: true }), mergeRequest(77), 'mr-fork-on')).status).toBe(202);
    expect(await queued()).toEqual([expect.objectContaining({ type: 'gitlab.plan', projectId: 14 })]);
  });

  it('reads PLAN_FORK_PULL_REQUESTS as a boolean, off unless set', () => {
    expect(parseEnv(IntakeEnvSchema, {}).PLAN_FORK_PULL_REQUESTS).toBe(false);
    expect(parseEnv(IntakeEnvSchema, { PLAN_FORK_PULL_REQUESTS: '' }).PLAN_FORK_PULL_REQUESTS).toBe(false);
    expect(parseEnv(IntakeEnvSchema, { PLAN_FORK_PULL_REQUESTS: 'true' }).PLAN_FORK_PULL_REQUESTS).toBe(true);
    expect(parseEnv(IntakeEnvSchema, { PLAN_FORK_PULL_REQUESTS: 'false' }).PLAN_FORK_PULL_REQUESTS).toBe(false);
    expect(() => parseEnv(IntakeEnvSchema, { PLAN_FORK_PULL_REQUESTS: 'maybe' })).toThrow(ConfigError);
  });
});

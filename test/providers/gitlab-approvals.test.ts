import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProviders, startFakeProviders } from '../../local/fake-providers/git';
import { type LocalProviders, startLocalProviders } from '../../local/fake-providers/index';
import type { MergedReviewApprovals } from '../../shared/providers/github';
import { gitlabMergedApprovals } from '../../shared/providers/gitlab';
import { ProviderApiError } from '../../shared/providers/http';
import { serveAnswers } from '../fakes/documented-answers';

const TOKENS = { githubToken: 'ghp_approvals', gitlabToken: 'glpat-approvals' };
const sha = (n: number) => n.toString(16).padStart(40, 'd');
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/gitlab/${name}`, import.meta.url), 'utf8'));

async function failure(promise: Promise<unknown>): Promise<ProviderApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderApiError);
  return error as ProviderApiError;
}

describe("gitlabMergedApprovals on GitLab's documented answers", () => {
  // "List merge requests associated with a commit" and the merge request's approvals, as documented.
  const COMMIT = 'af5b13261899fb2c0db30abdd0af8b07cb44fdc5';
  const serve = (mergeRequests: unknown) =>
    serveAnswers({
      [`/api/v4/projects/35/repository/commits/${COMMIT}/merge_requests`]: mergeRequests,
      '/api/v4/projects/35/merge_requests/1/approvals': fixture('merge-request-approvals.json'),
    });

  it('is undefined while the documented merge request is still open', async () => {
    const server = await serve(fixture('commit-merge-requests.json'));
    try {
      expect(await gitlabMergedApprovals({ apiUrl: `${server.url}/api/v4`, token: 'glpat-x' }, 35, COMMIT)).toBeUndefined();
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]!.headers['private-token']).toBe('glpat-x');
      expect(server.requests[0]!.query.get('per_page')).toBe('100');
    } finally {
      await server.close();
    }
  });

  it('reads the approvals once it is merged (fast-forward: the pushed commit is its head)', async () => {
    const [mr] = fixture('commit-merge-requests.json');
    const server = await serve([{ ...mr, state: 'merged' }]);
    try {
      const expected: MergedReviewApprovals = {
        number: 1,
        url: 'https://gitlab.example.com/root/test-project/merge_requests/1',
        approvers: ['root'],
        author: 'janedoe',
      };
      expect(await gitlabMergedApprovals({ apiUrl: `${server.url}/api/v4/`, token: 'glpat-x' }, 35, COMMIT)).toEqual(expected);
    } finally {
      await server.close();
    }
  });
});

describe('gitlabMergedApprovals against the fake GitLab', () => {
  let fake: FakeProviders;
  let n = 0;
  const settings = () => ({ apiUrl: `${fake.url}/gitlab`, token: TOKENS.gitlabToken });
  const next = () => sha(++n);
  beforeAll(async () => {
    fake = await startFakeProviders(TOKENS);
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('is undefined for a direct push, and for a commit only an open merge request carries', async () => {
    const direct = next();
    fake.commits.set(direct, { 'a.yaml': 'a: 1\n' });
    expect(await gitlabMergedApprovals(settings(), 11, direct)).toBeUndefined();
    const proposed = next();
    fake.addRequest({ provider: 'gitlab', repository: 'acme/direct', projectId: 11, number: 1, author: 'dev', commits: [proposed] });
    expect(await gitlabMergedApprovals(settings(), 11, proposed)).toBeUndefined();
  });

  it('lists who approved, without the author, by project id or path', async () => {
    const merge = next();
    const mr = fake.addRequest({
      provider: 'gitlab',
      repository: 'acme/platform/infra',
      projectId: 12,
      number: 4,
      author: 'Dev',
      commits: [next()],
      mergeCommit: merge,
    });
    mr.approvedBy.push('zoe', 'dev', 'adam');
    const expected = {
      number: 4,
      url: 'https://gitlab.example.com/acme/platform/infra/-/merge_requests/4',
      approvers: ['adam', 'zoe'],
      author: 'Dev',
    };
    expect(await gitlabMergedApprovals(settings(), 12, merge)).toEqual(expected);
    expect(await gitlabMergedApprovals(settings(), 'acme/platform/infra', merge)).toEqual(expected);
  });

  it('picks the merge request the pushed commit is the merge, squash or head commit of, else the first merged one', async () => {
    const shared = next();
    const head = next();
    fake.addRequest({
      provider: 'gitlab',
      repository: 'acme/pick',
      projectId: 13,
      number: 1,
      author: 'dev',
      commits: [shared],
      mergeCommit: next(),
    });
    fake.addRequest({
      provider: 'gitlab',
      repository: 'acme/pick',
      projectId: 13,
      number: 2,
      author: 'dev',
      commits: [shared, head],
      mergeCommit: head,
    });
    fake.addRequest({ provider: 'gitlab', repository: 'acme/pick', projectId: 13, number: 3, author: 'dev', commits: [shared] });
    expect((await gitlabMergedApprovals(settings(), 13, head))?.number).toBe(2);
    expect((await gitlabMergedApprovals(settings(), 13, shared))?.number).toBe(1);
  });

  it('fails with retryable and permanent ProviderApiErrors as the answers say', async () => {
    const merge = next();
    fake.addRequest({
      provider: 'gitlab',
      repository: 'acme/errors',
      projectId: 14,
      number: 1,
      author: 'dev',
      commits: [next()],
      mergeCommit: merge,
    });
    fake.failNext(1, 503);
    expect(await failure(gitlabMergedApprovals(settings(), 14, merge))).toMatchObject({ status: 503, retryable: true });
    // The approvals call failing, after the merge request was found.
    const failApprovals: typeof fetch = (input, init) => {
      if (String(input).endsWith('/approvals')) fake.failNext(1, 500);
      return fetch(input, init);
    };
    const approvals = await failure(gitlabMergedApprovals({ ...settings(), fetch: failApprovals }, 14, merge));
    expect(approvals).toMatchObject({ status: 500, retryable: true, message: 'GitLab approvals of 14!1: HTTP 500' });
    const denied = await failure(gitlabMergedApprovals({ ...settings(), token: 'glpat-wrong' }, 14, merge));
    expect(denied).toMatchObject({ status: 401, retryable: false });
    expect(denied.message).not.toContain('glpat-wrong');
    expect(await failure(gitlabMergedApprovals(settings(), 14, sha(999_999)))).toMatchObject({ status: 404, retryable: false });
  });

  it('refuses an approvals answer of another shape, naming the field', async () => {
    const fetch: typeof globalThis.fetch = async (input) => {
      const url = new URL(String(input));
      const body = url.pathname.endsWith('/merge_requests')
        ? [{ iid: 3, state: 'merged', merge_commit_sha: sha(1), author: { username: 'dev' } }]
        : { approved_by: [{ user: { username: 42 } }] };
      return new Response(JSON.stringify(body), { status: 200 });
    };
    const error = await failure(gitlabMergedApprovals({ apiUrl: 'https://gitlab.example.com/api/v4', fetch }, 1, sha(1)));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/approvals of 1!3: unexpected answer at \.approved_by\[0\]\.user\.username/);
  });
});

describe('gitlabMergedApprovals against the local stack fake (npm start -- --fake-providers)', () => {
  let local: LocalProviders;
  beforeAll(async () => {
    local = await startLocalProviders({ ...TOKENS, jiraEmail: 'bot@example.com', jiraToken: 'jira' });
    local.createRepository('gitlab', 'acme/infra', { 'provisioning/a.yaml': 'a: 1\n' }, { projectId: 42 });
  });
  afterAll(async () => {
    await local?.close();
  });

  it('serves what a merge request, its approvals and its merge make', async () => {
    const settings = { apiUrl: local.gitlabUrl, token: TOKENS.gitlabToken };
    const mr = local.pull('gitlab', 'acme/infra', { 'provisioning/b.yaml': 'b: 2\n' });
    local.review('gitlab', 'acme/infra', mr.number, 'alice', 'APPROVED');
    local.review('gitlab', 'acme/infra', mr.number, 'bob', 'APPROVED');
    // Any other state withdraws an approval, as unapprove does.
    local.review('gitlab', 'acme/infra', mr.number, 'bob', 'CHANGES_REQUESTED');
    const merge = local.merge('gitlab', 'acme/infra', mr.number);
    expect(await gitlabMergedApprovals(settings, 42, merge.after)).toEqual({
      number: mr.number,
      url: `https://gitlab.example.com/acme/infra/-/merge_requests/${mr.number}`,
      approvers: ['alice'],
      author: 'local-sender',
    });
    expect(await gitlabMergedApprovals(settings, 'acme/infra', merge.after)).toMatchObject({ approvers: ['alice'] });
    const direct = local.push('gitlab', 'acme/infra', { 'provisioning/c.yaml': 'c: 3\n' });
    expect(await gitlabMergedApprovals(settings, 42, direct.after)).toBeUndefined();
  });
});

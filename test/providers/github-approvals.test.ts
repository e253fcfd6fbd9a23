import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProviders, startFakeProviders } from '../../local/fake-providers/git';
import { type LocalProviders, startLocalProviders } from '../../local/fake-providers/index';
import { githubMergedApprovals, type MergedReviewApprovals } from '../../shared/providers/github';
import { ProviderApiError } from '../../shared/providers/http';
import { serveAnswers } from '../fakes/documented-answers';

const TOKENS = { githubToken: 'ghp_approvals', gitlabToken: 'glpat-approvals' };
const sha = (n: number) => n.toString(16).padStart(40, 'c');
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/github/${name}`, import.meta.url), 'utf8'));

async function failure(promise: Promise<unknown>): Promise<ProviderApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderApiError);
  return error as ProviderApiError;
}

describe("githubMergedApprovals on GitHub's documented answers", () => {
  // "List pull requests associated with a commit" and "List reviews for a pull request", as documented.
  const MERGE = 'e5bd3914e2e596debea16f433f57875b5b90bcd6';
  const serve = (reviews: unknown[]) =>
    serveAnswers({
      [`/repos/octocat/Hello-World/commits/${MERGE}/pulls`]: fixture('commit-pulls.json'),
      '/repos/octocat/Hello-World/pulls/1347/reviews': reviews,
    });

  it('reads the merged pull request and its reviews, and never counts the author', async () => {
    const server = await serve(fixture('pull-reviews.json'));
    try {
      // The documented review is octocat's approval of octocat's own pull request.
      const expected: MergedReviewApprovals = {
        number: 1347,
        url: 'https://github.com/octocat/Hello-World/pull/1347',
        approvers: [],
        author: 'octocat',
      };
      expect(await githubMergedApprovals({ apiUrl: server.url, token: 'ghp_x' }, 'octocat/Hello-World', MERGE)).toEqual(expected);
      const [pulls, reviews] = server.requests;
      expect(pulls!.query.get('per_page')).toBe('100');
      expect(reviews!.query.get('per_page')).toBe('100');
      expect(reviews!.query.get('page')).toBe('1');
      expect(pulls!.headers).toMatchObject({
        authorization: 'Bearer ghp_x',
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
      });
    } finally {
      await server.close();
    }
  });

  it("counts another user's documented approval", async () => {
    const [review] = fixture('pull-reviews.json');
    const server = await serve([{ ...review, user: { ...review.user, login: 'hubot' } }]);
    try {
      const found = await githubMergedApprovals({ apiUrl: `${server.url}/`, token: 'ghp_x' }, 'octocat/Hello-World', MERGE);
      expect(found?.approvers).toEqual(['hubot']);
    } finally {
      await server.close();
    }
  });
});

describe('githubMergedApprovals against the fake GitHub', () => {
  let fake: FakeProviders;
  let n = 0;
  const settings = () => ({ apiUrl: `${fake.url}/github`, token: TOKENS.githubToken });
  const next = () => sha(++n);
  beforeAll(async () => {
    fake = await startFakeProviders(TOKENS);
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('is undefined for a direct push, and for a commit only an open pull request carries', async () => {
    const direct = next();
    fake.commits.set(direct, { 'a.yaml': 'a: 1\n' });
    expect(await githubMergedApprovals(settings(), 'acme/direct', direct)).toBeUndefined();
    const proposed = next();
    fake.addRequest({ provider: 'github', repository: 'acme/direct', number: 1, author: 'dev', commits: [proposed] });
    expect(await githubMergedApprovals(settings(), 'acme/direct', proposed)).toBeUndefined();
  });

  it("counts each reviewer's standing after their last approval, change request or dismissal", async () => {
    const merge = next();
    const pull = fake.addRequest({
      provider: 'github',
      repository: 'acme/reviews',
      number: 7,
      author: 'dev',
      commits: [next()],
      mergeCommit: merge,
    });
    pull.reviews.push(
      { user: 'dev', state: 'APPROVED' }, // the author
      { user: 'alice', state: 'APPROVED' },
      { user: 'alice', state: 'COMMENTED' }, // a later comment keeps the approval
      { user: 'bob', state: 'APPROVED' },
      { user: 'bob', state: 'CHANGES_REQUESTED' },
      { user: 'carol', state: 'CHANGES_REQUESTED' },
      { user: 'carol', state: 'APPROVED' },
      { user: 'dave', state: 'DISMISSED' },
      { user: 'erin', state: 'COMMENTED' },
      { user: 'frank', state: 'PENDING' },
      { user: 'Grace', state: 'APPROVED' },
      { user: 'grace', state: 'DISMISSED' }, // logins are case-insensitive: the same reviewer
    );
    expect(await githubMergedApprovals(settings(), 'acme/reviews', merge)).toEqual({
      number: 7,
      url: 'https://github.com/acme/reviews/pull/7',
      approvers: ['alice', 'carol'],
      author: 'dev',
    });
  });

  it('picks the pull request whose merge commit is the pushed commit, else the first merged one', async () => {
    const shared = next();
    const mergeOf3 = next();
    fake.addRequest({ provider: 'github', repository: 'acme/pick', number: 2, author: 'dev', commits: [shared], mergeCommit: next() });
    fake.addRequest({ provider: 'github', repository: 'acme/pick', number: 3, author: 'dev', commits: [shared], mergeCommit: mergeOf3 });
    fake.addRequest({ provider: 'github', repository: 'acme/pick', number: 4, author: 'dev', commits: [shared] });
    fake.addRequest({ provider: 'github', repository: 'acme/other', number: 3, author: 'dev', commits: [mergeOf3] });
    expect((await githubMergedApprovals(settings(), 'acme/pick', mergeOf3))?.number).toBe(3);
    // A rebased commit is no pull request's merge commit.
    expect((await githubMergedApprovals(settings(), 'acme/pick', shared))?.number).toBe(2);
  });

  it('reads every page of reviews, and only asks the API it was given for them', async () => {
    const merge = next();
    const pull = fake.addRequest({
      provider: 'github',
      repository: 'acme/busy',
      number: 9,
      author: 'dev',
      commits: [next()],
      mergeCommit: merge,
    });
    pull.reviews.push({ user: 'early', state: 'APPROVED' });
    for (let i = 0; i < 240; i++) pull.reviews.push({ user: `commenter-${i}`, state: 'COMMENTED' });
    pull.reviews.push({ user: 'early', state: 'CHANGES_REQUESTED' }, { user: 'late', state: 'APPROVED' });
    const asked: string[] = [];
    const spy: typeof fetch = (input, init) => {
      asked.push(String(input));
      return fetch(input, init);
    };
    expect((await githubMergedApprovals({ ...settings(), fetch: spy }, 'acme/busy', merge))?.approvers).toEqual(['late']);
    expect(asked.filter((u) => u.includes('/reviews')).map((u) => new URL(u).searchParams.get('page'))).toEqual(['1', '2', '3']);
    expect(asked.every((u) => u.startsWith(`${fake.url}/github/repos/acme/busy/`))).toBe(true);
  });

  it('fails with retryable and permanent ProviderApiErrors as the answers say', async () => {
    const merge = next();
    fake.addRequest({ provider: 'github', repository: 'acme/errors', number: 1, author: 'dev', commits: [next()], mergeCommit: merge });
    fake.failNext(1, 502);
    expect(await failure(githubMergedApprovals(settings(), 'acme/errors', merge))).toMatchObject({ status: 502, retryable: true });
    const denied = await failure(githubMergedApprovals({ ...settings(), token: 'ghp_wrong' }, 'acme/errors', merge));
    expect(denied).toMatchObject({ status: 401, retryable: false });
    expect(denied.message).not.toContain('ghp_wrong');
    // GitHub answers 422 for a commit it does not have.
    expect(await failure(githubMergedApprovals(settings(), 'acme/errors', sha(999_999)))).toMatchObject({ status: 422, retryable: false });
  });
});

describe('githubMergedApprovals on answers of another shape', () => {
  const answering =
    (answer: (url: URL) => { body: unknown; link?: string }): typeof fetch =>
    async (input) => {
      const { body, link } = answer(new URL(String(input)));
      return new Response(JSON.stringify(body), { status: 200, headers: link ? { link } : {} });
    };
  const merged = [{ number: 5, merged_at: '2024-01-01T00:00:00Z', merge_commit_sha: sha(1), user: { login: 'dev' } }];

  it('names the field that does not match, and does not retry', async () => {
    const fetch = answering((url) => ({ body: url.pathname.endsWith('/pulls') ? [{ number: 'five' }] : [] }));
    const error = await failure(githubMergedApprovals({ apiUrl: 'https://api.example.com', fetch }, 'acme/x', sha(1)));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/unexpected answer at \[0\]\.number/);
    const reviews = answering((url) => ({ body: url.pathname.endsWith('/pulls') ? merged : [{ user: { login: 'a' } }] }));
    expect((await failure(githubMergedApprovals({ apiUrl: 'https://api.example.com', fetch: reviews }, 'acme/x', sha(1)))).message).toMatch(
      /\[0\]\.state/,
    );
  });

  it('stops at 30 pages of reviews rather than following a next link forever', async () => {
    let pages = 0;
    const endless = answering((url) => {
      if (url.pathname.endsWith('/pulls')) return { body: merged };
      pages++;
      return { body: [], link: '<https://elsewhere.example.com/reviews?page=2>; rel="next"' };
    });
    const error = await failure(githubMergedApprovals({ apiUrl: 'https://api.example.com', fetch: endless }, 'acme/x', sha(1)));
    expect(error.message).toMatch(/more than 3000 reviews/);
    expect(pages).toBe(30);
  });
});

describe('githubMergedApprovals against the local stack fake (npm start -- --fake-providers)', () => {
  let local: LocalProviders;
  beforeAll(async () => {
    local = await startLocalProviders({ ...TOKENS, jiraEmail: 'bot@example.com', jiraToken: 'jira' });
    local.createRepository('github', 'acme/infra', { 'provisioning/a.yaml': 'a: 1\n' });
  });
  afterAll(async () => {
    await local?.close();
  });

  it('serves what a pull request, its reviews and its merge make', async () => {
    const settings = { apiUrl: local.githubUrl, token: TOKENS.githubToken };
    const pull = local.pull('github', 'acme/infra', { 'provisioning/b.yaml': 'b: 2\n' });
    local.review('github', 'acme/infra', pull.number, 'alice', 'APPROVED');
    local.review('github', 'acme/infra', pull.number, 'bob', 'CHANGES_REQUESTED');
    expect(await githubMergedApprovals(settings, 'acme/infra', pull.head)).toBeUndefined();
    const merge = local.merge('github', 'acme/infra', pull.number);
    expect(merge.changed).toEqual(['provisioning/b.yaml']);
    expect(await githubMergedApprovals(settings, 'acme/infra', merge.after)).toEqual({
      number: pull.number,
      url: `https://github.com/acme/infra/pull/${pull.number}`,
      approvers: ['alice'],
      author: 'local-sender',
    });
    const direct = local.push('github', 'acme/infra', { 'provisioning/c.yaml': 'c: 3\n' });
    expect(await githubMergedApprovals(settings, 'acme/infra', direct.after)).toBeUndefined();
  });

  it('takes reviews and merges through its admin API', async () => {
    const pull = local.pull('github', 'acme/infra', { 'provisioning/d.yaml': 'd: 4\n' });
    const post = (path: string, body: unknown) =>
      fetch(`${local.url}/__fake/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const target = { provider: 'github', repository: 'acme/infra', number: pull.number };
    expect((await post('review', { ...target, user: 'carol', state: 'APPROVED' })).status).toBe(201);
    expect((await post('review', { ...target, user: 'carol', state: 'LGTM' })).status).toBe(400);
    const merged = await post('merge', target);
    expect(merged.status).toBe(201);
    const { after } = (await merged.json()) as { after: string };
    const found = await githubMergedApprovals({ apiUrl: local.githubUrl, token: TOKENS.githubToken }, 'acme/infra', after);
    expect(found?.approvers).toEqual(['carol']);
    expect((await post('merge', target)).status).toBe(400);
  });
});

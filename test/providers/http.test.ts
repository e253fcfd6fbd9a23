import { describe, expect, it } from 'vitest';
import { ProviderApiError, providerFetch } from '../../shared/providers/http';
import { githubApi } from '../../shared/providers/github';
import { gitlabApi } from '../../shared/providers/gitlab';
import { jiraApi } from '../../shared/providers/jira';

const answering =
  (status: number, body = '', headers: Record<string, string> = {}): typeof fetch =>
  async () =>
    new Response(status === 204 ? null : body, { status, headers });
const failure = async (promise: Promise<unknown>): Promise<ProviderApiError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderApiError);
  return error as ProviderApiError;
};
const request = { url: 'https://api.example.com/x', headers: {}, what: 'the call' };

describe('providerFetch', () => {
  it('returns a successful answer unread', async () => {
    const response = await providerFetch({ fetch: answering(200, '{"a":1}'), timeoutMs: 1_000 }, request);
    expect(await response.json()).toEqual({ a: 1 });
  });

  it.each([
    [408, true],
    [425, true],
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [422, false],
  ])('HTTP %i is a ProviderApiError, retryable: %s', async (status, retryable) => {
    const error = await failure(providerFetch({ fetch: answering(status, 'secret-ish body'), timeoutMs: 1_000 }, request));
    expect(error).toMatchObject({ code: 'PROVIDER_API_ERROR', status, retryable, message: `the call: HTTP ${status}` });
  });

  it("counts GitHub's exhausted rate limit (403, no requests remaining) as retryable", async () => {
    const error = await failure(providerFetch({ fetch: answering(403, '', { 'x-ratelimit-remaining': '0' }), timeoutMs: 1_000 }, request));
    expect(error.retryable).toBe(true);
  });

  it('turns an unreachable provider and a timeout into retryable errors without a status', async () => {
    const unreachable = await failure(
      providerFetch({ fetch: async () => Promise.reject(new TypeError('fetch failed')), timeoutMs: 1_000 }, request),
    );
    expect(unreachable).toMatchObject({ status: undefined, retryable: true, message: 'the call: network error' });
    const slow: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    const timedOut = await failure(providerFetch({ fetch: slow, timeoutMs: 10 }, request));
    expect(timedOut).toMatchObject({ status: undefined, retryable: true, message: 'the call: timed out' });
  });

  it('accepts an error answer the caller names as success, body still readable', async () => {
    const response = await providerFetch(
      { fetch: answering(400, 'Cannot transition status'), timeoutMs: 1_000 },
      { ...request, acceptError: (status, text) => status === 400 && text.includes('transition') },
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('Cannot transition status');
  });
});

describe('provider base URLs and headers', () => {
  it('GitHub: encodes each part of the repository and sends a token only when there is one', () => {
    const api = githubApi({ apiUrl: 'https://api.github.com/', token: 't0k' });
    expect(api.repo('a b/c?d')).toBe('https://api.github.com/repos/a%20b/c%3Fd');
    expect(api.headers()).toMatchObject({
      accept: 'application/vnd.github+json',
      authorization: 'Bearer t0k',
      'x-github-api-version': '2022-11-28',
    });
    expect(api.headers(undefined, true)['content-type']).toBe('application/json');
    expect(githubApi({ apiUrl: 'https://api.github.com' }).headers()).not.toHaveProperty('authorization');
  });

  it('GitLab: a project path is one encoded segment', () => {
    const api = gitlabApi({ apiUrl: 'https://gitlab.example.com/api/v4/', token: 't0k' });
    expect(api.project('group/project')).toBe('https://gitlab.example.com/api/v4/projects/group%2Fproject');
    expect(api.headers()).toEqual({ 'user-agent': 'hwc-provisioner', 'private-token': 't0k' });
  });

  it('Jira: basic auth from email and API token', () => {
    const api = jiraApi({ baseUrl: 'https://x.atlassian.net/', email: 'a@b.c', apiToken: 'tok' });
    expect(api.issue('OPS-1')).toBe('https://x.atlassian.net/rest/api/3/issue/OPS-1');
    expect(api.headers().authorization).toBe(`Basic ${Buffer.from('a@b.c:tok').toString('base64')}`);
  });
});

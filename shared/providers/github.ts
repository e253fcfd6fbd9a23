/** GitHub REST: the base URL and headers every call uses, for intake's reader and the notifier alike, and approval reads. */
import * as z from 'zod';
import { builtOnFirstUse } from '../lazy';
import { ProviderApiError, providerFetch, trimBase } from './http';

export const GITHUB_JSON = 'application/vnd.github+json';
export const GITHUB_RAW = 'application/vnd.github.raw+json';

export function githubApi(opts: { apiUrl: string; token?: string | undefined }) {
  const base = trimBase(opts.apiUrl);
  return {
    /** `owner/name`, each part encoded: a name is never allowed to add path segments or a query. */
    repo: (repository: string) => `${base}/repos/${repository.split('/').map(encodeURIComponent).join('/')}`,
    headers: (accept: string = GITHUB_JSON, json = false): Record<string, string> => ({
      accept,
      ...(json ? { 'content-type': 'application/json' } : {}),
      'x-github-api-version': '2022-11-28',
      'user-agent': 'hwc-provisioner',
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    }),
  };
}

/** The pull or merge request that brought a commit onto its branch, and who approved it (never its author). */
export interface MergedReviewApprovals {
  number: number;
  url?: string;
  /** Sorted logins (GitHub) or usernames (GitLab). */
  approvers: string[];
  author?: string;
}

/** How approval reads reach a provider: its API base URL and token, as the manifest readers take them. */
export interface ApprovalReadSettings {
  apiUrl: string;
  token?: string | undefined;
  fetch?: typeof fetch;
  /** Per call; a slower provider is an outage the caller retries. Defaults to intake's 10 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The transport providerFetch takes, from approval read settings. */
export const transportOf = (settings: ApprovalReadSettings) => ({
  timeoutMs: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  ...(settings.fetch ? { fetch: settings.fetch } : {}),
});

/**
 * A provider's answer read against the fields we use. An answer of another shape is a provider (or proxy) fault
 * that retrying will not fix: it fails with the path that did not match, never with the body.
 */
export async function answerOf<T>(response: Response, schema: z.ZodType<T>, what: string): Promise<T> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ProviderApiError(`${what}: the answer is not JSON`, response.status, false);
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
  throw new ProviderApiError(`${what}: unexpected answer at ${path || '(top)'}: ${issue.message}`, response.status, false);
}

/** Built on first use: only the reviewed-merge check reads these answers, and most invocations make none. */
const answers = builtOnFirstUse(() => {
  /** Logins are at most 39 characters; apps review as `name[bot]`, longer. */
  const LoginSchema = z.looseObject({ login: z.string().min(1).max(100) });

  const CommitPullsSchema = z.array(
    z.looseObject({
      number: z.number().int().positive(),
      html_url: z.string().max(2048).optional(),
      merged_at: z.string().nullish(),
      merge_commit_sha: z.string().nullish(),
      user: LoginSchema.nullish(),
    }),
  );

  const ReviewsSchema = z.array(
    z.looseObject({
      // A deleted account reviews as null (GitHub shows it as "ghost"): it approves nothing.
      user: LoginSchema.nullish(),
      state: z.string().max(64),
    }),
  );
  return { CommitPullsSchema, ReviewsSchema };
});

/** 30 pages of 100: far past any real pull request, and a bound on what one answer can make us fetch. */
const MAX_REVIEW_PAGES = 30;

/**
 * The reviews that decide a reviewer's standing. A comment after an approval does not withdraw it, as GitHub
 * counts them for required reviews; a later change request or a dismissal does.
 */
const DECISIVE = new Set(['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED']);

/**
 * The pull request that merged `commit` into `repository` (owner/name) and who approved it, or undefined when no
 * merged pull request brought the commit (a direct push). Needs a token that can read pull requests.
 */
export async function githubMergedApprovals(
  settings: ApprovalReadSettings,
  repository: string,
  commit: string,
): Promise<MergedReviewApprovals | undefined> {
  const api = githubApi(settings);
  const transport = transportOf(settings);
  const base = api.repo(repository);
  const headers = api.headers(GITHUB_JSON);
  const what = `GitHub pull requests of ${repository}@${commit.slice(0, 7)}`;
  const response = await providerFetch(transport, {
    url: `${base}/commits/${encodeURIComponent(commit)}/pulls?per_page=100`,
    headers,
    what,
  });
  const merged = (await answerOf(response, answers().CommitPullsSchema, what)).filter((pull) => pull.merged_at);
  // A merge or squash commit is its pull request's merge_commit_sha; a rebased commit is not, and is still the first merged.
  const pull = merged.find((p) => p.merge_commit_sha === commit) ?? merged[0];
  if (!pull) return undefined;

  const author = pull.user?.login;
  const standing = new Map<string, { login: string; state: string }>();
  const reviewsWhat = `GitHub reviews of ${repository}#${pull.number}`;
  for (let page = 1; ; page++) {
    if (page > MAX_REVIEW_PAGES) throw new ProviderApiError(`${reviewsWhat}: more than ${MAX_REVIEW_PAGES * 100} reviews`, 200, false);
    const url = `${base}/pulls/${pull.number}/reviews?per_page=100&page=${page}`;
    const answer = await providerFetch(transport, { url, headers, what: reviewsWhat });
    // Reviews come oldest first, so a later one replaces an earlier one by the same reviewer. Logins are case-insensitive.
    for (const review of await answerOf(answer, answers().ReviewsSchema, reviewsWhat)) {
      if (review.user && DECISIVE.has(review.state))
        standing.set(review.user.login.toLowerCase(), { login: review.user.login, state: review.state });
    }
    // Only the rel="next" link's presence is used: following its URL would send our token wherever the answer points.
    if (!/\brel="next"/.test(answer.headers.get('link') ?? '')) break;
  }
  const approvers = [...standing.values()]
    .filter((r) => r.state === 'APPROVED' && r.login.toLowerCase() !== author?.toLowerCase())
    .map((r) => r.login)
    .sort();
  return { number: pull.number, ...(pull.html_url ? { url: pull.html_url } : {}), approvers, ...(author ? { author } : {}) };
}

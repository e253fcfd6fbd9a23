/** GitHub: push events in, manifests read at the pushed commit through the REST API. */
import * as z from 'zod';
import { answerOf, GITHUB_JSON, GITHUB_RAW, githubApi } from '../providers/github';
import { ProviderApiError, providerFetch } from '../providers/http';
import { treeChanges, INTAKE_TIMEOUT_MS, ZERO_SHA, type GitReader, type TreeEntry } from './git';
import { CommitIdSchema, GithubRepositorySchema } from '../providers/names';
import type { SourceFile } from './submit';

/** Only the fields intake uses; the rest of GitHub's payload passes through untouched. */
export const GithubPushSchema = z.looseObject({
  ref: z.string().max(1024),
  before: CommitIdSchema,
  after: CommitIdSchema,
  deleted: z.boolean().optional(),
  /** The id, not the name, keys the push: a renamed or transferred repository keeps it. */
  repository: z.looseObject({
    id: z.number().int().positive(),
    full_name: GithubRepositorySchema,
    default_branch: z.string().optional(),
    /** The repository's web page: its commits are linked from the request's page. */
    html_url: z.string().optional(),
  }),
  pusher: z.looseObject({ name: z.string().optional() }).optional(),
  /** Who pushed, by login: the requester an approval must come from someone other than. */
  sender: z.looseObject({ login: z.string().max(100).optional() }).optional(),
});

/** What the webhook sends to the intake queue for a push: small, whatever the push's size. */
export interface GitPushJob {
  repository: string;
  branch: string;
  before: string;
  after: string;
}

export type PushDecision = { action: 'ignore'; reason: string } | { action: 'accept'; job: GitPushJob };

/** Tag pushes, deletions and untracked branches make no request. */
export function decidePush(
  ref: string,
  before: string,
  after: string,
  repository: string,
  defaultBranch: string | undefined,
  tracked: readonly string[],
): PushDecision {
  if (!ref.startsWith('refs/heads/')) return { action: 'ignore', reason: `${ref} is not a branch` };
  const branch = ref.slice('refs/heads/'.length);
  if (ZERO_SHA.test(after)) return { action: 'ignore', reason: `branch ${branch} was deleted` };
  const branches = tracked.length > 0 ? tracked : defaultBranch ? [defaultBranch] : [];
  if (!branches.includes(branch))
    return { action: 'ignore', reason: `branch ${branch} is not tracked (tracked: ${branches.join(', ') || 'none'})` };
  return { action: 'accept', job: { repository, branch, before, after } };
}

export function githubReader(opts: { apiUrl: string; token?: string; repository: string; fetch?: typeof fetch }): GitReader {
  const api = githubApi(opts);
  const base = api.repo(opts.repository);
  const transport = { timeoutMs: INTAKE_TIMEOUT_MS, ...(opts.fetch ? { fetch: opts.fetch } : {}) };
  return {
    async listTree(commit) {
      const response = await providerFetch(transport, {
        url: `${base}/git/trees/${encodeURIComponent(commit)}?recursive=1`,
        headers: api.headers(GITHUB_JSON),
        what: `GitHub tree of ${commit}`,
      });
      const body = (await response.json()) as { truncated?: boolean; tree?: { path: string; type: string; sha: string }[] };
      // A truncated tree would silently drop manifests; failing loudly is the honest answer.
      if (body.truncated) throw new ProviderApiError(`GitHub tree of ${commit} is truncated (over 100,000 entries)`, 200, false);
      return (body.tree ?? []).filter((e) => e.type === 'blob').map((e): TreeEntry => ({ path: e.path, id: e.sha }));
    },
    async readBlob(entry) {
      const response = await providerFetch(transport, {
        url: `${base}/git/blobs/${encodeURIComponent(entry.id)}`,
        headers: api.headers(GITHUB_RAW),
        what: `GitHub file ${entry.path}`,
      });
      return response.text();
    },
  };
}

export function fetchGithubManifests(
  job: GitPushJob,
  opts: { apiUrl: string; token?: string; globs: readonly string[]; fetch?: typeof fetch },
): Promise<{ changed: SourceFile[]; removed: SourceFile[] }> {
  return treeChanges(githubReader({ ...opts, repository: job.repository }), job.before, job.after, opts.globs);
}

/** How the resync reaches a provider: base URL, token, and a transport for tests. */
export interface ProviderApiSettings {
  apiUrl: string;
  token?: string | undefined;
  fetch?: typeof fetch;
}

const GithubBranchSchema = z.looseObject({ commit: z.looseObject({ sha: CommitIdSchema }) });
const GithubRepositoryInfoSchema = z.looseObject({ id: z.number().int().positive(), default_branch: z.string().min(1).max(1024) });
const GithubCompareSchema = z.looseObject({ commits: z.array(z.looseObject({ sha: CommitIdSchema })) });

/** Pages of 100 commits: 5 reach MAX_COVERED_COMMITS (shared/store/branches.ts). */
const COMPARE_PAGES = 5;

function githubCalls(settings: ProviderApiSettings, repository: string) {
  const api = githubApi(settings);
  const transport = { timeoutMs: INTAKE_TIMEOUT_MS, ...(settings.fetch ? { fetch: settings.fetch } : {}) };
  const get = async <T>(path: string, schema: z.ZodType<T>, what: string): Promise<T> =>
    answerOf(
      await providerFetch(transport, { url: `${api.repo(repository)}${path}`, headers: api.headers(GITHUB_JSON), what }),
      schema,
      what,
    );
  return { get };
}

/** The commit a branch points at: `GET /repos/{owner}/{repo}/branches/{branch}` -> commit.sha. */
export async function githubBranchHead(settings: ProviderApiSettings, repository: string, branch: string): Promise<string> {
  const answer = await githubCalls(settings, repository).get(
    `/branches/${encodeURIComponent(branch)}`,
    GithubBranchSchema,
    `GitHub branch ${repository}@${branch}`,
  );
  return answer.commit.sha;
}

/** The repository's id (part of a push's request id) and default branch: `GET /repos/{owner}/{repo}`. */
export async function githubRepositoryInfo(
  settings: ProviderApiSettings,
  repository: string,
): Promise<{ id: number; defaultBranch: string }> {
  const answer = await githubCalls(settings, repository).get('', GithubRepositoryInfoSchema, `GitHub repository ${repository}`);
  return { id: answer.id, defaultBranch: answer.default_branch };
}

/** The commits in `head` that `base` lacks, oldest first, at most 500: `GET /repos/{owner}/{repo}/compare/{base}...{head}`. */
export async function githubCompare(settings: ProviderApiSettings, repository: string, base: string, head: string): Promise<string[]> {
  const calls = githubCalls(settings, repository);
  const commits: string[] = [];
  for (let page = 1; page <= COMPARE_PAGES; page++) {
    const answer = await calls.get(
      `/compare/${encodeURIComponent(base)}...${encodeURIComponent(head)}?per_page=100&page=${page}`,
      GithubCompareSchema,
      `GitHub comparison ${repository}@${base.slice(0, 7)}...${head.slice(0, 7)}`,
    );
    commits.push(...answer.commits.map((c) => c.sha));
    if (answer.commits.length < 100) break;
  }
  return commits;
}

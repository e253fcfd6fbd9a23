/** GitHub: push events in, manifests read at the pushed commit through the REST API. */
import * as z from 'zod';
import { builtOnFirstUse } from '../lazy';
import { answerOf, GITHUB_JSON, GITHUB_RAW, githubApi } from '../providers/github';
import { ProviderApiError, providerFetch } from '../providers/http';
import { treeChanges, INTAKE_TIMEOUT_MS, type GitReader, type TreeEntry } from './git';
import type { GitPushJob } from './push-events';
import { CommitIdSchema } from '../providers/names';
import type { SourceFile } from './submit';

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

/** Built on first use: only a push job reads the repository, and most intake messages are not one. */
const answers = builtOnFirstUse(() => {
  const GithubBranchSchema = z.looseObject({ commit: z.looseObject({ sha: CommitIdSchema }) });
  const GithubRepositoryInfoSchema = z.looseObject({ id: z.number().int().positive(), default_branch: z.string().min(1).max(1024) });
  const GithubCompareSchema = z.looseObject({ commits: z.array(z.looseObject({ sha: CommitIdSchema })) });
  return { GithubBranchSchema, GithubRepositoryInfoSchema, GithubCompareSchema };
});

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
    answers().GithubBranchSchema,
    `GitHub branch ${repository}@${branch}`,
  );
  return answer.commit.sha;
}

/** The repository's id (part of a push's request id) and default branch: `GET /repos/{owner}/{repo}`. */
export async function githubRepositoryInfo(
  settings: ProviderApiSettings,
  repository: string,
): Promise<{ id: number; defaultBranch: string }> {
  const answer = await githubCalls(settings, repository).get('', answers().GithubRepositoryInfoSchema, `GitHub repository ${repository}`);
  return { id: answer.id, defaultBranch: answer.default_branch };
}

/** The commits in `head` that `base` lacks, oldest first, at most 500: `GET /repos/{owner}/{repo}/compare/{base}...{head}`. */
export async function githubCompare(settings: ProviderApiSettings, repository: string, base: string, head: string): Promise<string[]> {
  const calls = githubCalls(settings, repository);
  const commits: string[] = [];
  for (let page = 1; page <= COMPARE_PAGES; page++) {
    const answer = await calls.get(
      `/compare/${encodeURIComponent(base)}...${encodeURIComponent(head)}?per_page=100&page=${page}`,
      answers().GithubCompareSchema,
      `GitHub comparison ${repository}@${base.slice(0, 7)}...${head.slice(0, 7)}`,
    );
    commits.push(...answer.commits.map((c) => c.sha));
    if (answer.commits.length < 100) break;
  }
  return commits;
}

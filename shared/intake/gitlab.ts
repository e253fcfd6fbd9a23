/** GitLab: Push Hook events in, manifests read at the pushed commit through the REST API (v4). */
import * as z from 'zod';
import { builtOnFirstUse } from '../lazy';
import { gitlabApi } from '../providers/gitlab';
import { answerOf } from '../providers/github';
import { ProviderApiError, providerFetch } from '../providers/http';
import { MAX_COVERED_COMMITS } from '../store/branches';
import { treeChanges, INTAKE_TIMEOUT_MS, type GitReader, type TreeEntry } from './git';
import type { ProviderApiSettings } from './github';
import type { GitPushJob } from './push-events';
import { CommitIdSchema } from '../providers/names';
import type { SourceFile } from './submit';

export interface GitlabPushJob extends GitPushJob {
  projectId: number;
}

export function gitlabReader(opts: { apiUrl: string; token?: string; projectId: number; fetch?: typeof fetch }): GitReader {
  const api = gitlabApi(opts);
  const base = `${api.project(opts.projectId)}/repository`;
  const headers = api.headers();
  const transport = { timeoutMs: INTAKE_TIMEOUT_MS, ...(opts.fetch ? { fetch: opts.fetch } : {}) };
  return {
    async listTree(commit) {
      const entries: TreeEntry[] = [];
      // Pages of 100 until X-Next-Page is empty: the tree endpoint has no recursive single-shot form.
      for (let page = '1'; page; ) {
        const url = `${base}/tree?recursive=true&per_page=100&page=${page}&ref=${encodeURIComponent(commit)}`;
        const response = await providerFetch(transport, { url, headers, what: `GitLab tree of ${commit}` });
        const items = (await response.json()) as { id: string; path: string; type: string }[];
        for (const item of items) if (item.type === 'blob') entries.push({ path: item.path, id: item.id });
        page = response.headers.get('x-next-page') ?? '';
      }
      return entries;
    },
    async readBlob(entry) {
      const response = await providerFetch(transport, {
        url: `${base}/blobs/${encodeURIComponent(entry.id)}/raw`,
        headers,
        what: `GitLab file ${entry.path}`,
      });
      return response.text();
    },
  };
}

export function fetchGitlabManifests(
  job: GitlabPushJob,
  opts: { apiUrl: string; token?: string; globs: readonly string[]; fetch?: typeof fetch },
): Promise<{ changed: SourceFile[]; removed: SourceFile[] }> {
  return treeChanges(gitlabReader({ ...opts, projectId: job.projectId }), job.before, job.after, opts.globs);
}

/** Built on first use: only a push job reads the project, and most intake messages are not one. */
const answers = builtOnFirstUse(() => {
  const GitlabBranchSchema = z.looseObject({ commit: z.looseObject({ id: CommitIdSchema }) });
  const GitlabProjectInfoSchema = z.looseObject({ id: z.number().int().positive(), default_branch: z.string().min(1).max(1024).nullish() });
  const GitlabCompareSchema = z.looseObject({ commits: z.array(z.looseObject({ id: CommitIdSchema })) });
  return { GitlabBranchSchema, GitlabProjectInfoSchema, GitlabCompareSchema };
});

function gitlabGet(settings: ProviderApiSettings, project: string | number) {
  const api = gitlabApi(settings);
  const transport = { timeoutMs: INTAKE_TIMEOUT_MS, ...(settings.fetch ? { fetch: settings.fetch } : {}) };
  return async <T>(path: string, schema: z.ZodType<T>, what: string): Promise<T> =>
    answerOf(await providerFetch(transport, { url: `${api.project(project)}${path}`, headers: api.headers(), what }), schema, what);
}

/** The commit a branch points at: `GET /projects/:id/repository/branches/:branch` -> commit.id. */
export async function gitlabBranchHead(settings: ProviderApiSettings, project: string | number, branch: string): Promise<string> {
  const what = `GitLab branch ${project}@${branch}`;
  return (await gitlabGet(settings, project)(`/repository/branches/${encodeURIComponent(branch)}`, answers().GitlabBranchSchema, what))
    .commit.id;
}

/** The project's id (part of a push's request id) and default branch, by id or group/project path: `GET /projects/:id`. */
export async function gitlabProjectInfo(
  settings: ProviderApiSettings,
  project: string | number,
): Promise<{ id: number; defaultBranch: string }> {
  const answer = await gitlabGet(settings, project)('', answers().GitlabProjectInfoSchema, `GitLab project ${project}`);
  // An empty project has no default branch; there is nothing to reconcile in it.
  if (!answer.default_branch) throw new ProviderApiError(`GitLab project ${project} has no default branch (empty repository)`, 200, false);
  return { id: answer.id, defaultBranch: answer.default_branch };
}

/**
 * The commits in `to` that `from` lacks, oldest first, the newest 500 kept:
 * `GET /projects/:id/repository/compare?from=&to=` (GitLab answers with them all in one response).
 */
export async function gitlabCompare(settings: ProviderApiSettings, project: string | number, from: string, to: string): Promise<string[]> {
  const what = `GitLab comparison ${project}@${from.slice(0, 8)}...${to.slice(0, 8)}`;
  const query = `?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&straight=false`;
  const answer = await gitlabGet(settings, project)(`/repository/compare${query}`, answers().GitlabCompareSchema, what);
  return answer.commits.map((c) => c.id).slice(-MAX_COVERED_COMMITS);
}

/** GitLab: Push Hook events in, manifests read at the pushed commit through the REST API (v4). */
import * as z from 'zod';
import { gitlabApi } from '../providers/gitlab';
import { providerFetch } from '../providers/http';
import { treeChanges, INTAKE_TIMEOUT_MS, type GitReader, type TreeEntry } from './git';
import type { GitPushJob } from './github';
import { CommitIdSchema, GitlabProjectPathSchema } from '../providers/names';
import type { SourceFile } from './submit';

export const GitlabPushSchema = z.looseObject({
  object_kind: z.literal('push'),
  ref: z.string().max(1024),
  before: CommitIdSchema,
  after: CommitIdSchema,
  project_id: z.number().int().positive(),
  project: z.looseObject({
    path_with_namespace: GitlabProjectPathSchema,
    default_branch: z.string().optional(),
    web_url: z.string().optional(),
  }),
  /** Who pushed: the requester an approval must come from someone other than. */
  user_username: z.string().max(255).optional(),
});

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

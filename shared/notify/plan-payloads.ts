/**
 * The pull and merge request webhook payloads that start a plan. Apart from plan.ts so the webhook
 * function checks them without loading the plan machinery (dispatcher, store, manifests).
 */
import * as z from 'zod';
import { CommitIdSchema, GithubRepositorySchema, GitlabProjectPathSchema } from '../providers/names';

/** Pull request actions that change what merging would do. */
export const PLAN_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);

const GithubRepoSchema = z.looseObject({ id: z.number().int().optional(), full_name: GithubRepositorySchema });

export const GithubPullRequestSchema = z.looseObject({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.looseObject({
    html_url: z.string().optional(),
    updated_at: z.string(),
    base: z.looseObject({ ref: z.string(), sha: CommitIdSchema, repo: GithubRepoSchema.optional() }),
    /** `repo` is null once the fork the pull request came from is deleted. */
    head: z.looseObject({ ref: z.string().optional(), sha: CommitIdSchema, repo: GithubRepoSchema.nullish() }),
  }),
  repository: z.looseObject({ id: z.number().int().optional(), full_name: GithubRepositorySchema, default_branch: z.string().optional() }),
});
export type GithubPullRequest = z.infer<typeof GithubPullRequestSchema>;

/**
 * Whether the pull request's head is in another repository (a fork, or a fork since deleted). GitHub always
 * sends `head.repo`, so a payload without it is treated as a fork: planning reads files with our token.
 * Ids survive renames, names are the fallback (case-insensitive, as GitHub treats them).
 */
export function isForkPullRequest(payload: GithubPullRequest): boolean {
  const { head, base } = payload.pull_request;
  if (!head.repo) return true;
  const target = base.repo ?? payload.repository;
  if (head.repo.id !== undefined && target.id !== undefined) return head.repo.id !== target.id;
  return head.repo.full_name.toLowerCase() !== target.full_name.toLowerCase();
}

/** Merge Request Hook: `update` counts only when it carries new commits (`oldrev`), not for title or label edits. */
export const GitlabMergeRequestSchema = z.looseObject({
  object_kind: z.literal('merge_request'),
  project: z.looseObject({
    id: z.number().int().positive(),
    path_with_namespace: GitlabProjectPathSchema,
    default_branch: z.string().optional(),
  }),
  object_attributes: z.looseObject({
    iid: z.number().int().positive(),
    action: z.string().optional(),
    source_project_id: z.number().int().nullish(),
    target_project_id: z.number().int().nullish(),
    oldrev: z.string().optional(),
    target_branch: z.string(),
    updated_at: z.string(),
    url: z.string().optional(),
    last_commit: z.looseObject({ id: CommitIdSchema }),
    diff_refs: z.looseObject({ base_sha: CommitIdSchema.nullish(), head_sha: CommitIdSchema.nullish() }).nullish(),
  }),
});
export type GitlabMergeRequest = z.infer<typeof GitlabMergeRequestSchema>;

/** Whether the merge request's source branch lives in another project (GitLab always says which; silence counts as a fork). */
export function isForkMergeRequest(payload: GitlabMergeRequest): boolean {
  const { source_project_id: source, target_project_id: target } = payload.object_attributes;
  if (source === undefined || source === null) return true;
  return source !== (target ?? payload.project.id);
}

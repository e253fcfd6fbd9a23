/**
 * The pull and merge request webhook payloads that start a plan. Apart from plan.ts so the webhook
 * function checks them without loading the plan machinery (dispatcher, store, manifests).
 */
import * as z from 'zod';

/** Pull request actions that change what merging would do. */
export const PLAN_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);

export const GithubPullRequestSchema = z.looseObject({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.looseObject({
    html_url: z.string().optional(),
    updated_at: z.string(),
    base: z.looseObject({ ref: z.string(), sha: z.string() }),
    head: z.looseObject({ ref: z.string().optional(), sha: z.string() }),
  }),
  repository: z.looseObject({ full_name: z.string(), default_branch: z.string().optional() }),
});

/** Merge Request Hook: `update` counts only when it carries new commits (`oldrev`), not for title or label edits. */
export const GitlabMergeRequestSchema = z.looseObject({
  object_kind: z.literal('merge_request'),
  project: z.looseObject({ id: z.number().int(), path_with_namespace: z.string(), default_branch: z.string().optional() }),
  object_attributes: z.looseObject({
    iid: z.number().int().positive(),
    action: z.string().optional(),
    oldrev: z.string().optional(),
    target_branch: z.string(),
    updated_at: z.string(),
    url: z.string().optional(),
    last_commit: z.looseObject({ id: z.string() }),
    diff_refs: z.looseObject({ base_sha: z.string().nullish(), head_sha: z.string().nullish() }).nullish(),
  }),
});

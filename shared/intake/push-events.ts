/**
 * Push events as the providers deliver them, and whether one makes a request: all the webhook needs of a push. The
 * repository readers (shared/intake/github.ts, gitlab.ts) are intake's, loaded where a push is read.
 */
import * as z from 'zod';
import { builtOnFirstUse } from '../lazy';
import { CommitIdSchema, GithubRepositorySchema, GitlabProjectPathSchema } from '../providers/names';

/** A commit id of zeros: the branch was created (before) or deleted (after). */
export const ZERO_SHA = /^0+$/;

/**
 * Only the fields intake uses; the rest of GitHub's payload passes through untouched. Built on first use, as is
 * GitLab's: intake loads this module for decidePush and ZERO_SHA and never parses a delivery.
 */
export const githubPushSchema = builtOnFirstUse(() =>
  z.looseObject({
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
  }),
);

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

export const gitlabPushSchema = builtOnFirstUse(() =>
  z.looseObject({
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
  }),
);

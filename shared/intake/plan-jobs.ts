/**
 * Plan jobs for pull and merge requests: the changed manifests at the head commit, checked as a submission
 * and judged by the reconciler's dry run, and the manifests the pull request removes, judged as the push its
 * merge makes would be; told in ONE comment edited in place and a commit status on the head. Nothing is
 * created, changed or removed here.
 */
import type { GithubFeedback } from '../notify/github';
import type { GitlabFeedback } from '../notify/gitlab';
import { PLAN_CONTEXT, PLAN_MARKER, planMarkdown, planSummary, type PlanEntry } from '../notify/render';
import { advance, upsertComment } from '../notify/state';
import { planSubmission, type PlacementDefaults, type SourceFile } from '../manifests/submission';
import { planRemovals, planSubmitted, viewerOwner, type PlanLookups, type PlanViewer } from '../reconcile/plan';
import { treeChanges, type GitReader } from './git';
import { pruneEnabled, removalsOfPush, type PruneSettings } from './removal';

export interface PlanServices extends PlanLookups {
  defaults: PlacementDefaults;
  /** Intake's PRUNE settings: a removed manifest is planned as deleted only where the merge's push would delete it. */
  prune?: PruneSettings;
  github?: GithubFeedback;
  gitlab?: GitlabFeedback;
  logger?: { warn(message: string, extra?: Record<string, unknown>): void; info(message: string, extra?: Record<string, unknown>): void };
}

/** Verdict per document of the changed files, in file order. */
export function planFiles(
  services: PlanLookups & { defaults: PlacementDefaults },
  files: readonly SourceFile[],
  viewer: PlanViewer,
): Promise<PlanEntry[]> {
  return planSubmitted(services, planSubmission(files, services.defaults), viewer);
}

async function computeAndRender(
  services: PlanServices,
  reader: GitReader,
  viewer: PlanViewer & { provider: 'github' | 'gitlab' },
  base: string,
  head: string,
  globs: readonly string[],
  baseRef: string,
) {
  const { changed, removed } = await treeChanges(reader, base, head, globs);
  const submission = planSubmission(changed, services.defaults);
  // As intake takes a push: a resource the pull request moves to another file is declared, not removed.
  const declared = submission.planned.map((p) => ({ projectId: p.projectId, kind: p.manifest.kind, name: p.manifest.metadata.name }));
  const prune = pruneEnabled(services.prune, viewer.repository, baseRef);
  const removals = await removalsOfPush(
    services.store.table,
    { removed, declared },
    { owner: viewerOwner(viewer, services.ownerGroups), defaults: services.defaults, prune },
  );
  const entries = [...(await planSubmitted(services, submission, viewer)), ...planRemovals(removals, { prune, branch: baseRef })].sort(
    (a, b) => a.file.localeCompare(b.file),
  );
  return { entries, body: planMarkdown(entries, { head, baseRef }), summary: planSummary(entries) };
}

/** GitHub: the plan comment on the pull request and `hwc-provisioner/plan` on its head commit. */
export async function planGithubPullRequest(
  services: PlanServices,
  reader: GitReader,
  job: { repository: string; number: number; base: string; head: string; baseRef: string; updatedAt: string; fork?: boolean },
  globs: readonly string[],
): Promise<{ entries: PlanEntry[]; comment: 'created' | 'updated' | 'stale' | 'skipped' }> {
  // The branch the merge goes to: the policy judges the push the merge will make.
  const viewer: PlanViewer = { provider: 'github', repository: job.repository, branch: job.baseRef, ...(job.fork ? { fork: true } : {}) };
  const { entries, body, summary } = await computeAndRender(services, reader, viewer, job.base, job.head, globs, job.baseRef);
  const github = services.github;
  if (!github) {
    services.logger?.warn('no GITHUB_TOKEN: the plan is not posted', { repository: job.repository, number: job.number });
    return { entries, comment: 'skipped' };
  }
  const key = { pk: `NOTIFY#plan#github#${job.repository}#${job.number}`, sk: 'COMMENT' };
  const comment = await upsertComment(services.store, key, job.updatedAt, body, github.comments(job.repository, job.number, PLAN_MARKER));
  await advance(
    services.store,
    { pk: key.pk, sk: `STATUS#${job.head}` },
    'posted',
    () => 1,
    () => github.setStatus(job.repository, job.head, { state: summary.state, context: PLAN_CONTEXT, description: summary.description }),
  );
  return { entries, comment };
}

/** GitLab: the plan note on the merge request and `hwc-provisioner/plan` on its head commit. */
export async function planGitlabMergeRequest(
  services: PlanServices,
  reader: GitReader,
  job: {
    projectId: number;
    repository: string;
    iid: number;
    base: string;
    head: string;
    baseRef: string;
    updatedAt: string;
    fork?: boolean;
  },
  globs: readonly string[],
): Promise<{ entries: PlanEntry[]; comment: 'created' | 'updated' | 'stale' | 'skipped' }> {
  const viewer: PlanViewer = { provider: 'gitlab', repository: job.repository, branch: job.baseRef, ...(job.fork ? { fork: true } : {}) };
  const { entries, body, summary } = await computeAndRender(services, reader, viewer, job.base, job.head, globs, job.baseRef);
  const gitlab = services.gitlab;
  if (!gitlab) {
    services.logger?.warn('no GITLAB_TOKEN: the plan is not posted', { repository: job.repository, iid: job.iid });
    return { entries, comment: 'skipped' };
  }
  const key = { pk: `NOTIFY#plan#gitlab#${job.projectId}#${job.iid}`, sk: 'COMMENT' };
  const comment = await upsertComment(services.store, key, job.updatedAt, body, gitlab.notes(job.projectId, job.iid, PLAN_MARKER));
  await advance(
    services.store,
    { pk: key.pk, sk: `STATUS#${job.head}` },
    'posted',
    () => 1,
    () =>
      gitlab.setStatus(job.projectId, job.head, {
        state: summary.state === 'success' ? 'success' : 'failed',
        name: PLAN_CONTEXT,
        description: summary.description,
      }),
  );
  return { entries, comment };
}

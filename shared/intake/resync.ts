/**
 * The scheduled resync: webhooks get lost (GitHub never redelivers on its own), so every tracked branch's head is
 * read from the provider and, where it moved past what intake last reconciled, the push job the webhook would have
 * queued for `before = last reconciled, after = head` is queued: one request for the whole missed range, with the
 * webhook's request id, so the lost delivery arriving late is recognised (shared/store/branches.ts coveringRequest).
 *
 * A branch never seen before (named only in RESYNC_REPOSITORIES) is reconciled from the all-zero commit, as a new
 * branch's push is: every manifest at its head is provisioned.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { ResyncTarget } from '../config';
import type { QueueRef } from '../queue/messages';
import { type BranchProvider, type BranchRecord, claimRange, listBranches } from '../store/branches';
import type { TableRef } from '../store/requests';
import { githubBranchHead, githubCompare, githubRepositoryInfo, type ProviderApiSettings } from './github';
import { gitlabBranchHead, gitlabCompare, gitlabProjectInfo } from './gitlab';
import { deriveRequestId } from './ids';
import type { IntakeJob } from './messages';

const ZERO_COMMIT = '0'.repeat(40);

export interface ResyncDeps {
  table: TableRef;
  intakeQueue: QueueRef;
  github: ProviderApiSettings;
  gitlab: ProviderApiSettings;
  /** RESYNC_REPOSITORIES: resynced even before (or without) any push of theirs. */
  repositories: readonly ResyncTarget[];
  logger?: { info(message: string, extra?: Record<string, unknown>): void; warn(message: string, extra?: Record<string, unknown>): void };
}

/** One queued job, as the tick reports it. */
interface ResyncJob {
  provider: BranchProvider;
  repository: string;
  branch: string;
  before: string;
  after: string;
  requestId: string;
  /** How many commits the request covers (bounded by MAX_COVERED_COMMITS). */
  commits: number;
}

export interface ResyncResult {
  branches: number;
  unchanged: number;
  /** Moved by intake between this tick's read and its claim, or left for lack of time: the next tick looks again. */
  deferred: number;
  /** A provider or AWS call failed: logged, and the next tick tries again. */
  failed: number;
  queued: ResyncJob[];
}

interface Branch {
  provider: BranchProvider;
  repository: string;
  branch: string;
  record?: BranchRecord;
}

const keyOf = (b: { provider: string; repository: string; branch: string }) => `${b.provider}#${b.repository}#${b.branch}`;

/**
 * One pass over every tracked branch. Each branch stands alone: a failure is logged and counted and the others go
 * on; nothing is recorded for a failed branch, so the next tick finds the same gap. `budgetMs` stops it starting
 * branches once spent.
 */
export async function resyncTick(deps: ResyncDeps, opts: { budgetMs?: number } = {}): Promise<ResyncResult> {
  const started = Date.now();
  const result: ResyncResult = { branches: 0, unchanged: 0, deferred: 0, failed: 0, queued: [] };
  const branches = new Map<string, Branch>();
  for (const record of await listBranches(deps.table)) branches.set(keyOf(record), { ...record, record });
  for (const target of deps.repositories) {
    try {
      // A repository named without a branch is followed on its default branch, which is asked for on every tick.
      const branch = target.branch ?? (await repositoryInfo(deps, target.provider, target.repository)).defaultBranch;
      const key = keyOf({ ...target, branch });
      if (!branches.has(key)) branches.set(key, { provider: target.provider, repository: target.repository, branch });
    } catch (error) {
      result.failed++;
      warn(deps, 'resync: repository not read', { provider: target.provider, repository: target.repository }, error);
    }
  }
  for (const branch of branches.values()) {
    result.branches++;
    if (opts.budgetMs !== undefined && Date.now() - started > opts.budgetMs) {
      result.deferred++;
      continue;
    }
    try {
      const outcome = await resyncBranch(deps, branch);
      if (outcome === 'unchanged') result.unchanged++;
      else if (outcome === 'deferred') result.deferred++;
      else result.queued.push(outcome);
    } catch (error) {
      result.failed++;
      warn(deps, 'resync: branch not resynced; the next tick tries again', { ...label(branch) }, error);
    }
  }
  return result;
}

async function resyncBranch(deps: ResyncDeps, branch: Branch): Promise<ResyncJob | 'unchanged' | 'deferred'> {
  const { provider, repository, record } = branch;
  // GitLab's calls take the numeric id where known: it survives a renamed or moved project.
  const project = record?.repositoryId ?? repository;
  const head =
    provider === 'github'
      ? await githubBranchHead(deps.github, repository, branch.branch)
      : await gitlabBranchHead(deps.gitlab, project, branch.branch);
  if (record?.commit === head) return 'unchanged';
  const repositoryId = record?.repositoryId ?? (await repositoryInfo(deps, provider, repository)).id;
  const before = record?.commit ?? ZERO_COMMIT;
  let commits = [head];
  if (before !== ZERO_COMMIT) {
    commits =
      provider === 'github'
        ? await githubCompare(deps.github, repository, before, head)
        : await gitlabCompare(deps.gitlab, repositoryId, before, head);
    if (!commits.includes(head)) commits.push(head);
  }
  const ref = `refs/heads/${branch.branch}`;
  // Exactly the webhook's derivation (shared/http/app.ts): a single lost push resynced alone is that push's request.
  const requestId = deriveRequestId(provider, String(repositoryId), ref, before, head);
  // Claimed before queueing: a late delivery processed meanwhile already finds the range covered, and a failed send
  // leaves the branch where it was, so the next tick queues the same request again.
  if (!(await claimRange(deps.table, branch, record, { requestId, before, after: head, commits }, repositoryId))) return 'deferred';
  const deliveryId = `resync:${before.slice(0, 12)}..${head.slice(0, 12)}`;
  const job: IntakeJob =
    provider === 'github'
      ? { type: 'github.push', requestId, deliveryId, repository, branch: branch.branch, before, after: head }
      : { type: 'gitlab.push', requestId, deliveryId, projectId: repositoryId, repository, branch: branch.branch, before, after: head };
  await deps.intakeQueue.sqs.send(new SendMessageCommand({ QueueUrl: deps.intakeQueue.queueUrl, MessageBody: JSON.stringify(job) }));
  const queued: ResyncJob = { ...label(branch), before, after: head, requestId, commits: commits.length };
  deps.logger?.info('resync: missed pushes queued', { ...queued });
  return queued;
}

function repositoryInfo(deps: ResyncDeps, provider: BranchProvider, repository: string) {
  return provider === 'github' ? githubRepositoryInfo(deps.github, repository) : gitlabProjectInfo(deps.gitlab, repository);
}

const label = (b: Branch) => ({ provider: b.provider, repository: b.repository, branch: b.branch });

function warn(deps: ResyncDeps, message: string, extra: Record<string, unknown>, error: unknown): void {
  deps.logger?.warn(message, {
    ...extra,
    errorName: error instanceof Error ? error.name : typeof error,
    error: error instanceof Error ? error.message : String(error),
  });
}

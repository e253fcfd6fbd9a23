/** The intake queue's work: turn one message (a push, a ticket, or another system's manifests) into a request. */
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import { deriveRequestId } from './ids';
import { fetchGithubManifests, githubReader } from './github';
import { fetchGitlabManifests, gitlabReader } from './gitlab';
import { githubMergedApprovals } from '../providers/github';
import { gitlabMergedApprovals } from '../providers/gitlab';
import { ProviderApiError } from '../providers/http';
import { descriptionTooLong, ticketSources } from './jira';
import {
  DriftCorrectionJobSchema,
  ExternalSubmissionSchema,
  IntakeJobSchema,
  isPlanJobType,
  planJobSchema,
  type IntakeJob,
  type PlanJob,
} from './messages';
import { submitCorrection } from './correction';
import { planGithubPullRequest, planGitlabMergeRequest, type PlanServices } from './plan-jobs';
import type { PlanEntry } from '../notify/render';
import { rejectRequest, submit, type IntakeDeps, type SourceFile, type SubmitOutcome } from './submit';
import type { RequestSource } from '../store/types';
import { getDelivery } from '../store/deliveries';
import { coveringRequest, getBranch, recordReconciled } from '../store/branches';
import { ApprovalError, decideApproval } from '../reconcile/approval';
import { ownerOf } from '../reconcile/owner';
import { pruneEnabled, removalsOfPush } from './removal';
import { planSubmission } from '../manifests/submission';
import { getRequestWithResources } from '../store/requests';
import { clipText, MAX_ECHOED_MESSAGE_CHARS, MAX_ECHOED_NAME_CHARS } from '../manifests/limits';

export interface ProviderSettings {
  globs: readonly string[];
  github: { apiUrl: string; token?: string };
  gitlab: { apiUrl: string; token?: string };
  fetch?: typeof fetch;
  /** What plans for pull and merge requests need; without it plan jobs are dropped with a warning. */
  plan?: PlanServices;
  /**
   * For a push that needs approval: the approving reviews the merged pull (merge) request must have for the
   * merge to be the approval (REQUIRE_PR_APPROVALS); 0 or absent, the merge into a tracked branch is.
   */
  requirePrApprovals?: number;
}

/**
 * The settings, or how to get them: intake's Lambda reads its secrets (provider tokens) only for a message that
 * reads a repository or plans, so a cold start for a ticket or another system's manifests makes no Secrets Manager call.
 */
export type ProviderSource = ProviderSettings | (() => Promise<ProviderSettings>);

/** What one message's handling asks for as often as it needs: the settings, got once (a push asks twice). */
type Settings = () => Promise<ProviderSettings>;

function once(providers: ProviderSource): Settings {
  let got: Promise<ProviderSettings> | undefined;
  return () => (got ??= typeof providers === 'function' ? providers() : Promise.resolve(providers));
}

/** What a Jira approval did: approved, or refused for a reason said in the log (Jira cannot act on a refusal). */
export type ApprovalOutcome =
  | { status: 'approved'; requestId: string; duplicate: boolean }
  | { status: 'approval-ignored'; requestId: string; reason: string };

export type PlanOutcome = { status: 'planned'; entries: PlanEntry[]; comment: string } | { status: 'plan-skipped'; reason: string };

export interface IntakeMessage {
  messageId: string;
  body: string;
}

function sourceOf(job: IntakeJob): RequestSource {
  switch (job.type) {
    case 'github.push':
      return {
        provider: 'github',
        ref: `${job.repository}@${job.after}`,
        deliveryId: job.deliveryId,
        repository: job.repository,
        commit: job.after,
        branch: job.branch,
        ...(job.url ? { url: job.url } : {}),
        ...(job.user ? { user: job.user } : {}),
      };
    case 'gitlab.push':
      return {
        provider: 'gitlab',
        ref: `${job.repository}@${job.after}`,
        deliveryId: job.deliveryId,
        repository: job.repository,
        commit: job.after,
        branch: job.branch,
        ...(job.url ? { url: job.url } : {}),
        ...(job.user ? { user: job.user } : {}),
      };
    case 'jira.issue':
      return {
        provider: 'jira',
        ref: job.ticket,
        deliveryId: job.deliveryId,
        ticket: job.ticket,
        ...(job.url ? { url: job.url } : {}),
        ...(job.user ? { user: job.user } : {}),
      };
  }
}

async function filesOf(job: IntakeJob, settings: Settings): Promise<{ changed: SourceFile[]; removed: SourceFile[] }> {
  if (job.type === 'jira.issue') return { changed: ticketSources(job.ticket, job.blocks), removed: [] };
  const providers = await settings();
  switch (job.type) {
    case 'github.push': {
      return fetchGithubManifests(job, {
        ...providers.github,
        globs: providers.globs,
        ...(providers.fetch ? { fetch: providers.fetch } : {}),
      });
    }
    case 'gitlab.push': {
      return fetchGitlabManifests(job, {
        ...providers.gitlab,
        globs: providers.globs,
        ...(providers.fetch ? { fetch: providers.fetch } : {}),
      });
    }
  }
}

/** Where a message's request is recorded: known before anything that can fail, so a failure can be recorded there. */
interface Target {
  requestId: string;
  source: RequestSource;
  file: string;
}

/**
 * Throws only for what a redelivery can fix (provider or AWS outages, throttling, network failures);
 * everything else ends as a recorded request, accepted or rejected, so a bad message never loops until the
 * DLQ. That includes failures nobody foresaw (a bug, input the code cannot handle): the request is recorded
 * as rejected with the reason, and a WARN names the SQS message.
 */
export async function processIntakeMessage(
  deps: IntakeDeps,
  providers: ProviderSource,
  message: IntakeMessage,
): Promise<SubmitOutcome | PlanOutcome | ApprovalOutcome> {
  const settings = once(providers);
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.body);
  } catch {
    parsed = undefined;
  }
  // jitless: zod's compiled fast path costs a function compile per object schema on first use, which the
  // cold start pays in full, while checking a message without it takes microseconds either way.
  // The plan schemas are built (and checked) only for a message that says it is a plan: any other type would fail them.
  const plan = isPlanJobType(parsed) ? planJobSchema().safeParse(parsed, { jitless: true }) : undefined;
  if (plan?.success) {
    try {
      return await processPlan(await settings(), plan.data);
    } catch (error) {
      if (isRedeliverable(error)) throw error;
      warnUnprocessable(deps, message, error);
      return { status: 'plan-skipped', reason: `the plan could not be made (${errorName(error)})` };
    }
  }
  const correction =
    (parsed as { type?: unknown } | undefined)?.type === 'drift.correct' ? DriftCorrectionJobSchema.safeParse(parsed) : undefined;
  if (correction?.success) {
    try {
      return await submitCorrection(deps, correction.data);
    } catch (error) {
      if (isRedeliverable(error)) throw error;
      // The next look for drift that still finds the resource wrong asks again: nothing loops until the DLQ.
      warnUnprocessable(deps, message, error, correction.data.requestId);
      return { status: 'empty' };
    }
  }
  const job = IntakeJobSchema.safeParse(parsed, { jitless: true });
  // Outside the try below: a failed approval is retried by SQS, never turned into a rejection of the request.
  if (job.success && job.data.type === 'jira.issue' && job.data.approval) {
    const approved = await approveTicket(deps, job.data.requestId, job.data.approval);
    if (approved) return approved;
  }
  const external = job.success ? undefined : ExternalSubmissionSchema.safeParse(parsed, { jitless: true });
  const target = job.success ? jobTarget(job.data) : externalTarget(message, external!);
  try {
    return job.success ? await processJob(deps, settings, job.data, target) : await processExternal(deps, parsed, external!, target);
  } catch (error) {
    if (isRedeliverable(error)) throw error;
    warnUnprocessable(deps, message, error, target.requestId);
    const reason =
      `the submission could not be processed (${errorName(error)}) and was not ` +
      `retried; the intake log has the details under SQS message ${message.messageId}`;
    const outcome = await rejectRequest(deps, target.requestId, target.source, target.file, reason);
    // Failed after the request was recorded (while queueing, say): that record stands, and the poller finishes it.
    return outcome.status === 'rejected' && outcome.duplicate ? replay(deps, target.requestId, 'rejected') : outcome;
  }
}

/**
 * A ticket moved into the approval status approves its pending request, as the transition's author. Undefined when
 * no request of this content awaits approval (the ticket's own event may still be on its way, or it needs none):
 * the ticket is then taken as any other update.
 */
async function approveTicket(
  deps: IntakeDeps,
  requestId: string,
  approval: { by: string; toStatus: string },
): Promise<ApprovalOutcome | undefined> {
  try {
    const outcome = await decideApproval({ ...deps, now: deps.now ?? (() => new Date()) }, requestId, {
      approve: true,
      by: approval.by,
      channel: 'jira',
      comment: `moved to ${approval.toStatus}`,
    });
    return { status: 'approved', requestId, duplicate: outcome.duplicate };
  } catch (error) {
    if (!(error instanceof ApprovalError)) throw error;
    if (error.code === 'REQUEST_NOT_FOUND') return undefined;
    return { status: 'approval-ignored', requestId, reason: error.message };
  }
}

function jobTarget(job: IntakeJob): Target {
  const source = sourceOf(job);
  return { requestId: job.requestId, source, file: job.type === 'jira.issue' ? job.ticket : source.ref };
}

function externalTarget(message: IntakeMessage, external: ReturnType<typeof ExternalSubmissionSchema.safeParse>): Target {
  const file = `queue:${message.messageId}`;
  if (!external.success)
    return { requestId: deriveRequestId('queue', message.messageId), source: { provider: 'queue', ref: 'queue:unknown' }, file };
  const { source: from, idempotencyKey } = external.data;
  const system = from?.system ?? 'unknown';
  const requestId = idempotencyKey ? deriveRequestId('queue', system, idempotencyKey) : deriveRequestId('queue', message.messageId);
  return {
    requestId,
    source: { provider: 'queue', ref: from?.reference ? `queue:${system}:${from.reference}` : `queue:${system}`, caller: system },
    file,
  };
}

async function processJob(deps: IntakeDeps, settings: Settings, job: IntakeJob, { requestId, source }: Target): Promise<SubmitOutcome> {
  const provider = source.provider;
  // A redelivered or replayed push is answered from the record of the first one: no second read of the
  // repository. Deliveries are recorded under the request id, which is derived from the content, not the delivery header.
  // A ticket carries its manifests in the message: there is no read to save, and submit() is idempotent on its own
  // (its write finds the stored request and answers from it), so the look-up would only add a round trip.
  if (job.type !== 'jira.issue') {
    const [seen, branch] = await Promise.all([
      getDelivery(deps.table, provider, requestId),
      getBranch(deps.table, job.type === 'github.push' ? 'github' : 'gitlab', job.repository, job.branch),
    ]);
    // A push the resync already covered (its webhook was lost, and came late) makes nothing more: the answer is the
    // resync's request (shared/intake/resync.ts).
    const covering = branch && coveringRequest(branch, requestId, job.after);
    if (covering) return replay(deps, covering, 'accepted');
    if (seen) return reconciled(deps, job, requestId, await replay(deps, seen.requestId, seen.outcome));
  }
  if (job.type === 'jira.issue' && job.descriptionChars !== undefined) {
    return rejectRequest(deps, requestId, source, job.ticket, descriptionTooLong(job.descriptionChars));
  }
  let files: SourceFile[];
  let removed: SourceFile[];
  try {
    ({ changed: files, removed } = await filesOf(job, settings));
  } catch (error) {
    if (error instanceof ProviderApiError && !error.retryable) {
      return reconciled(
        deps,
        job,
        requestId,
        await rejectRequest(deps, requestId, source, source.ref, `could not read manifests: ${error.message}`),
      );
    }
    throw error;
  }
  const removals = removed.length > 0 && job.type !== 'jira.issue' ? await pushRemovals(deps, job, source, files, removed) : [];
  const outcome = await submit(deps, {
    requestId,
    source,
    files,
    delivery: { provider, deliveryId: requestId },
    ...(removals.length ? { removals } : {}),
    ...(job.type === 'jira.issue' ? {} : { sourceApproval: () => mergeApproval(settings, job) }),
  });
  return reconciled(deps, job, requestId, outcome);
}

/**
 * A handled push (accepted, rejected or empty, first time or again) moves its branch's last reconciled commit
 * when it continues it (shared/store/branches.ts recordReconciled): the resync starts from there.
 */
async function reconciled(deps: IntakeDeps, job: IntakeJob, requestId: string, outcome: SubmitOutcome): Promise<SubmitOutcome> {
  if (job.type === 'jira.issue') return outcome;
  const push = { repository: job.repository, branch: job.branch, before: job.before, after: job.after, requestId };
  await recordReconciled(
    deps.table,
    job.type === 'github.push' ? { provider: 'github', ...push } : { provider: 'gitlab', repositoryId: job.projectId, ...push },
    deps.now?.() ?? new Date(),
  );
  return outcome;
}

/**
 * Whether a push approves what it asks for: a merge into a tracked branch does, unless REQUIRE_PR_APPROVALS
 * asks for reviews, in which case the pull (merge) request that merged the commit must have that many
 * approvals from people other than its author. A direct push, or too few reviews, leaves the request pending.
 */
async function mergeApproval(
  settings: Settings,
  job: Exclude<IntakeJob, { type: 'jira.issue' }>,
): Promise<{ by: string; comment: string } | undefined> {
  const providers = await settings();
  const required = providers.requirePrApprovals ?? 0;
  const provider = job.type === 'github.push' ? 'github' : 'gitlab';
  if (required === 0) return { by: `${provider}:merge`, comment: `pushed to tracked branch ${job.branch}` };
  const fetchOpt = providers.fetch ? { fetch: providers.fetch } : {};
  const merged =
    job.type === 'github.push'
      ? await githubMergedApprovals({ ...providers.github, ...fetchOpt }, job.repository, job.after)
      : await gitlabMergedApprovals({ ...providers.gitlab, ...fetchOpt }, job.projectId, job.after);
  if (!merged || merged.approvers.length < required) return undefined;
  const noun = provider === 'github' ? 'pull request' : 'merge request';
  return {
    by: merged.approvers.map((who) => `${provider}:${who}`).join(', '),
    comment: `${noun} ${provider === 'github' ? '#' : '!'}${merged.number} merged with ${merged.approvers.length} approving reviews`,
  };
}

/** What a push's removed manifest files take away: deleted where pruning allows and the manifest asked, else orphaned. */
async function pushRemovals(
  deps: IntakeDeps,
  job: Exclude<IntakeJob, { type: 'jira.issue' }>,
  source: RequestSource,
  files: SourceFile[],
  removed: SourceFile[],
) {
  const declared = planSubmission(files, deps.defaults).planned.map((p) => ({
    projectId: p.projectId,
    kind: p.manifest.kind,
    name: p.manifest.metadata.name,
  }));
  return removalsOfPush(
    deps.table,
    { removed, declared },
    { owner: ownerOf(source, deps.ownerGroups), defaults: deps.defaults, prune: pruneEnabled(deps.prune, job.repository, job.branch) },
  );
}

async function replay(deps: IntakeDeps, requestId: string, outcome: 'accepted' | 'rejected' | 'empty'): Promise<SubmitOutcome> {
  const found = outcome === 'empty' ? undefined : await getRequestWithResources(deps.table, requestId);
  if (!found) return { status: 'empty' };
  if (found.request.phase === 'Rejected')
    return { status: 'rejected', requestId, documents: found.request.rejected ?? [], duplicate: true };
  return {
    status: 'accepted',
    requestId,
    resources: found.resources.map(({ kind, name, state }) => ({ kind, name, state })),
    duplicate: true,
  };
}

async function processExternal(
  deps: IntakeDeps,
  parsed: unknown,
  external: ReturnType<typeof ExternalSubmissionSchema.safeParse>,
  { requestId, source, file }: Target,
): Promise<SubmitOutcome> {
  if (!external.success) {
    const reason =
      parsed === undefined
        ? 'message body is not JSON'
        : 'message is not an intake submission: ' +
          `${external.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`;
    return rejectRequest(deps, requestId, source, file, reason);
  }
  // The message as parsed, not zod's copy: copying assigns keys, so an own `__proto__` key would vanish into the
  // copy's prototype instead of reaching the parser that refuses it.
  const { manifests } = parsed as { manifests: typeof external.data.manifests };
  // Objects are re-serialised as JSON, which is YAML: one parser and one error format for every source.
  const text =
    typeof manifests === 'string'
      ? manifests
      : Array.isArray(manifests)
        ? manifests.map((m) => JSON.stringify(m)).join('\n---\n')
        : JSON.stringify(manifests);
  const outcome = await submit(deps, { requestId, source, files: [{ file, text }] });
  return outcome.status === 'empty' ? rejectRequest(deps, requestId, source, file, 'no manifest found in the message') : outcome;
}

/** A transaction cancelled for one of these reasons may succeed when tried again; a failed condition will not. */
const TRANSIENT_CANCELLATIONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);

/**
 * Whether SQS redelivering the message can help: a provider outage (ProviderApiError.retryable), or an AWS call
 * that was throttled, timed out, failed on the service's side or never got through, as the SDK's own retry
 * classification sees them (its retries being spent), or a transaction that lost to a concurrent one. Anything
 * else would fail the same way again.
 */
export function isRedeliverable(error: unknown): boolean {
  if (error instanceof ProviderApiError) return error.retryable;
  if (typeof error !== 'object' || error === null) return false;
  const sdkError = error as Parameters<typeof isTransientError>[0] & { $fault?: unknown; CancellationReasons?: { Code?: string }[] };
  if (isTransientError(sdkError) || isThrottlingError(sdkError) || sdkError.$fault === 'server') return true;
  if ((sdkError.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return (
    sdkError.name === 'TransactionCanceledException' &&
    Array.isArray(sdkError.CancellationReasons) &&
    sdkError.CancellationReasons.some((r) => TRANSIENT_CANCELLATIONS.has(r?.Code ?? ''))
  );
}

/** Read defensively: what was thrown may be anything, even an object whose toString throws. */
function errorName(error: unknown): string {
  const name = error instanceof Error ? error.name : undefined;
  return clipText(typeof name === 'string' ? name : typeof error, MAX_ECHOED_NAME_CHARS);
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return typeof error.message === 'string' ? error.message : '';
  try {
    return String(error);
  } catch {
    return typeof error;
  }
}

/**
 * The message, the request it was for and what failed where: the error's name, code, message (clipped) and
 * the first frames of its stack, which say where without echoing any data.
 */
function warnUnprocessable(deps: Pick<IntakeDeps, 'logger'>, message: IntakeMessage, error: unknown, requestId?: string): void {
  const code = (error as { code?: unknown } | null)?.code;
  const frames =
    error instanceof Error
      ? (error.stack ?? '')
          .split('\n')
          .filter((line) => line.trimStart().startsWith('at '))
          .slice(0, 5)
          .map((line) => line.trim())
      : [];
  deps.logger?.warn('intake message could not be processed and will not be retried', {
    messageId: message.messageId,
    ...(requestId ? { requestId } : {}),
    errorName: errorName(error),
    ...(typeof code === 'string' || typeof code === 'number' ? { errorCode: clipText(String(code), MAX_ECHOED_NAME_CHARS) } : {}),
    error: clipText(errorMessage(error), MAX_ECHOED_MESSAGE_CHARS),
    ...(frames.length > 0 ? { at: frames } : {}),
  });
}

/** A plan that cannot read the repository says nothing (there is no request to reject); a provider outage is retried. */
async function processPlan(providers: ProviderSettings, job: PlanJob): Promise<PlanOutcome> {
  if (!providers.plan) return { status: 'plan-skipped', reason: 'plans are not configured' };
  const fetchOpt = providers.fetch ? { fetch: providers.fetch } : {};
  try {
    const result =
      job.type === 'github.plan'
        ? await planGithubPullRequest(
            providers.plan,
            githubReader({ ...providers.github, repository: job.repository, ...fetchOpt }),
            job,
            providers.globs,
          )
        : await planGitlabMergeRequest(
            providers.plan,
            gitlabReader({ ...providers.gitlab, projectId: job.projectId, ...fetchOpt }),
            job,
            providers.globs,
          );
    return { status: 'planned', entries: result.entries, comment: result.comment };
  } catch (error) {
    if (error instanceof ProviderApiError && !error.retryable) {
      providers.plan.logger?.warn('plan skipped: the repository could not be read', {
        type: job.type,
        repository: job.repository,
        error: error.message,
      });
      return { status: 'plan-skipped', reason: error.message };
    }
    throw error;
  }
}

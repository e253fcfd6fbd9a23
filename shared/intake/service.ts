/** The intake queue's work: turn one message (a push, a ticket, or another system's manifests) into a request. */
import { deriveRequestId } from './ids';
import { fetchGithubManifests } from './github';
import { fetchGitlabManifests } from './gitlab';
import { ProviderApiError } from './git';
import { descriptionTooLong, ticketSources } from './jira';
import { ExternalSubmissionSchema, IntakeJobSchema, PlanJobSchema, type IntakeJob, type PlanJob } from './messages';
import { githubReader } from './github';
import { gitlabReader } from './gitlab';
import { planGithubPullRequest, planGitlabMergeRequest, type PlanServices } from '../notify/plan';
import type { PlanEntry } from '../notify/render';
import { rejectRequest, submit, type IntakeDeps, type SourceFile, type SubmitOutcome } from './submit';
import type { RequestSource } from '../store/types';
import { getDelivery } from '../store/deliveries';
import { getRequestWithResources } from '../store/requests';

export interface ProviderSettings {
  globs: readonly string[];
  github: { apiUrl: string; token?: string };
  gitlab: { apiUrl: string; token?: string };
  fetch?: typeof fetch;
  /** What plans for pull and merge requests need; without it plan jobs are dropped with a warning. */
  plan?: PlanServices;
}

export type PlanOutcome = { status: 'planned'; entries: PlanEntry[]; comment: string } | { status: 'plan-skipped'; reason: string };

export interface IntakeMessage {
  messageId: string;
  body: string;
}

function sourceOf(job: IntakeJob): RequestSource {
  switch (job.type) {
    case 'github.push':
      return { provider: 'github', ref: `${job.repository}@${job.after}`, deliveryId: job.deliveryId, repository: job.repository, commit: job.after, branch: job.branch };
    case 'gitlab.push':
      return { provider: 'gitlab', ref: `${job.repository}@${job.after}`, deliveryId: job.deliveryId, repository: job.repository, commit: job.after, branch: job.branch, ...(job.url ? { url: job.url } : {}) };
    case 'jira.issue':
      return { provider: 'jira', ref: job.ticket, deliveryId: job.deliveryId, ticket: job.ticket, ...(job.url ? { url: job.url } : {}) };
  }
}

async function filesOf(job: IntakeJob, providers: ProviderSettings): Promise<SourceFile[]> {
  switch (job.type) {
    case 'github.push':
      return fetchGithubManifests(job, { ...providers.github, globs: providers.globs, ...(providers.fetch ? { fetch: providers.fetch } : {}) });
    case 'gitlab.push':
      return fetchGitlabManifests(job, { ...providers.gitlab, globs: providers.globs, ...(providers.fetch ? { fetch: providers.fetch } : {}) });
    case 'jira.issue':
      return ticketSources(job.ticket, job.blocks);
  }
}

/**
 * Throws only for what a redelivery can fix (provider or AWS outages); everything else ends as a
 * recorded request, accepted or rejected, so a bad message never loops until the DLQ.
 */
export async function processIntakeMessage(deps: IntakeDeps, providers: ProviderSettings, message: IntakeMessage): Promise<SubmitOutcome | PlanOutcome> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.body);
  } catch {
    parsed = undefined;
  }
  const plan = PlanJobSchema.safeParse(parsed);
  if (plan.success) return processPlan(providers, plan.data);
  const job = IntakeJobSchema.safeParse(parsed);
  if (job.success) {
    const source = sourceOf(job.data);
    const provider = source.provider;
    // A redelivered or replayed push is answered from the record of the first one: no second read of the
    // repository. Deliveries are recorded under the request id, which is derived from the content, not the delivery header.
    const seen = await getDelivery(deps.table, provider, job.data.requestId);
    if (seen) return replay(deps, seen.requestId, seen.outcome);
    if (job.data.type === 'jira.issue' && job.data.descriptionChars !== undefined) {
      return rejectRequest(deps, job.data.requestId, source, job.data.ticket, descriptionTooLong(job.data.descriptionChars));
    }
    let files: SourceFile[];
    try {
      files = await filesOf(job.data, providers);
    } catch (error) {
      if (error instanceof ProviderApiError && !error.retryable) {
        return rejectRequest(deps, job.data.requestId, source, source.ref, `could not read manifests: ${error.message}`);
      }
      throw error;
    }
    return submit(deps, { requestId: job.data.requestId, source, files, delivery: { provider, deliveryId: job.data.requestId } });
  }
  return processExternal(deps, message, parsed);
}

async function replay(deps: IntakeDeps, requestId: string, outcome: 'accepted' | 'rejected' | 'empty'): Promise<SubmitOutcome> {
  const found = outcome === 'empty' ? undefined : await getRequestWithResources(deps.table, requestId);
  if (!found) return { status: 'empty' };
  if (found.request.phase === 'Rejected') return { status: 'rejected', requestId, documents: found.request.rejected ?? [], duplicate: true };
  return { status: 'accepted', requestId, resources: found.resources.map(({ kind, name, state }) => ({ kind, name, state })), duplicate: true };
}

async function processExternal(deps: IntakeDeps, message: IntakeMessage, parsed: unknown): Promise<SubmitOutcome> {
  const external = ExternalSubmissionSchema.safeParse(parsed);
  const file = `queue:${message.messageId}`;
  if (!external.success) {
    const requestId = deriveRequestId('queue', message.messageId);
    const source: RequestSource = { provider: 'queue', ref: 'queue:unknown' };
    const reason = parsed === undefined ? 'message body is not JSON' : `message is not an intake submission: ${external.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`;
    return rejectRequest(deps, requestId, source, file, reason);
  }
  const { manifests, source: from, idempotencyKey } = external.data;
  const system = from?.system ?? 'unknown';
  const requestId = idempotencyKey ? deriveRequestId('queue', system, idempotencyKey) : deriveRequestId('queue', message.messageId);
  const source: RequestSource = { provider: 'queue', ref: from?.reference ? `queue:${system}:${from.reference}` : `queue:${system}`, caller: system };
  // Objects are re-serialised as JSON, which is YAML: one parser and one error format for every source.
  const text = typeof manifests === 'string' ? manifests : Array.isArray(manifests) ? manifests.map((m) => JSON.stringify(m)).join('\n---\n') : JSON.stringify(manifests);
  const outcome = await submit(deps, { requestId, source, files: [{ file, text }] });
  return outcome.status === 'empty' ? rejectRequest(deps, requestId, source, file, 'no manifest found in the message') : outcome;
}

/** A plan that cannot read the repository says nothing (there is no request to reject); a provider outage is retried. */
async function processPlan(providers: ProviderSettings, job: PlanJob): Promise<PlanOutcome> {
  if (!providers.plan) return { status: 'plan-skipped', reason: 'plans are not configured' };
  const fetchOpt = providers.fetch ? { fetch: providers.fetch } : {};
  try {
    const result =
      job.type === 'github.plan'
        ? await planGithubPullRequest(providers.plan, githubReader({ ...providers.github, repository: job.repository, ...fetchOpt }), job, providers.globs)
        : await planGitlabMergeRequest(providers.plan, gitlabReader({ ...providers.gitlab, projectId: job.projectId, ...fetchOpt }), job, providers.globs);
    return { status: 'planned', entries: result.entries, comment: result.comment };
  } catch (error) {
    if (error instanceof ProviderApiError && !error.retryable) {
      providers.plan.logger?.warn('plan skipped: the repository could not be read', { type: job.type, repository: job.repository, error: error.message });
      return { status: 'plan-skipped', reason: error.message };
    }
    throw error;
  }
}

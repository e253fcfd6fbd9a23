/**
 * Feedback for one event: commit statuses on the pushed commit (GitHub, GitLab), comments and transitions
 * on the ticket (Jira), and signed deliveries to generic subscribers. Each target is independent: those that
 * succeed are recorded and never repeated, those that fail make the message come back (and, in the end,
 * dead-letter).
 */
import type { WebhookSubscriber } from '../config';
import { EVENT_TYPES } from '../events/cloudevents';
import { ProviderApiError } from '../providers/http';
import { DeliveryFailedError, isRetryable } from './errors';
import { isDriftEvent, isResourceEvent, type DriftNotifyEvent, type NotifyEvent } from './events';
import type { GithubFeedback } from './github';
import type { GitlabFeedback, GitlabStatusState } from './gitlab';
import type { HttpSettings } from './http';
import type { JiraFeedback } from './jira';
import {
  jiraAcceptedComment,
  jiraCompletedComment,
  jiraApprovalComment,
  jiraRejectedComment,
  phaseOf,
  PHASE_RANK,
  REJECTED_CONTEXT,
  rejectedDescription,
  requestUrl,
  statusContext,
  statusDescription,
  type FeedbackPhase,
  type ResourceOutcome,
} from './render';
import { advance, once, requestNotifyPk, type NotifyStore } from './state';
import { deliverWebhook, subscriberKey, subscriberLabel, wants } from './webhooks';

interface NotifyLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface NotifyDeps {
  store: NotifyStore;
  http: HttpSettings;
  /** Absent when no token is configured: that provider gets no feedback. */
  github?: GithubFeedback;
  gitlab?: GitlabFeedback;
  jira?: {
    client: JiraFeedback;
    transitionOnSuccess?: string;
    transitionOnFailure?: string;
    /** The status that approves a ticket's pending request (JIRA_APPROVAL_STATUS), named in the comment saying how. */
    approvalStatus?: string;
  };
  subscribers: readonly WebhookSubscriber[];
  publicBaseUrl?: string;
  /** UI_SIGNING_KEY: links then carry a read-only token for their request, valid linkTtlDays (LINK_TTL_DAYS). */
  linkKey?: string;
  linkTtlDays?: number;
  logger: NotifyLogger;
}

function linkOf(deps: NotifyDeps, requestId: string): string | undefined {
  return requestUrl(deps.publicBaseUrl, requestId, { key: deps.linkKey, ttlDays: deps.linkTtlDays, now: deps.store.now() });
}

/** One status a git provider should show: a resource in a phase, or the whole request rejected. */
interface StatusIntent {
  key: string;
  context: string;
  phase: FeedbackPhase;
  description: string;
}

const GITLAB_STATE: Record<FeedbackPhase, GitlabStatusState> = {
  pending: 'pending',
  success: 'success',
  failure: 'failed',
  error: 'failed',
};

function outcomesOf(event: Exclude<NotifyEvent, DriftNotifyEvent>): ResourceOutcome[] {
  if (isResourceEvent(event)) {
    const { kind, name, state, operation, changes, huaweiId, reason, message } = event.data;
    return [{ kind, name, state, operation, ...(changes ? { changes } : {}), huaweiId, reason, message }];
  }
  return event.data.resources.map(({ kind, name, state, operation, huaweiId, reason, message }) => ({
    kind,
    name,
    state,
    ...(operation !== undefined ? { operation } : {}),
    huaweiId,
    reason,
    message: message ?? null,
  }));
}

/**
 * accepted: every resource pending. A resource event: its final state. completed: the final state of
 * every resource, which only changes what is still pending (a lost or late resource event), so a failed
 * request never leaves a pending status behind.
 */
function statusIntents(event: Exclude<NotifyEvent, DriftNotifyEvent>): StatusIntent[] {
  if (event.type === EVENT_TYPES.requestRejected && !isResourceEvent(event) && !event.data.approval) {
    return [{ key: 'manifests', context: REJECTED_CONTEXT, phase: 'failure', description: rejectedDescription(event.data.errors ?? []) }];
  }
  return outcomesOf(event)
    .filter((r) => r.kind && r.name)
    .map((r) => ({
      key: `${r.kind}/${r.name}`,
      context: statusContext(r.kind, r.name),
      phase: phaseOf(r.state),
      description: statusDescription(r),
    }));
}

interface Target {
  name: string;
  run(): Promise<void>;
}

function gitStatusTarget(deps: NotifyDeps, event: Exclude<NotifyEvent, DriftNotifyEvent>): Target | undefined {
  const { source, requestId } = event.data;
  if (!source.repository || !source.commit) return undefined;
  const { repository, commit } = source;
  const url = linkOf(deps, requestId);
  const post =
    source.provider === 'github' && deps.github
      ? (intent: StatusIntent) =>
          deps.github!.setStatus(repository, commit, {
            state: intent.phase,
            context: intent.context,
            description: intent.description,
            ...(url ? { target_url: url } : {}),
          })
      : source.provider === 'gitlab' && deps.gitlab
        ? (intent: StatusIntent) =>
            deps.gitlab!.setStatus(repository, commit, {
              state: GITLAB_STATE[intent.phase],
              name: intent.context,
              description: intent.description,
              ...(url ? { target_url: url } : {}),
            })
        : undefined;
  if (!post) return undefined;
  return {
    name: `${source.provider}-status`,
    async run() {
      for (const intent of statusIntents(event)) {
        const key = { pk: requestNotifyPk(requestId), sk: `STATUS#${source.provider}#${intent.key}` };
        await advance(
          deps.store,
          key,
          intent.phase,
          (phase) => PHASE_RANK[phase as FeedbackPhase] ?? 0,
          () => post(intent),
        );
      }
    },
  };
}

function jiraTarget(deps: NotifyDeps, event: Exclude<NotifyEvent, DriftNotifyEvent>): Target | undefined {
  const { source, requestId } = event.data;
  if (source.provider !== 'jira' || !source.ticket || !deps.jira) return undefined;
  const { client, transitionOnSuccess, transitionOnFailure } = deps.jira;
  const ticket = source.ticket;
  const url = linkOf(deps, requestId);
  const key = (what: string) => ({ pk: requestNotifyPk(requestId), sk: `ONCE#jira#${what}` });
  return {
    name: 'jira',
    async run() {
      // Resource events make no comment: the ticket gets one at acceptance and one with every result.
      switch (event.type) {
        case EVENT_TYPES.requestAccepted:
          await once(deps.store, key('accepted'), async () => ({
            commentId: await client.addComment(ticket, jiraAcceptedComment(requestId, outcomesOf(event), url)),
          }));
          return;
        case EVENT_TYPES.requestRejected:
          if (event.data.approval) break;
          await once(deps.store, key('rejected'), async () => ({
            commentId: await client.addComment(ticket, jiraRejectedComment(requestId, event.data.errors ?? [], url)),
          }));
          return;
        case EVENT_TYPES.requestCompleted: {
          await once(deps.store, key('completed'), async () => ({
            commentId: await client.addComment(ticket, jiraCompletedComment(requestId, event.data.state, outcomesOf(event), url)),
          }));
          const transition = event.data.state === 'Succeeded' ? transitionOnSuccess : transitionOnFailure;
          if (transition) await once(deps.store, key('transition'), () => client.transition(ticket, transition));
          return;
        }
      }
      const approval = isResourceEvent(event) ? undefined : event.data.approval;
      if (approval) {
        const how = { ...(url ? { url } : {}), ...(deps.jira?.approvalStatus ? { approvalStatus: deps.jira.approvalStatus } : {}) };
        await once(deps.store, key(`approval-${approval.state}`), async () => ({
          commentId: await client.addComment(ticket, jiraApprovalComment(requestId, approval, outcomesOf(event), how)),
        }));
      }
    },
  };
}

function webhookTargets(deps: NotifyDeps, event: NotifyEvent, body: string): Target[] {
  return deps.subscribers
    .filter((s) => wants(s, event.type))
    .map((subscriber) => ({
      name: `webhook ${subscriberLabel(subscriber)}`,
      run: async () => {
        const key = { pk: requestNotifyPk(event.data.requestId), sk: `WEBHOOK#${subscriberKey(subscriber)}#${event.id}` };
        await once(deps.store, key, () => deliverWebhook(deps.http, subscriber, event.id, body, deps.store.now));
      },
    }));
}

/** Runs every target of the event; throws DeliveryFailedError when any failed in a way a later retry can fix. */
export async function notify(deps: NotifyDeps, event: NotifyEvent): Promise<{ targets: string[] }> {
  // parseEventMessage hands over the event as published, so subscribers get it field for field.
  const body = JSON.stringify(event);
  // A look for drift reports on the resource, not on the commit or ticket that last applied it: subscribers only.
  const feedback = isDriftEvent(event) ? [] : [gitStatusTarget(deps, event), jiraTarget(deps, event)];
  const targets = [...feedback, ...webhookTargets(deps, event, body)].filter((t): t is Target => !!t);
  const failures: { target: string; message: string }[] = [];
  for (const target of targets) {
    try {
      await target.run();
    } catch (error) {
      const message = (error as Error).message;
      if (isRetryable(error) || target.name.startsWith('webhook ')) {
        failures.push({ target: target.name, message });
        deps.logger.warn('feedback failed; the message will be retried', {
          target: target.name,
          eventId: event.id,
          requestId: event.data.requestId,
          error: message,
        });
      } else {
        // A 4xx from a provider (no access, unknown commit) will not change on retry: say so loudly and move on.
        deps.logger.error('feedback rejected by the provider; not retried', {
          target: target.name,
          eventId: event.id,
          requestId: event.data.requestId,
          error: message,
          status: error instanceof ProviderApiError ? error.status : undefined,
        });
      }
    }
  }
  if (failures.length > 0) throw new DeliveryFailedError(failures);
  return { targets: targets.map((t) => t.name) };
}

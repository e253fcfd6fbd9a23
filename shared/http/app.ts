/** The HTTP API as a Hono app: the same app serves Lambda (hono/aws-lambda) and the local stack (@hono/node-server). */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { Hono, type Context } from 'hono';
import { ConfigError, type SecretsEnv } from '../config';
import { limitBody } from './body-limit';
import type { QueueRef } from '../queue/messages';
import { authenticateBearer, hasRole, safeEqual, verifyCurrentOrPrevious, verifyHubSignature, type ApiToken } from '../intake/auth';
import { decidePush, GithubPushSchema, GitlabPushSchema } from '../intake/push-events';
import { contentHash, deriveRequestId, randomRequestId, REQUEST_ID_PATTERN } from '../intake/ids';
import { boundedDeliveryId } from '../providers/names';
import {
  isApprovalTransition,
  JIRA_EVENTS,
  JiraIssueEventSchema,
  JiraTransitionError,
  reporterOf,
  scanDescription,
  statusTransitionOf,
  type JiraTransition,
} from '../intake/jira';
import type { IntakeJob, PlanJob } from '../intake/messages';
import {
  GithubPullRequestSchema,
  GitlabMergeRequestSchema,
  isForkMergeRequest,
  isForkPullRequest,
  PLAN_ACTIONS,
} from '../notify/plan-payloads';
import type { IntakeDeps, SubmitOutcome } from '../intake/submit';
import type { PlanServices } from '../intake/plan-jobs';
import { MAX_SOURCE_BYTES } from '../manifests/limits';
import type { ApprovalRecord, RejectedDocument, RequestSource } from '../store/types';
import { ApiError, errorResponse, unauthorized } from './errors';
import type { RequestView } from './schemas';
import { canSeeRequest } from './viewer';

export interface AppLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/**
 * What the routes need. `services()` throws a ConfigError when the configuration is invalid: every route, /healthz
 * included, then answers 503 naming the variable (errors.ts).
 */
export interface AppServices {
  /**
   * Loads what the routes other than provider deliveries need (the table's and the topic's clients): called before
   * such a route runs and before a delivery reads `intake`. Absent: everything is loaded already.
   */
  ready?: () => Promise<void>;
  intake: IntakeDeps;
  intakeQueue: QueueRef;
  trackedBranches: readonly string[];
  /** Plan pull and merge requests from forks too (PLAN_FORK_PULL_REQUESTS); off when absent. */
  planForkPullRequests?: boolean;
  /** The look-ups of a dry run (the pull-request plan's); absent, the intake table alone answers "exists". */
  plan?: Pick<PlanServices, 'store' | 'defaults' | 'cloud' | 'ownerGroups'>;
  /** The policy (and where Huawei credentials exist, the preflight) intake applies; absent, neither is. */
  governance?: () => Promise<Pick<IntakeDeps, 'policy' | 'preflight'>>;
  /** A Jira transition into this status approves the ticket's pending request (JIRA_APPROVAL_STATUS). */
  jiraApprovalStatus?: string;
}

export interface AppDeps {
  logger: AppLogger;
  secrets: () => Promise<SecretsEnv>;
  services: () => AppServices;
}

/** Lambda's synchronous payload limit: a provider body above it could never have reached us on Lambda. */
const PROVIDER_BODY_LIMIT = 6 * 1024 * 1024;
/** A queued job is far below SQS's 256 KiB; ticket blocks are the only part that grows with input. */
const MAX_JOB_BYTES = 200 * 1024;
const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);

/** 202 with where to follow the request (GET /requests/{id}). */
function accepted(c: Context, requestId: string, body: Record<string, unknown>) {
  c.header('Location', `/requests/${requestId}`);
  return c.json(body, 202);
}

const tooLarge = (limit: number) => () => {
  throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`);
};

async function rawBody(c: Context): Promise<Uint8Array> {
  return new Uint8Array(await c.req.arrayBuffer());
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, 'INVALID_ENCODING', 'request body is not valid UTF-8');
  }
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decodeUtf8(bytes));
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(400, 'INVALID_JSON', 'request body is not valid JSON');
  }
}

function requireJson(c: Context): void {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'content type must be application/json (set the webhook to send JSON)');
  }
}

function payloadError(what: string, issues: readonly { path: readonly PropertyKey[]; message: string }[]): ApiError {
  return new ApiError(400, 'INVALID_PAYLOAD', `${what} payload is missing required fields`, {
    issues: issues.slice(0, 10).map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  });
}

/**
 * JSON with every non-ASCII character escaped: SQS refuses bodies holding U+FFFE, U+FFFF or (fauxqs) astral
 * characters, which any signed payload may contain in a branch or repository name. JSON.parse restores them.
 */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The issue's page, from the REST `self` link; a self that is not an http(s) URL gives none rather than a 500. */
function browseUrl(self: string | undefined, key: string): string | undefined {
  if (!self || !URL.canParse(`/browse/${key}`, self)) return undefined;
  const url = new URL(`/browse/${key}`, self);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
}

/** For GitLab, which must never see a 4xx for a body it sent: undefined when the body is not JSON. */
function tryParseJson(bytes: Uint8Array): unknown {
  try {
    return parseJson(bytes);
  } catch {
    return undefined;
  }
}

function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`)
    .join('; ');
}

/** The commit's page (GitLab's `/-/commit/`, GitHub's `/commit/`), only from an http(s) project URL: the link is shown to people. */
function webUrl(projectUrl: string | undefined, commit: string, path: '/-/commit/' | '/commit/' = '/-/commit/'): string | undefined {
  if (!projectUrl || projectUrl.length > 1024 || !URL.canParse(projectUrl)) return undefined;
  const url = new URL(projectUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  return `${url.toString().replace(/\/$/, '')}${path}${commit}`;
}

/** Jira's issue_event_type_name for updates that only touch comments. */
const COMMENT_UPDATES = new Set(['issue_commented', 'issue_comment_edited', 'issue_comment_deleted']);

/** `?dryRun=true` previews a submission; any other value than true or false is refused rather than ignored. */
function dryRunOf(c: Context): boolean {
  const values = c.req.queries('dryRun');
  if (values === undefined) return false;
  if (values.length === 1 && (values[0] === 'true' || values[0] === 'false')) return values[0] === 'true';
  throw new ApiError(400, 'INVALID_QUERY', 'dryRun must be true or false, given once');
}

/** Branches whose changes are provisioned: the configured ones, else the repository's default branch. */
function trackedFor(tracked: readonly string[], defaultBranch: string | undefined): readonly string[] {
  return tracked.length > 0 ? tracked : defaultBranch ? [defaultBranch] : [];
}

/** A status change that cannot be attributed to anyone approves nothing: the update is then taken as any other. */
function readTransition(payload: unknown): JiraTransition | undefined {
  try {
    return statusTransitionOf(payload);
  } catch (error) {
    if (error instanceof JiraTransitionError) return undefined;
    throw error;
  }
}

const apiSource = (caller: string) => ({ provider: 'api' as const, ref: `api:${caller}`, caller, user: `api:${caller}` });

/**
 * The policy and preflight for a call, once the policy is known to have a rule for the caller at all: a caller
 * no rule matches is refused outright (403), before its body is looked at.
 */
async function governed(services: AppServices, source: RequestSource): Promise<Pick<IntakeDeps, 'policy' | 'preflight'>> {
  const governance = (await services.governance?.()) ?? {};
  if (!governance.policy) return governance;
  const [{ sourceHasAnyRule, subjectOf }, { ownerOf }] = await Promise.all([import('../policy/evaluate'), import('../reconcile/owner')]);
  if (!sourceHasAnyRule(governance.policy, subjectOf(source, ownerOf(source, services.intake.ownerGroups))))
    throw new ApiError(403, 'POLICY_DENIED', `no policy rule lets caller ${source.caller ?? source.ref} provision anything`);
  return governance;
}

/** A decision's optional body: `{"comment": "..."}`, said to the requester with the decision. */
async function decisionComment(c: Context): Promise<string | undefined> {
  const text = decodeUtf8(await rawBody(c)).trim();
  if (text === '') return undefined;
  requireJson(c);
  const body = tryParseJson(new TextEncoder().encode(text));
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ApiError(400, 'INVALID_JSON', 'the body must be a JSON object such as {"comment": "..."}');
  const { DecisionBodySchema } = await import('./schemas');
  const parsed = DecisionBodySchema.safeParse(body);
  if (!parsed.success) throw new ApiError(400, 'INVALID_COMMENT', parsed.error.issues[0]!.message);
  return parsed.data.comment?.trim() || undefined;
}

/** The approval as callers see it: who may decide, until when, and what happened, oldest first. */
function approvalView(approval: ApprovalRecord) {
  const { state, rules, reasons, approvers, requestedBy, requestedAt, expiresAt, history } = approval;
  return { state, rules, reasons, approvers, requestedBy, requestedAt, expiresAt, history };
}

const noManifest = () => new ApiError(422, 'NO_MANIFEST', 'the body holds no manifest');
const manifestInvalid = (details: { requestId?: string; documents: RejectedDocument[] }) =>
  new ApiError(422, 'MANIFEST_INVALID', 'the request was rejected: no resource was queued', details);

/**
 * What submitting `text` would do, with nothing written or queued: submit()'s own checks over the whole
 * submission (invalid manifests answer the 422 a submission would, without a request id as none is recorded),
 * then the pull-request plan's look-ups for each resource.
 */
async function planDryRun(
  services: AppServices,
  governance: Pick<IntakeDeps, 'policy' | 'preflight'>,
  text: string,
  isJson: boolean,
  source: RequestSource & { caller: string },
) {
  const [{ planSubmission, rejectedDocuments }, { planSubmitted, viewerOwner }, { refuseAtIntake }, { admit, withRefusals }] =
    await Promise.all([
      import('../manifests/submission'),
      import('../reconcile/plan'),
      import('../reconcile/owner'),
      import('../intake/admission'),
    ]);
  const lookups = {
    ...(services.plan ?? {
      store: { table: services.intake.table, now: () => new Date() },
      defaults: services.intake.defaults,
      ...(services.intake.ownerGroups ? { ownerGroups: services.intake.ownerGroups } : {}),
    }),
    ...(governance.policy ? { policy: governance.policy } : {}),
  };
  const viewer = { provider: 'api' as const, caller: source.caller };
  const checked = planSubmission([{ file: 'request', text }], services.intake.defaults, isJson);
  if (checked.documents.length === 0) throw noManifest();
  const owner = viewerOwner(viewer, lookups.ownerGroups);
  // As submit() reports a rejection (policy, preflight and ownership included): the same fields, bounded the same way.
  const admission = await admit({ table: lookups.store.table, ...governance }, checked, source, owner);
  const submission = await refuseAtIntake(lookups.store.table, withRefusals(checked, admission.notes), owner);
  const rejected = rejectedDocuments(submission.documents);
  if (rejected.length > 0) throw manifestInvalid({ documents: rejected });
  const entries = await planSubmitted(lookups, submission, viewer, admission);
  return { dryRun: true, resources: entries.map(({ kind, name, verdict, detail }) => ({ kind, name, verdict, detail })) };
}

/** The one error shape for every app serving these routes (this one and the pages', shared/http/people.ts). */
export function withErrorHandling(app: Hono, logger: AppLogger): Hono {
  app.onError((error, c) => errorResponse(c, error, (message, extra) => logger.error(message, extra)));
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  return app;
}

/**
 * The API and the providers' webhooks. The pages, sign-in and the API's description are another app
 * (shared/http/people.ts), deployed as their own function so that this one stays small to start.
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const { logger } = deps;

  const enqueue = async (job: IntakeJob | PlanJob) => {
    const { intakeQueue } = deps.services();
    const body = asciiJson(job);
    if (Buffer.byteLength(body) > MAX_JOB_BYTES) {
      throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `the manifests in this event exceed ${MAX_JOB_BYTES} bytes`);
    }
    await intakeQueue.sqs.send(new SendMessageCommand({ QueueUrl: intakeQueue.queueUrl, MessageBody: body }));
    logger.info('intake job queued', {
      ...('requestId' in job ? { requestId: job.requestId } : {}),
      type: job.type,
      deliveryId: job.deliveryId,
    });
  };

  const bearer = async (c: Context): Promise<ApiToken> => {
    const caller = authenticateBearer(c.req.header('authorization'), (await deps.secrets()).API_TOKENS);
    if (!caller) throw unauthorized();
    return caller;
  };

  withErrorHandling(app, logger);

  // Checked before every route: an invalid configuration answers 503 naming the variable, never half-works.
  // A provider delivery only queues a job; every other route reads or writes the table, which `ready` loads.
  app.use(async (c, next) => {
    const services = deps.services();
    if (!c.req.path.startsWith('/webhooks/') && c.req.path !== '/healthz') await services.ready?.();
    await next();
  });

  app.get('/healthz', async (c) => {
    try {
      await deps.secrets();
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      // Not a configuration error (Secrets Manager unreachable, access denied): the log says which, the caller need not.
      logger.error('secrets could not be read', { errorName: (error as Error).name, errorMessage: (error as Error).message });
      return c.json(
        { ok: false, error: { code: 'SECRETS_UNAVAILABLE', message: 'the secrets could not be read; the function log says why' } },
        503,
      );
    }
    return c.json({ ok: true });
  });

  app.post('/webhooks/github', limitBody(PROVIDER_BODY_LIMIT, tooLarge(PROVIDER_BODY_LIMIT)), async (c) => {
    const { GITHUB_WEBHOOK_SECRET: secret, GITHUB_WEBHOOK_SECRET_PREVIOUS: previous } = await deps.secrets();
    const body = await rawBody(c);
    const signature = c.req.header('x-hub-signature-256');
    if (!verifyCurrentOrPrevious(secret, previous, (s) => verifyHubSignature(s, body, signature))) throw unauthorized();
    const event = c.req.header('x-github-event');
    const delivery = c.req.header('x-github-delivery');
    if (!event || !delivery) throw new ApiError(400, 'MISSING_HEADER', 'X-GitHub-Event and X-GitHub-Delivery are required');
    if (event === 'ping') return c.json({ ok: true, event: 'ping' }, 200);
    if (event === 'pull_request') {
      requireJson(c);
      const pr = GithubPullRequestSchema.safeParse(parseJson(body));
      if (!pr.success) throw payloadError('pull_request', pr.error.issues);
      const { action, number, pull_request: pull, repository } = pr.data;
      if (!PLAN_ACTIONS.has(action)) return c.json({ ignored: true, reason: `pull_request ${action} changes no plan` }, 200);
      // A fork's author is anyone: by default their files are not read with our token nor answered in our name.
      const fork = isForkPullRequest(pr.data);
      if (fork && !deps.services().planForkPullRequests)
        return c.json({ ignored: true, reason: 'pull requests from forks are not planned (PLAN_FORK_PULL_REQUESTS)' }, 200);
      const tracked = trackedFor(deps.services().trackedBranches, repository.default_branch);
      if (!tracked.includes(pull.base.ref)) return c.json({ ignored: true, reason: `base branch ${pull.base.ref} is not tracked` }, 200);
      await enqueue({
        type: 'github.plan',
        deliveryId: boundedDeliveryId(delivery),
        repository: repository.full_name,
        number,
        baseRef: pull.base.ref,
        base: pull.base.sha,
        head: pull.head.sha,
        updatedAt: pull.updated_at,
        ...(fork ? { fork: true } : {}),
      });
      return c.json({ plan: true }, 202);
    }
    if (event !== 'push') return c.json({ ignored: true, reason: `event ${event} is not handled` }, 200);
    requireJson(c);
    const push = GithubPushSchema.safeParse(parseJson(body));
    if (!push.success) throw payloadError('push', push.error.issues);
    const { ref, before, after, repository, sender } = push.data;
    const decision = decidePush(ref, before, after, repository.full_name, repository.default_branch, deps.services().trackedBranches);
    if (decision.action === 'ignore') return c.json({ ignored: true, reason: decision.reason }, 200);
    // Keyed on what the signature covers: a replayed body under a fresh delivery id is the same request.
    const requestId = deriveRequestId('github', String(repository.id), ref, before, after);
    const user = sender?.login ? { user: `github:${sender.login}` } : {};
    const url = webUrl(repository.html_url, after, '/commit/');
    await enqueue({
      type: 'github.push',
      requestId,
      deliveryId: boundedDeliveryId(delivery),
      ...decision.job,
      ...(url ? { url } : {}),
      ...user,
    });
    return accepted(c, requestId, { requestId });
  });

  app.post('/webhooks/gitlab', limitBody(PROVIDER_BODY_LIMIT, tooLarge(PROVIDER_BODY_LIMIT)), async (c) => {
    const { GITLAB_WEBHOOK_TOKEN: token, GITLAB_WEBHOOK_TOKEN_PREVIOUS: previous } = await deps.secrets();
    const body = await rawBody(c);
    const presented = c.req.header('x-gitlab-token') ?? '';
    if (!verifyCurrentOrPrevious(token, previous, (t) => safeEqual(t, presented))) throw unauthorized();
    const event = c.req.header('x-gitlab-event');
    if (event === 'Merge Request Hook') {
      requireJson(c);
      const mr = GitlabMergeRequestSchema.safeParse(parseJson(body));
      // A 4xx would disable the hook: a merge request event we cannot read is ignored, not refused.
      if (!mr.success) return c.json({ ignored: true, reason: 'merge request payload is missing fields' }, 200);
      const { project, object_attributes: attrs } = mr.data;
      const changed = attrs.action === 'open' || attrs.action === 'reopen' || (attrs.action === 'update' && !!attrs.oldrev);
      if (!changed) return c.json({ ignored: true, reason: `merge request ${attrs.action ?? 'event'} changes no plan` }, 200);
      const fork = isForkMergeRequest(mr.data);
      if (fork && !deps.services().planForkPullRequests)
        return c.json({ ignored: true, reason: 'merge requests from forks are not planned (PLAN_FORK_PULL_REQUESTS)' }, 200);
      if (!trackedFor(deps.services().trackedBranches, project.default_branch).includes(attrs.target_branch)) {
        return c.json({ ignored: true, reason: `target branch ${attrs.target_branch} is not tracked` }, 200);
      }
      const delivery = boundedDeliveryId(
        c.req.header('idempotency-key') ?? c.req.header('x-gitlab-event-uuid') ?? `${project.id}:${attrs.iid}:${attrs.last_commit.id}`,
      );
      await enqueue({
        type: 'gitlab.plan',
        deliveryId: delivery,
        projectId: project.id,
        repository: project.path_with_namespace,
        iid: attrs.iid,
        baseRef: attrs.target_branch,
        base: attrs.diff_refs?.base_sha ?? '0'.repeat(40),
        head: attrs.diff_refs?.head_sha ?? attrs.last_commit.id,
        updatedAt: attrs.updated_at,
        ...(fork ? { fork: true } : {}),
      });
      return c.json({ plan: true }, 202);
    }
    // GitLab disables a hook that answers 4xx, so events we do not handle still get a 2xx.
    if (event !== 'Push Hook') return c.json({ ignored: true, reason: `event ${event ?? '(none)'} is not handled` }, 200);
    // From here on every refusal is a 200 with a reason, for the same reason as above.
    const push = GitlabPushSchema.safeParse(tryParseJson(body));
    if (!push.success)
      return c.json({ ignored: true, reason: `Push Hook payload not understood: ${describeIssues(push.error.issues)}` }, 200);
    const { ref, before, after, project, project_id: projectId, user_username: username } = push.data;
    const decision = decidePush(ref, before, after, project.path_with_namespace, project.default_branch, deps.services().trackedBranches);
    if (decision.action === 'ignore') return c.json({ ignored: true, reason: decision.reason }, 200);
    // GitLab does not sign bodies; the key is still the push itself, so a resent body is the same request.
    const requestId = deriveRequestId('gitlab', String(projectId), ref, before, after);
    const delivery = boundedDeliveryId(c.req.header('idempotency-key') ?? c.req.header('x-gitlab-event-uuid') ?? requestId);
    const url = webUrl(project.web_url, after);
    const user = username ? { user: `gitlab:${username}` } : {};
    await enqueue({ type: 'gitlab.push', requestId, deliveryId: delivery, projectId, ...decision.job, ...(url ? { url } : {}), ...user });
    return accepted(c, requestId, { requestId });
  });

  app.post('/webhooks/jira', limitBody(PROVIDER_BODY_LIMIT, tooLarge(PROVIDER_BODY_LIMIT)), async (c) => {
    const { JIRA_WEBHOOK_SECRET: secret, JIRA_WEBHOOK_SECRET_PREVIOUS: previous } = await deps.secrets();
    const body = await rawBody(c);
    const signature = c.req.header('x-hub-signature');
    if (!verifyCurrentOrPrevious(secret, previous, (s) => verifyHubSignature(s, body, signature))) throw unauthorized();
    requireJson(c);
    const raw = parseJson(body);
    const payload = JiraIssueEventSchema.safeParse(raw);
    if (!payload.success) throw payloadError('Jira issue event', payload.error.issues);
    const { webhookEvent, issue } = payload.data;
    if (!(JIRA_EVENTS as readonly string[]).includes(webhookEvent))
      return c.json({ ignored: true, reason: `event ${webhookEvent} is not handled` }, 200);
    // Our own feedback comments arrive back as issue updates; they cannot change the manifests.
    const typeName = (payload.data as { issue_event_type_name?: unknown }).issue_event_type_name;
    if (typeof typeName === 'string' && COMMENT_UPDATES.has(typeName))
      return c.json({ ignored: true, reason: `${typeName} changes no manifest` }, 200);
    const { blocks, descriptionChars } = scanDescription(issue.fields?.description);
    if (blocks.length === 0 && descriptionChars === undefined)
      return c.json({ ignored: true, reason: 'the description has no yaml code block' }, 200);
    // The id follows the content: a comment or transition that leaves the manifests alone maps to the same request.
    const requestId = deriveRequestId(
      'jira',
      issue.key,
      contentHash(...blocks),
      ...(descriptionChars ? [`chars:${descriptionChars}`] : []),
    );
    const approvalStatus = deps.services().jiraApprovalStatus;
    const transition = webhookEvent === 'jira:issue_updated' && approvalStatus ? readTransition(raw) : undefined;
    if (transition && approvalStatus && isApprovalTransition(transition, approvalStatus)) {
      const decided = await approveFromJira(requestId, transition);
      if (decided) return c.json(decided, 200);
    }
    const delivery = boundedDeliveryId(c.req.header('x-atlassian-webhook-identifier') ?? requestId);
    const url = browseUrl(issue.self, issue.key);
    const reporter = reporterOf(raw);
    await enqueue({
      type: 'jira.issue',
      requestId,
      deliveryId: delivery,
      ticket: issue.key,
      blocks,
      ...(descriptionChars ? { descriptionChars } : {}),
      ...(url ? { url } : {}),
      ...(reporter ? { user: `jira:${reporter}` } : {}),
    });
    return accepted(c, requestId, { requestId });
  });

  /**
   * A ticket moved into the approval status approves its pending request, as the transition's author (never the
   * reporter). Answered 200 whatever the verdict, with it in words: Jira cannot act on a refusal. Undefined when
   * no request of this content is recorded yet (the ticket's own event may still be on its way): the caller then
   * queues the ticket as usual.
   */
  async function approveFromJira(requestId: string, transition: JiraTransition) {
    const by = `jira:${transition.actor.id}`;
    if (transition.reporter && transition.reporter.id === transition.actor.id)
      return { ignored: true, requestId, reason: `${by} reported the ticket and cannot also approve it` };
    const { decideApproval, ApprovalError } = await import('../reconcile/approval');
    await deps.services().ready?.();
    const intake = deps.services().intake;
    try {
      const outcome = await decideApproval({ ...intake, now: intake.now ?? (() => new Date()) }, requestId, {
        approve: true,
        by,
        channel: 'jira',
        comment: `moved to ${transition.toStatus}`,
      });
      logger.info('request approved from Jira', { requestId, duplicate: outcome.duplicate });
      return { approved: true, requestId, duplicate: outcome.duplicate };
    } catch (error) {
      if (!(error instanceof ApprovalError)) throw error;
      if (error.code === 'REQUEST_NOT_FOUND') return undefined;
      return { ignored: true, requestId, reason: error.message };
    }
  }

  app.post('/requests', limitBody(MAX_SOURCE_BYTES, tooLarge(MAX_SOURCE_BYTES)), async (c) => {
    const caller = await bearer(c);
    if (!hasRole(caller, 'submit')) throw new ApiError(403, 'FORBIDDEN', `caller ${caller.caller} does not have the submit role`);
    const dryRun = dryRunOf(c);
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const isJson = type === 'application/json';
    if (!isJson && !YAML_TYPES.has(type)) {
      throw new ApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'content type must be application/json, application/yaml, application/x-yaml or text/yaml',
      );
    }
    const text = decodeUtf8(await rawBody(c));
    const key = c.req.header('idempotency-key');
    if (key !== undefined && (key.length === 0 || key.length > 256))
      throw new ApiError(400, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1-256 characters');
    const services = deps.services();
    const source = apiSource(caller.caller);
    const governance = await governed(services, source);
    if (dryRun) return c.json(await planDryRun(services, governance, text, isJson, source), 200);
    const requestId = key ? deriveRequestId('api', caller.caller, key) : randomRequestId();
    // Loaded on first use: manifest validation (yaml, every kind's schema) and the store are this route's alone.
    const { submit, IdempotencyConflictError } = await import('../intake/submit');
    let outcome: SubmitOutcome;
    try {
      outcome = await submit(
        { ...services.intake, ...governance },
        {
          requestId,
          source,
          files: [{ file: 'request', text }],
          ...(key ? { contentHash: contentHash(type, text) } : {}),
          sequenceAsDocuments: isJson,
        },
      );
    } catch (error) {
      if (error instanceof IdempotencyConflictError) throw new ApiError(409, error.code, error.message, { requestId: error.requestId });
      throw error;
    }
    if (outcome.status === 'empty') throw noManifest();
    if (outcome.status === 'rejected') throw manifestInvalid({ requestId: outcome.requestId, documents: outcome.documents });
    logger.info('request accepted', { requestId: outcome.requestId, resources: outcome.resources.length, duplicate: outcome.duplicate });
    // A replay returns the first response: submit reports the states the resources were first recorded with.
    const resources = outcome.resources.map(({ kind, name, state }) => ({ kind, name, state }));
    return accepted(c, outcome.requestId, {
      requestId: outcome.requestId,
      ...(outcome.approval?.state === 'Pending' ? { state: 'PendingApproval', approval: approvalView(outcome.approval) } : {}),
      resources,
    });
  });

  // Removes one managed resource: deleted (the default here: the caller asks for it by name) or, with
  // ?deletionPolicy=Orphan, left running and no longer managed. Only the owning namespace may.
  app.delete('/resources/:kind/:name', async (c) => {
    const caller = await bearer(c);
    if (!hasRole(caller, 'submit')) throw new ApiError(403, 'FORBIDDEN', `caller ${caller.caller} does not have the submit role`);
    const { isKind } = await import('../kinds/registry');
    const kind = c.req.param('kind');
    const name = c.req.param('name');
    if (!isKind(kind)) throw new ApiError(404, 'UNKNOWN_KIND', `no kind ${kind.slice(0, 64)}`);
    const services = deps.services();
    const given = c.req.query('projectId') ?? services.intake.defaults.projectId;
    if (!given) throw new ApiError(400, 'PROJECT_ID_REQUIRED', 'projectId is required: no default project is configured');
    const { DeleteQuerySchema, DELETE_QUERY_CODES } = await import('./schemas');
    const query = DeleteQuerySchema.safeParse({
      projectId: given,
      region: c.req.query('region'),
      deletionPolicy: c.req.query('deletionPolicy'),
    });
    if (!query.success) {
      const [issue] = query.error.issues;
      throw new ApiError(400, DELETE_QUERY_CODES[issue!.path[0] as keyof typeof DELETE_QUERY_CODES], issue!.message);
    }
    const { projectId = given, region, deletionPolicy: policy } = query.data;
    const key = c.req.header('idempotency-key');
    if (key !== undefined && (key.length === 0 || key.length > 256))
      throw new ApiError(400, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1-256 characters');
    const [{ removalOfCall, RemovalRefusedError }, { submit }, { ownerOf }] = await Promise.all([
      import('../intake/removal'),
      import('../intake/submit'),
      import('../reconcile/owner'),
    ]);
    const source = apiSource(caller.caller);
    const governance = await governed(services, source);
    const operation = policy === 'Delete' ? 'delete' : 'orphan';
    let removal: Awaited<ReturnType<typeof removalOfCall>>;
    try {
      removal = await removalOfCall(
        services.intake.table,
        { projectId, kind, name, operation, ...(region ? { region } : {}) },
        ownerOf(source, services.intake.ownerGroups),
      );
    } catch (error) {
      if (!(error instanceof RemovalRefusedError)) throw error;
      const status = error.code === 'RESOURCE_NOT_FOUND' ? 404 : error.code === 'OWNED_ELSEWHERE' ? 403 : 409;
      throw new ApiError(status, error.code, error.message);
    }
    const requestId = key ? deriveRequestId('api', caller.caller, `delete:${key}`) : randomRequestId();
    const outcome = await submit({ ...services.intake, ...governance }, { requestId, source, files: [], removals: [removal] });
    if (outcome.status !== 'accepted') throw new ApiError(409, 'NOT_ACCEPTED', `the removal was not accepted (${outcome.status})`);
    logger.info('removal accepted', { requestId: outcome.requestId, kind, operation });
    return accepted(c, outcome.requestId, { requestId: outcome.requestId, resources: outcome.resources });
  });

  // An approver decides on a request a policy rule holds; the requester cannot (shared/reconcile/approval.ts).
  for (const action of ['approve', 'reject'] as const) {
    app.post(`/requests/:id/${action}`, limitBody(16 * 1024, tooLarge(16 * 1024)), async (c) => {
      const caller = await bearer(c);
      if (!hasRole(caller, 'approve')) throw new ApiError(403, 'FORBIDDEN', `caller ${caller.caller} does not have the approve role`);
      const id = c.req.param('id');
      if (!REQUEST_ID_PATTERN.test(id)) throw new ApiError(404, 'REQUEST_NOT_FOUND', `no request ${id.slice(0, 64)}`);
      const comment = await decisionComment(c);
      const { decideApproval, ApprovalError } = await import('../reconcile/approval');
      const intake = deps.services().intake;
      try {
        const outcome = await decideApproval({ ...intake, now: intake.now ?? (() => new Date()) }, id, {
          approve: action === 'approve',
          by: `api:${caller.caller}`,
          channel: 'api',
          ...(comment ? { comment } : {}),
        });
        logger.info(`request ${outcome.state.toLowerCase()}`, { requestId: id, by: caller.caller, duplicate: outcome.duplicate });
        return c.json(outcome, 200);
      } catch (error) {
        if (!(error instanceof ApprovalError)) throw error;
        const status = { REQUEST_NOT_FOUND: 404, SELF_APPROVAL: 403, NOT_AN_APPROVER: 403, NOT_PENDING: 409, APPROVAL_EXPIRED: 409 }[
          error.code
        ];
        throw new ApiError(status as 403, error.code, error.message);
      }
    });
  }

  // Lists and one managed resource, scoped to the caller (reads.ts; loaded on first use).
  const readContext = async (c: Context) => {
    const caller = await bearer(c);
    const { intake } = deps.services();
    return {
      caller,
      table: intake.table,
      ...(intake.ownerGroups ? { ownerGroups: intake.ownerGroups } : {}),
      ...(intake.defaults.projectId ? { defaultProjectId: intake.defaults.projectId } : {}),
    };
  };
  app.get('/requests', async (c) => (await import('./reads')).listRequestsRoute(c, await readContext(c)));
  app.get('/resources', async (c) => (await import('./reads')).listResourcesRoute(c, await readContext(c)));
  app.get('/resources/:kind/:name', async (c) => (await import('./reads')).getResourceRoute(c, await readContext(c)));

  app.get('/requests/:id', async (c) => {
    const caller = await bearer(c);
    const id = c.req.param('id');
    const { getRequestView, overallState } = await import('../store/requests');
    const found = REQUEST_ID_PATTERN.test(id) ? await getRequestView(deps.services().intake.table, id) : undefined;
    // Someone else's request answers exactly as a missing one does, so ids cannot be probed for existence. An
    // approver sees the requests that asked for an approval, to judge them.
    if (!found || !canSeeRequest({ kind: 'token', caller }, found.request))
      throw new ApiError(404, 'REQUEST_NOT_FOUND', `no request ${id.slice(0, 64)}`);
    const { request, resources } = found;
    // What each resource is now, beyond this request: its conditions and, from the last look for drift, the diff.
    const { getManagedConditions } = await import('../store/managed');
    const managed = await getManagedConditions(deps.services().intake.table, resources);
    const now = (r: (typeof resources)[number]) => {
      const m = managed.get(`${r.projectId}/${r.kind}/${r.name}`);
      if (!m) return {};
      return {
        conditions: m.conditions,
        ...(m.drift?.length ? { drift: m.drift } : {}),
        ...(m.observation ? { observedAt: m.observation.at } : {}),
      };
    };
    return c.json({
      requestId: request.requestId,
      state: overallState(request, resources),
      source: request.source,
      createdAt: request.createdAt,
      updatedAt: resources.reduce((latest, r) => (r.updatedAt > latest ? r.updatedAt : latest), request.updatedAt),
      ...(request.rejected ? { errors: request.rejected } : {}),
      ...(request.approval ? { approval: approvalView(request.approval) } : {}),
      resources: resources.map((r) => ({
        kind: r.kind,
        name: r.name,
        state: r.state,
        operation: r.operation ?? null,
        ...(r.changes?.length ? { changes: r.changes } : {}),
        projectId: r.projectId,
        region: r.region,
        file: r.file,
        huaweiId: r.huaweiId ?? null,
        reason: r.reason ?? null,
        message: r.message ?? null,
        createdAt: r.createdAt,
        updatedAt: r.updatedAt,
        ...now(r),
      })),
    } satisfies RequestView);
  });

  return app;
}

/**
 * The providers' webhooks (GitHub, GitLab, Jira) and /healthz: each delivery is verified and queued for intake
 * (functions/webhook.ts). Nothing here reads or writes the table, a Jira approval included: intake decides it.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Hono } from 'hono';
import { ConfigError } from '../config';
import { safeEqual, verifyCurrentOrPrevious, verifyHubSignature } from '../intake/auth';
import { contentHash, deriveRequestId } from '../intake/ids';
import {
  isApprovalTransition,
  JIRA_EVENTS,
  jiraIssueEventSchema,
  JiraTransitionError,
  reporterOf,
  scanDescription,
  statusTransitionOf,
  type JiraTransition,
} from '../intake/jira';
import type { IntakeJob, PlanJob } from '../intake/messages';
import { decidePush, githubPushSchema, gitlabPushSchema } from '../intake/push-events';
import {
  GithubPullRequestSchema,
  GitlabMergeRequestSchema,
  isForkMergeRequest,
  isForkPullRequest,
  PLAN_ACTIONS,
} from '../notify/plan-payloads';
import { boundedDeliveryId } from '../providers/names';
import { limitBody } from './body-limit';
import { accepted, baseApp, parseJson, rawBody, requireJson, tooLarge, tryParseJson, type AppDeps } from './common';
import { ApiError, unauthorized } from './errors';

/** Lambda's synchronous payload limit: a provider body above it could never have reached us on Lambda. */
const PROVIDER_BODY_LIMIT = 6 * 1024 * 1024;
/** A queued job is far below SQS's 256 KiB; ticket blocks are the only part that grows with input. */
const MAX_JOB_BYTES = 200 * 1024;

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

/** The webhooks and /healthz, added to `app`. */
export function addDeliveryRoutes(app: Hono, deps: AppDeps): Hono {
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
    const push = githubPushSchema().safeParse(parseJson(body));
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
    const push = gitlabPushSchema().safeParse(tryParseJson(body));
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
    const payload = jiraIssueEventSchema().safeParse(raw);
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
    // A move into the approval status approves the ticket's pending request, as its author and never as the
    // reporter. Intake decides (this function holds no table); Jira cannot act on the verdict, which is logged.
    let approval: { by: string; toStatus: string } | undefined;
    if (transition && approvalStatus && isApprovalTransition(transition, approvalStatus)) {
      const by = `jira:${transition.actor.id}`;
      if (transition.reporter && transition.reporter.id === transition.actor.id)
        return c.json({ ignored: true, requestId, reason: `${by} reported the ticket and cannot also approve it` }, 200);
      // Bounded as the job schema bounds it (the status only goes into the approval's comment).
      approval = { by, toStatus: transition.toStatus.slice(0, 255) };
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
      ...(approval ? { approval } : {}),
    });
    return accepted(c, requestId, { requestId, ...(approval ? { approval: 'queued' } : {}) });
  });

  return app;
}

/** The webhook function's app. */
export function createWebhookApp(deps: AppDeps): Hono {
  return addDeliveryRoutes(baseApp(deps), deps);
}

/**
 * The API: submit, preview, remove, approve or reject, and read requests and managed resources, each call
 * authenticated by its bearer token (functions/api.ts).
 */
import type { Context, Hono } from 'hono';
import { admit, withRefusals } from '../intake/admission';
import { authenticateBearer, hasRole, type ApiToken } from '../intake/auth';
import { contentHash, deriveRequestId, randomRequestId, REQUEST_ID_PATTERN } from '../intake/ids';
import { removalOfCall, RemovalRefusedError } from '../intake/removal';
import { IdempotencyConflictError, submit, type IntakeDeps, type SubmitOutcome } from '../intake/submit';
import { isKind } from '../kinds/registry';
import { MAX_SOURCE_BYTES } from '../manifests/limits';
import { planSubmission, rejectedDocuments } from '../manifests/submission';
import { sourceHasAnyRule, subjectOf } from '../policy/evaluate';
import { ApprovalError, decideApproval } from '../reconcile/approval';
import { ownerOf, refuseAtIntake } from '../reconcile/owner';
import { planSubmitted, viewerOwner } from '../reconcile/plan';
import { getManagedConditions } from '../store/managed';
import { getRequestView, overallState } from '../store/requests';
import type { ApprovalRecord, RejectedDocument, RequestSource } from '../store/types';
import { limitBody } from './body-limit';
import { accepted, baseApp, decodeUtf8, rawBody, requireJson, tooLarge, tryParseJson, type AppDeps, type AppServices } from './common';
import { ApiError, unauthorized } from './errors';
import { getResourceRoute, listRequestsRoute, listResourcesRoute } from './reads';
import { DecisionBodySchema, DELETE_QUERY_CODES, DeleteQuerySchema } from './inputs';
import type { RequestView } from './schemas';
import { canSeeRequest } from './viewer';

const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);

/** `?dryRun=true` previews a submission; any other value than true or false is refused rather than ignored. */
function dryRunOf(c: Context): boolean {
  const values = c.req.queries('dryRun');
  if (values === undefined) return false;
  if (values.length === 1 && (values[0] === 'true' || values[0] === 'false')) return values[0] === 'true';
  throw new ApiError(400, 'INVALID_QUERY', 'dryRun must be true or false, given once');
}

const apiSource = (caller: string) => ({ provider: 'api' as const, ref: `api:${caller}`, caller, user: `api:${caller}` });

/**
 * The policy and preflight for a call, once the policy is known to have a rule for the caller at all: a caller
 * no rule matches is refused outright (403), before its body is looked at.
 */
async function governed(services: AppServices, source: RequestSource): Promise<Pick<IntakeDeps, 'policy' | 'preflight'>> {
  const governance = (await services.governance?.()) ?? {};
  if (!governance.policy) return governance;
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

/** The API's routes, added to `app`. */
export function addApiRoutes(app: Hono, deps: AppDeps): Hono {
  const { logger } = deps;

  const bearer = async (c: Context): Promise<ApiToken> => {
    const caller = authenticateBearer(c.req.header('authorization'), (await deps.secrets()).API_TOKENS);
    if (!caller) throw unauthorized();
    return caller;
  };

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
    const kind = c.req.param('kind');
    const name = c.req.param('name');
    if (!isKind(kind)) throw new ApiError(404, 'UNKNOWN_KIND', `no kind ${kind.slice(0, 64)}`);
    const services = deps.services();
    const given = c.req.query('projectId') ?? services.intake.defaults.projectId;
    if (!given) throw new ApiError(400, 'PROJECT_ID_REQUIRED', 'projectId is required: no default project is configured');
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

  // Lists and one managed resource, scoped to the caller (reads.ts).
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
  app.get('/requests', async (c) => listRequestsRoute(c, await readContext(c)));
  app.get('/resources', async (c) => listResourcesRoute(c, await readContext(c)));
  app.get('/resources/:kind/:name', async (c) => getResourceRoute(c, await readContext(c)));

  app.get('/requests/:id', async (c) => {
    const caller = await bearer(c);
    const id = c.req.param('id');
    const found = REQUEST_ID_PATTERN.test(id) ? await getRequestView(deps.services().intake.table, id) : undefined;
    // Someone else's request answers exactly as a missing one does, so ids cannot be probed for existence. An
    // approver sees the requests that asked for an approval, to judge them.
    if (!found || !canSeeRequest({ kind: 'token', caller }, found.request))
      throw new ApiError(404, 'REQUEST_NOT_FOUND', `no request ${id.slice(0, 64)}`);
    const { request, resources } = found;
    // What each resource is now, beyond this request: its conditions and, from the last look for drift, the diff.
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

/** The API function's app. */
export function createApiApp(deps: AppDeps): Hono {
  return addApiRoutes(baseApp(deps), deps);
}

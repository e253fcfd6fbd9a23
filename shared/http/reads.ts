/**
 * The list routes: GET /requests, GET /resources and GET /resources/{kind}/{name}. Loaded on their first call
 * (app.ts), so the webhook's cold start does not pay for them. What a caller sees is scoped as GET /requests/{id}:
 * read-all sees everything; anyone else their own (and an approver the requests that asked for an approval).
 */
import type { Context } from 'hono';
import type * as z from 'zod';
import type { ApiToken } from '../config';
import { hasRole } from '../intake/auth';
import { isKind } from '../kinds/registry';
import { ownerOf, type OwnerGroups } from '../reconcile/owner';
import { InvalidCursorError, listManaged, listRequests } from '../store/lists';
import { getManaged } from '../store/managed';
import type { TableRef } from '../store/requests';
import type { ManagedResource } from '../store/types';
import { ApiError } from './errors';
import {
  GetResourceQuerySchema,
  ListRequestsQuerySchema,
  ListResourcesQuerySchema,
  type ManagedResourceViewSchema,
  type RequestSummaryViewSchema,
} from './queries';

export interface ReadContext {
  caller: ApiToken;
  table: TableRef;
  ownerGroups?: OwnerGroups;
  defaultProjectId?: string;
}

/** The query string through its schema; a parameter given twice is refused rather than one of them ignored. */
function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const raw: Record<string, string> = {};
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (values.length !== 1) throw new ApiError(400, 'INVALID_QUERY', `${name.slice(0, 64)} must be given once`);
    raw[name] = values[0]!;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => k.slice(0, 64)).join(', ') : issue.path.join('.');
    throw new ApiError(400, 'INVALID_QUERY', `${where}: ${issue.message}`);
  }
  return parsed.data;
}

function cursorError(error: unknown): never {
  if (error instanceof InvalidCursorError) throw new ApiError(400, error.code, error.message);
  throw error;
}

const callerNamespace = (ctx: ReadContext) =>
  ownerOf({ provider: 'api', ref: `api:${ctx.caller.caller}`, caller: ctx.caller.caller }, ctx.ownerGroups);

export async function listRequestsRoute(c: Context, ctx: ReadContext) {
  const query = parseQuery(c, ListRequestsQuerySchema);
  const everything = hasRole(ctx.caller, 'read-all') && !query.mine;
  const scope = everything
    ? {}
    : { caller: ctx.caller.caller, ...(hasRole(ctx.caller, 'approve') && !query.mine ? { approvals: true } : {}) };
  const page = await listRequests(
    ctx.table,
    { ...(query.source ? { provider: query.source } : {}), ...(query.state ? { state: query.state } : {}), ...scope },
    { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) },
  ).catch(cursorError);
  const requests: z.infer<typeof RequestSummaryViewSchema>[] = page.items.map(({ approval, ...item }) => ({
    ...item,
    ...(approval ? { approvalState: approval.state } : {}),
  }));
  return c.json({ requests, ...(page.cursor ? { nextCursor: page.cursor } : {}) });
}

/** A managed resource as callers see it: never its desired spec (a manifest may carry values people should not read). */
function resourceView(m: Omit<ManagedResource, 'desired' | 'specHash' | 'previousDesired' | 'requestIds' | 'dependents'>) {
  const view: z.infer<typeof ManagedResourceViewSchema> = {
    kind: m.kind,
    name: m.name,
    projectId: m.projectId,
    region: m.region,
    owner: m.owner,
    state: m.state,
    ...(m.operation ? { operation: m.operation } : {}),
    ...(m.huaweiId ? { huaweiId: m.huaweiId } : {}),
    generation: m.generation,
    source: m.source,
    conditions: m.conditions,
    ...(m.observation ? { observation: m.observation } : {}),
    ...(m.drift?.length ? { drift: m.drift } : {}),
    requestId: m.requestId,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
  return view;
}

export async function listResourcesRoute(c: Context, ctx: ReadContext) {
  const query = parseQuery(c, ListResourcesQuerySchema);
  if (query.kind !== undefined && !isKind(query.kind)) throw new ApiError(400, 'UNKNOWN_KIND', `no kind ${query.kind}`);
  let owner = query.owner;
  if (!hasRole(ctx.caller, 'read-all')) {
    const own = callerNamespace(ctx);
    if (owner !== undefined && owner !== own)
      throw new ApiError(
        403,
        'FORBIDDEN',
        `caller ${ctx.caller.caller} may list only the resources of ${own} (read-all lists any owner's)`,
      );
    owner = own;
  }
  const page = await listManaged(
    ctx.table,
    { ...(query.kind ? { kind: query.kind } : {}), ...(owner ? { owner } : {}) },
    { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) },
  ).catch(cursorError);
  return c.json({ resources: page.items.map(resourceView), ...(page.cursor ? { nextCursor: page.cursor } : {}) });
}

export async function getResourceRoute(c: Context, ctx: ReadContext) {
  const query = parseQuery(c, GetResourceQuerySchema);
  const kind = c.req.param('kind') ?? '';
  const name = c.req.param('name') ?? '';
  if (!isKind(kind)) throw new ApiError(404, 'UNKNOWN_KIND', `no kind ${kind.slice(0, 64)}`);
  const projectId = query.projectId ?? ctx.defaultProjectId;
  if (!projectId) throw new ApiError(400, 'PROJECT_ID_REQUIRED', 'projectId is required: no default project is configured');
  const notFound = () => new ApiError(404, 'RESOURCE_NOT_FOUND', `no ${kind} ${name.slice(0, 64)} in project ${projectId}`);
  if (name.length === 0 || name.length > 128) throw notFound();
  const managed = await getManaged(ctx.table, projectId, kind, name);
  // Another namespace's resource answers as a missing one does: names cannot be probed for existence.
  if (!managed || (!hasRole(ctx.caller, 'read-all') && managed.owner !== callerNamespace(ctx))) throw notFound();
  return c.json({ ...resourceView(managed), requestIds: managed.requestIds });
}

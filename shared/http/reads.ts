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
import type { OwnerGroups } from '../reconcile/owner';
import { InvalidCursorError, listManaged, listRequests } from '../store/lists';
import { getManaged } from '../store/managed';
import type { TableRef } from '../store/requests';
import type { ManagedResource } from '../store/types';
import { ApiError } from './errors';
import { ownNamespace, requestListScope } from './scope';
import type { Viewer } from './viewer';
import { GetResourceQuerySchema, QueryError, readQuery, ListRequestsQuerySchema, ListResourcesQuerySchema } from './queries';
import type { ManagedResourceViewSchema, RequestSummaryViewSchema } from './schemas';

export interface ReadContext {
  caller: ApiToken;
  table: TableRef;
  ownerGroups?: OwnerGroups;
  defaultProjectId?: string;
}

/** The query string through its schema, refused as a 400 naming the parameter. */
function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  try {
    return readQuery(c.req.queries(), schema);
  } catch (error) {
    if (error instanceof QueryError) throw new ApiError(400, error.code, error.message);
    throw error;
  }
}

function cursorError(error: unknown): never {
  if (error instanceof InvalidCursorError) throw new ApiError(400, error.code, error.message);
  throw error;
}

/** A bearer token is a viewer as a signed-in person is: the same scope rules (scope.ts) apply. */
const viewerOf = (ctx: ReadContext): Viewer => ({ kind: 'token', caller: ctx.caller });

export async function listRequestsRoute(c: Context, ctx: ReadContext) {
  const query = parseQuery(c, ListRequestsQuerySchema);
  // A token always has a scope (its own requests at least).
  const scope = requestListScope(viewerOf(ctx), query.mine === true) ?? {};
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
    const own = ownNamespace(viewerOf(ctx), ctx.ownerGroups);
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
  if (!managed || (!hasRole(ctx.caller, 'read-all') && managed.owner !== ownNamespace(viewerOf(ctx), ctx.ownerGroups))) throw notFound();
  return c.json({ ...resourceView(managed), requestIds: managed.requestIds });
}

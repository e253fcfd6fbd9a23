/**
 * What the list routes take and answer (GET /requests, GET /resources, GET /resources/{kind}/{name}): the query
 * strings are validated with these schemas, and the OpenAPI description is generated from the same ones.
 */
import * as z from 'zod';
import { ConditionsSchema, DriftSchema, RequestSourceSchema } from './schemas';
import { PROVIDERS, REQUEST_STATES } from '../store/types';

/** A query string its schema refuses: the message names the parameter. */
export class QueryError extends Error {
  readonly code = 'INVALID_QUERY';
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

/**
 * A query string (Hono's `c.req.queries()`) through its schema. A parameter given twice is refused rather than
 * one of them ignored; `dropEmpty` drops the empty values a GET form sends for "any".
 */
export function readQuery<S extends z.ZodType>(queries: Record<string, string[]>, schema: S, dropEmpty = false): z.infer<S> {
  const raw: Record<string, string> = {};
  for (const [name, values] of Object.entries(queries)) {
    if (values.length !== 1) throw new QueryError(`${name.slice(0, 64)} must be given once`);
    if (!dropEmpty || values[0] !== '') raw[name] = values[0]!;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => k.slice(0, 64)).join(', ') : issue.path.join('.');
  throw new QueryError(`${where}: ${issue.message}`);
}

const limit = z.coerce.number().int().min(1).max(100).default(25);
const cursor = z.string().min(1).max(2048).optional();

export const ListRequestsQuerySchema = z.strictObject({
  source: z.enum(PROVIDERS).optional(),
  state: z.enum(REQUEST_STATES).optional(),
  /** Only the caller's own requests, whatever else the caller may see. */
  mine: z.stringbool().optional(),
  limit,
  cursor,
});

export const ListResourcesQuerySchema = z.strictObject({
  kind: z.string().min(1).max(64).optional(),
  owner: z.string().min(1).max(256).optional(),
  limit,
  cursor,
});

export const GetResourceQuerySchema = z.strictObject({
  projectId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be 1-64 letters, digits or -')
    .optional(),
});

/** A managed resource's source is its request's, narrowed to the file. */
const SourceViewSchema = RequestSourceSchema.extend({ file: z.string().optional() });

export const RequestSummaryViewSchema = z.object({
  requestId: z.string(),
  state: z.enum(REQUEST_STATES),
  source: SourceViewSchema,
  resourceCount: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  completedAt: z.iso.datetime().optional(),
  approvalState: z.enum(['Pending', 'Approved', 'Rejected', 'Expired']).optional(),
});

export const RequestListViewSchema = z.object({
  requests: z.array(RequestSummaryViewSchema),
  nextCursor: z.string().optional(),
});

export const ManagedResourceViewSchema = z.object({
  kind: z.string(),
  name: z.string(),
  projectId: z.string(),
  region: z.string(),
  owner: z.string(),
  state: z.enum(['InFlight', 'Succeeded', 'Failed', 'Deleted', 'Orphaned']),
  operation: z.enum(['create', 'update', 'recreate', 'delete', 'orphan']).optional(),
  huaweiId: z.string().optional(),
  generation: z.number().int(),
  source: SourceViewSchema,
  conditions: ConditionsSchema,
  observation: z
    .object({ at: z.iso.datetime(), phase: z.string(), reason: z.string().optional(), message: z.string().optional() })
    .optional(),
  drift: DriftSchema.optional(),
  /** The request holding the lifecycle now, or the last one that did. */
  requestId: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const ResourceListViewSchema = z.object({
  resources: z.array(ManagedResourceViewSchema),
  nextCursor: z.string().optional(),
});

export const ResourceDetailViewSchema = ManagedResourceViewSchema.extend({
  /** Every request that took the lifecycle on, oldest first. */
  requestIds: z.array(z.string()),
});

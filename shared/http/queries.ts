/**
 * What the list routes take and answer (GET /requests, GET /resources, GET /resources/{kind}/{name}): the query
 * strings are validated with these schemas, and the OpenAPI description is generated from the same ones.
 */
import * as z from 'zod';
import { PROVIDERS, REQUEST_STATES } from '../store/types';

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

const SourceViewSchema = z.object({
  provider: z.enum(PROVIDERS),
  ref: z.string(),
  repository: z.string().optional(),
  commit: z.string().optional(),
  branch: z.string().optional(),
  ticket: z.string().optional(),
  caller: z.string().optional(),
  url: z.string().optional(),
  user: z.string().optional(),
  file: z.string().optional(),
});

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

const ConditionSchema = z.object({
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string().optional(),
  lastTransitionTime: z.iso.datetime(),
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
  conditions: z.object({ Ready: ConditionSchema, Synced: ConditionSchema, Healthy: ConditionSchema }),
  observation: z
    .object({ at: z.iso.datetime(), phase: z.string(), reason: z.string().optional(), message: z.string().optional() })
    .optional(),
  drift: z.array(z.object({ path: z.string(), desired: z.unknown(), observed: z.unknown() })).optional(),
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

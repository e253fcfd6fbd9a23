/**
 * The published event contract as zod schemas: the source of schemas/event.schema.json for subscribers, and
 * what the notifier (our own subscriber) parses with, so the two cannot drift apart.
 */
import * as z from 'zod';
import { KINDS } from '../kinds/registry';
import { EVENT_TYPES, type EventType } from './cloudevents';

const SourceSchema = z
  .object({
    provider: z.enum(['github', 'gitlab', 'jira', 'api', 'queue']),
    ref: z.string().describe('owner/repo@sha, a ticket key, api:<caller> or queue:<system>'),
    deliveryId: z.string().optional(),
    repository: z.string().optional(),
    commit: z.string().optional(),
    branch: z.string().optional(),
    ticket: z.string().optional(),
    caller: z.string().optional(),
    url: z.string().optional(),
    user: z.string().optional().describe('Who asked, as provider:user (github:octocat, jira:<accountId>, api:<caller>)'),
  })
  .describe('Where the request came from');

const MessageSchema = z
  .string()
  .nullable()
  .describe("What happened, in words: Huawei's message (e.g. its fail_reason), or ours for causes of our own such as a failed dependency");

const ResourceDataSchema = z.object({
  requestId: z.string(),
  source: SourceSchema,
  kind: z.enum(KINDS),
  name: z.string().describe('metadata.name of the manifest'),
  region: z.string(),
  projectId: z.string(),
  huaweiId: z.string().nullable().describe("Huawei's id of the resource, when one was created or adopted"),
  state: z.enum(['Succeeded', 'Unchanged', 'Failed', 'TimedOut', 'Deleted', 'Orphaned']),
  operation: z
    .enum(['create', 'update', 'recreate', 'delete', 'orphan'])
    .nullable()
    .describe('What the request did: create, update (in place), recreate (delete, then create), delete or orphan; null when Unchanged'),
  changes: z
    .array(z.object({ path: z.string(), desired: z.unknown(), observed: z.unknown(), effect: z.string().optional() }))
    .optional()
    .describe('For an update or recreate: each changed field, its old value (observed) and new one (desired), and what applying it does'),
  reason: z
    .string()
    .nullable()
    .describe("Machine-readable cause: Huawei's status or error_code, or DependencyFailed, FieldNotUpdatable, HasDependents, Timeout, ..."),
  message: MessageSchema,
  timings: z.object({
    acceptedAt: z.iso.datetime(),
    createStartedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime(),
    durationSeconds: z.number().int().nonnegative(),
  }),
});

export const RequestResourceSchema = z.object({
  // Not the kind enum: a rejected document may name a kind that does not exist.
  kind: z.string(),
  name: z.string(),
  state: z.string().describe('The resource state when the event was written: Rejected on request.rejected, terminal on request.completed'),
  operation: z
    .enum(['create', 'update', 'recreate', 'delete', 'orphan'])
    .nullable()
    .optional()
    .describe('What the request did to it (request.completed), or will do when known at acceptance (delete, orphan)'),
  huaweiId: z.string().nullable(),
  reason: z.string().nullable(),
  message: MessageSchema,
});

const RejectedDocumentSchema = z.object({
  file: z.string(),
  index: z.number().int().describe('Position of the document in its file; -1 on the entry that counts the documents left out'),
  kind: z.string().optional(),
  name: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string(), line: z.number().int(), column: z.number().int() })),
});

const ApprovalSchema = z
  .object({
    state: z.enum(['Pending', 'Approved', 'Rejected', 'Expired']),
    rules: z.array(z.string()).describe('The policy rules that asked for approval'),
    reasons: z.array(z.string()).describe('Why, one line per resource a rule matched'),
    approvers: z.array(z.string()).describe('Who may approve (provider:user); empty: any holder of the approve role'),
    requestedBy: z.string().describe('The requester, who may not approve'),
    requestedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().describe('When the request ends Expired if nobody decided'),
    history: z
      .array(
        z.object({
          action: z.enum(['requested', 'approved', 'rejected', 'expired']),
          by: z.string(),
          at: z.iso.datetime(),
          channel: z.enum(['api', 'jira', 'git', 'timeout']).optional(),
          comment: z.string().optional(),
        }),
      )
      .describe('The audit trail, oldest first'),
  })
  .describe('On request.pending_approval, .approved, .expired, and on request.rejected when an approver rejected it');

export const RequestDataSchema = z.object({
  requestId: z.string(),
  source: SourceSchema,
  state: z
    .string()
    .describe('Succeeded, PartiallyFailed, Failed (completed); InProgress (accepted, approved); PendingApproval; Rejected; Expired'),
  resources: z.array(RequestResourceSchema),
  errors: z
    .array(RejectedDocumentSchema)
    .optional()
    .describe('For request.rejected: the documents and their errors, as the API returns them'),
  approval: ApprovalSchema.optional(),
});

const envelope = <const T extends readonly [EventType, ...EventType[]], D extends z.ZodType>(types: T, data: D) =>
  z.object({
    specversion: z.literal('1.0'),
    id: z.string().describe('Deterministic: the same event published twice has the same id; drop repeats by id'),
    source: z.literal('hwc-provisioner'),
    type: z.enum(types),
    subject: z.string().describe('<kind>/<name>, or Request/<requestId>'),
    time: z.iso.datetime(),
    datacontenttype: z.literal('application/json'),
    data,
  });

export const ResourceEventSchema = envelope(
  [
    EVENT_TYPES.resourceSucceeded,
    EVENT_TYPES.resourceFailed,
    EVENT_TYPES.resourceTimedOut,
    EVENT_TYPES.resourceUpdated,
    EVENT_TYPES.resourceDeleted,
    EVENT_TYPES.resourceOrphaned,
  ],
  ResourceDataSchema,
);
export const RequestEventSchema = envelope(
  [
    EVENT_TYPES.requestCompleted,
    EVENT_TYPES.requestAccepted,
    EVENT_TYPES.requestRejected,
    EVENT_TYPES.requestPendingApproval,
    EVENT_TYPES.requestApproved,
    EVENT_TYPES.requestExpired,
  ],
  RequestDataSchema,
);

const DriftDataSchema = z.object({
  requestId: z.string().describe('The request that last applied the resource'),
  source: SourceSchema.omit({ deliveryId: true, url: true, user: true }).extend({ file: z.string().optional() }),
  kind: z.enum(KINDS),
  name: z.string(),
  projectId: z.string(),
  region: z.string(),
  huaweiId: z.string(),
  diff: z
    .array(z.object({ path: z.string(), desired: z.unknown(), observed: z.unknown() }))
    .describe('For resource.drifted: each field where Huawei Cloud differs from the desired spec'),
  observed: z
    .object({ phase: z.string(), reason: z.string().nullable(), message: z.string().nullable() })
    .nullable()
    .describe('What Huawei said of the resource at the look (null when it answered not found)'),
  driftPolicy: z.enum(['Observe', 'Correct']).describe('Observe: reported only; Correct: the manifest is applied again'),
  observedAt: z.iso.datetime(),
});

export const DriftEventSchema = envelope(
  [
    EVENT_TYPES.resourceDrifted,
    EVENT_TYPES.resourceMissing,
    EVENT_TYPES.resourceSynced,
    EVENT_TYPES.resourceUnhealthy,
    EVENT_TYPES.resourceHealthy,
  ],
  DriftDataSchema,
);

export const EventSchema = z
  .union([ResourceEventSchema, RequestEventSchema, DriftEventSchema])
  .describe(
    'A hwc-provisioner event (CloudEvents 1.0, structured JSON) as published on the SNS topic. SNS message attributes: type, ' +
      'kind (the manifest kind, or Request), outcome (succeeded, failed, timed_out, deleted, orphaned, partially_failed, ' +
      'accepted, rejected, pending_approval, approved, expired, drifted, missing, synced, unhealthy, healthy).',
  );

export function eventJsonSchema(): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(EventSchema, { target: 'draft-07' }) as Record<string, unknown>),
    $id: 'https://hwc-provisioner.dev/schemas/event.schema.json',
    title: 'hwc-provisioner event',
  };
}

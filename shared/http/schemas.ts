/**
 * What each route of the HTTP API answers (and the webhooks take), as zod schemas, for openapi.ts to publish. The
 * inputs the routes parse are in inputs.ts and queries.ts: the functions serving the routes import only types from
 * here, so their cold starts do not build these 300-odd schemas; the description loads them when asked for.
 */
import * as z from 'zod';
import { REQUEST_ID_PATTERN } from '../intake/ids';
import { PROVIDERS, REQUEST_STATES, RESOURCE_STATES } from '../store/types';

const Timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 date and time');

export const RequestIdSchema = z.string().regex(REQUEST_ID_PATTERN).describe('A request id, req_ followed by 26 characters (a ULID)');

export const ResourceStateSchema = z.enum(RESOURCE_STATES).describe('Where a resource is in its life');

export const RequestStateSchema = z.enum(REQUEST_STATES).describe("A request's overall state, from its resources");

export const RequestSourceSchema = z
  .object({
    provider: z.enum(PROVIDERS),
    ref: z.string().describe('owner/repo@sha, a ticket key, api:<caller> or queue:<system>'),
    deliveryId: z.string().optional(),
    repository: z.string().optional(),
    commit: z.string().optional(),
    branch: z.string().optional(),
    ticket: z.string().optional(),
    caller: z.string().optional(),
    url: z.string().optional().describe('The commit, pull request or ticket, when known'),
    user: z.string().optional().describe('Who asked, as provider:user'),
  })
  .describe('Where a request came from');

const OperationSchema = z.enum(['create', 'update', 'recreate', 'delete', 'orphan']);

const ConditionSchema = z.object({
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string().optional(),
  lastTransitionTime: Timestamp,
});

export const ConditionsSchema = z
  .object({ Ready: ConditionSchema, Synced: ConditionSchema, Healthy: ConditionSchema })
  .describe('Kept apart: a resource can be ready and out of sync');

export const DriftSchema = z
  .array(z.object({ path: z.string(), desired: z.unknown(), observed: z.unknown() }))
  .describe('Each field where what Huawei Cloud holds differs from the desired spec, from the last look');

const ManifestIssueSchema = z.object({
  path: z.string().describe('Dotted path from the document root; empty for the document as a whole'),
  message: z.string(),
  line: z.int().describe('1-based'),
  column: z.int().describe('1-based'),
});

export const RejectedDocumentSchema = z.object({
  file: z.string(),
  index: z.int().describe('0-based position of the document in its source'),
  kind: z.string().optional(),
  name: z.string().optional(),
  errors: z.array(ManifestIssueSchema),
});

export const ApprovalViewSchema = z
  .object({
    state: z.enum(['Pending', 'Approved', 'Rejected', 'Expired']),
    rules: z.array(z.string()).describe('The policy rules that asked for the approval'),
    reasons: z.array(z.string()),
    approvers: z.array(z.string()).describe('Who may approve (provider:user); empty: any holder of the approve role'),
    requestedBy: z.string().describe('The requester, who may not approve'),
    requestedAt: Timestamp,
    expiresAt: Timestamp,
    history: z.array(
      z.object({
        action: z.enum(['requested', 'approved', 'rejected', 'expired']),
        by: z.string(),
        at: Timestamp,
        channel: z.enum(['api', 'jira', 'git', 'timeout']).optional(),
        comment: z.string().optional(),
      }),
    ),
  })
  .describe('The approval a policy rule asked for, and what became of it');

const ResourceSummarySchema = z.object({ kind: z.string(), name: z.string(), state: ResourceStateSchema });

// Errors

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable, machine-readable'),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .describe('Every refusal and failure');

export const UnavailableSchema = z
  .object({
    ok: z.literal(false),
    error: z.object({
      code: z.enum(['CONFIG_INVALID', 'SECRETS_UNAVAILABLE']),
      variable: z.string().optional().describe('The configuration variable at fault (never its value)'),
      message: z.string(),
    }),
  })
  .describe('The configuration is invalid or the secrets cannot be read');

export const ManifestRejectionSchema = z
  .object({
    error: z.object({
      code: z.enum(['MANIFEST_INVALID', 'NO_MANIFEST']),
      message: z.string(),
      details: z
        .object({
          requestId: RequestIdSchema.optional().describe('The recorded rejection (absent on a dry run)'),
          documents: z.array(RejectedDocumentSchema),
        })
        .optional(),
    }),
  })
  .describe('No resource was queued: the documents that were invalid, and why');

// Answers

export const HealthSchema = z.object({ ok: z.literal(true) });

export const AcceptedSchema = z.object({ requestId: RequestIdSchema }).describe('Queued for intake; follow it at GET /requests/{id}');

export const IgnoredSchema = z
  .object({ ignored: z.literal(true), reason: z.string(), requestId: RequestIdSchema.optional() })
  .describe('Understood and deliberately not acted on');

export const PingSchema = z.object({ ok: z.literal(true), event: z.literal('ping') });

export const PlanQueuedSchema = z
  .object({ plan: z.literal(true) })
  .describe('A plan is queued; it is answered on the pull or merge request');

export const JiraApprovedSchema = z
  .object({ approved: z.literal(true), requestId: RequestIdSchema, duplicate: z.boolean() })
  .describe("A transition into the approval status approved the ticket's pending request");

export const SubmissionAcceptedSchema = z.object({
  requestId: RequestIdSchema,
  state: z.literal('PendingApproval').optional().describe('Present when a policy rule holds the request for an approver'),
  approval: ApprovalViewSchema.optional(),
  resources: z.array(ResourceSummarySchema).describe('The states the resources were first recorded with'),
});

export const RemovalAcceptedSchema = z.object({ requestId: RequestIdSchema, resources: z.array(ResourceSummarySchema) });

export const DryRunSchema = z
  .object({
    dryRun: z.literal(true),
    resources: z.array(
      z.object({
        kind: z.string().optional(),
        name: z.string().optional(),
        verdict: z.enum(['create', 'exists', 'in-progress', 'update', 'replace', 'delete', 'orphan', 'conflict', 'denied', 'invalid']),
        detail: z.string(),
      }),
    ),
  })
  .describe('What submitting would do; nothing was written or queued');

export const RequestViewSchema = z
  .object({
    requestId: RequestIdSchema,
    state: RequestStateSchema,
    source: RequestSourceSchema,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    errors: z.array(RejectedDocumentSchema).optional().describe('Documents of the submission that were rejected'),
    approval: ApprovalViewSchema.optional(),
    resources: z.array(
      z.object({
        kind: z.string(),
        name: z.string(),
        state: ResourceStateSchema,
        operation: OperationSchema.nullable(),
        changes: z
          .array(z.object({ path: z.string(), desired: z.unknown(), observed: z.unknown(), effect: z.string().optional() }))
          .optional()
          .describe('For an update or recreate: what changes, field by field'),
        projectId: z.string(),
        region: z.string(),
        file: z.string(),
        huaweiId: z.string().nullable(),
        reason: z.string().nullable(),
        message: z.string().nullable(),
        createdAt: Timestamp,
        updatedAt: Timestamp,
        conditions: ConditionsSchema.optional().describe('What the managed resource is now, beyond this request'),
        drift: DriftSchema.optional(),
        observedAt: Timestamp.optional(),
      }),
    ),
  })
  .describe('A request and each of its resources');

export type RequestView = z.input<typeof RequestViewSchema>;

// Approval decisions

export const DecisionOutcomeSchema = z.object({
  requestId: RequestIdSchema,
  state: z.enum(['Approved', 'Rejected']),
  duplicate: z.boolean().describe('This exact decision had already been recorded (a retried call)'),
  resources: z.array(ResourceSummarySchema),
});

// Removal

// Submission

export const SubmitQuerySchema = z.object({
  dryRun: z
    .enum(['true', 'false'])
    .optional()
    .describe('true: answer what submitting would do (200), writing and queueing nothing; given at most once'),
});

export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(256)
  .describe('The same key and body give the same request (and the first answer) again; a different body under it: 409');

// The read routes' answers: request lists and managed resources

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

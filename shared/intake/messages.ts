/** Messages on the intake queue: jobs the webhook hands over, and manifests other systems send directly. */
import * as z from 'zod';
import { REQUEST_ID_PATTERN } from './ids';
import { CommitIdSchema, GithubRepositorySchema, GitlabProjectPathSchema } from '../providers/names';

const RequestId = z.string().regex(REQUEST_ID_PATTERN);
/** Logged and recorded, never a key: bounded at the webhook (boundedDeliveryId). */
const DeliveryId = z.string().min(1).max(128);
/** Who asked, as provider:user; absent in jobs from before requesters were recorded. */
const User = z.string().min(1).max(300).optional();

const GithubPushJobSchema = z.object({
  type: z.literal('github.push'),
  requestId: RequestId,
  deliveryId: DeliveryId,
  repository: GithubRepositorySchema,
  branch: z.string().min(1).max(1024),
  before: CommitIdSchema,
  after: CommitIdSchema,
  url: z.string().max(2048).optional(),
  user: User,
});

const GitlabPushJobSchema = z.object({
  type: z.literal('gitlab.push'),
  requestId: RequestId,
  deliveryId: DeliveryId,
  projectId: z.number().int().positive(),
  repository: GitlabProjectPathSchema,
  branch: z.string().min(1).max(1024),
  before: CommitIdSchema,
  after: CommitIdSchema,
  url: z.string().max(2048).optional(),
  user: User,
});

const JiraIssueJobSchema = z.object({
  type: z.literal('jira.issue'),
  requestId: RequestId,
  deliveryId: DeliveryId,
  ticket: z
    .string()
    .max(280)
    .regex(/^[A-Z][A-Z0-9_]*-\d+$/),
  url: z.string().max(2048).optional(),
  /** Empty only when the description was too long to read whole (descriptionChars set): that request is rejected. */
  blocks: z.array(z.string()),
  /** The description's length when it exceeded what Jira allows, so was not read to its end. */
  descriptionChars: z.number().int().positive().optional(),
  /** The ticket's reporter, who may not approve it. */
  user: User,
  /**
   * A transition into JIRA_APPROVAL_STATUS by someone other than the reporter (the webhook checked): intake approves
   * the ticket's pending request as `by` before anything else.
   */
  approval: z.object({ by: z.string().min(1).max(300), toStatus: z.string().max(255) }).optional(),
});

/** A correction a look for drift asks for (driftPolicy: Correct): the managed resource's manifest, applied again. */
export const DriftCorrectionJobSchema = z.object({
  type: z.literal('drift.correct'),
  requestId: RequestId,
  deliveryId: DeliveryId,
  correction: z.enum(['drift', 'missing']),
  /** The source that last applied it: the correction speaks for the same owner, under the same policy. */
  source: z.looseObject({
    provider: z.enum(['github', 'gitlab', 'jira', 'api', 'queue']),
    ref: z.string().max(1_024),
    file: z.string().max(1_024).optional(),
  }),
  manifest: z.record(z.string(), z.unknown()),
});

export type DriftCorrectionJob = z.infer<typeof DriftCorrectionJobSchema>;

export const IntakeJobSchema = z.discriminatedUnion('type', [GithubPushJobSchema, GitlabPushJobSchema, JiraIssueJobSchema]);
export type IntakeJob = z.infer<typeof IntakeJobSchema>;

/** A pull request to plan: no request is made, only a comment and a status (shared/notify/plan.ts). */
const buildPlanJobSchema = () =>
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('github.plan'),
      deliveryId: DeliveryId,
      repository: GithubRepositorySchema,
      number: z.number().int().positive(),
      baseRef: z.string(),
      base: CommitIdSchema,
      head: CommitIdSchema,
      updatedAt: z.string(),
      /** The head lives in a fork (planned only with PLAN_FORK_PULL_REQUESTS): its author is shown no Huawei id. */
      fork: z.boolean().optional(),
    }),
    z.object({
      type: z.literal('gitlab.plan'),
      deliveryId: DeliveryId,
      projectId: z.number().int().positive(),
      repository: GitlabProjectPathSchema,
      iid: z.number().int().positive(),
      baseRef: z.string(),
      /** All zeros when the hook carried no diff_refs: then every manifest at the head is planned. */
      base: CommitIdSchema,
      head: CommitIdSchema,
      updatedAt: z.string(),
      /** The source branch lives in another project (planned only with PLAN_FORK_PULL_REQUESTS). */
      fork: z.boolean().optional(),
    }),
  ]);
export type PlanJob = z.infer<ReturnType<typeof buildPlanJobSchema>>;

let planJob: ReturnType<typeof buildPlanJobSchema> | undefined;

/** Built on first use: most messages are not plans, and a cold start pays for every schema it builds. */
export function planJobSchema(): ReturnType<typeof buildPlanJobSchema> {
  return (planJob ??= buildPlanJobSchema());
}

const PLAN_JOB_TYPES: ReadonlySet<unknown> = new Set(['github.plan', 'gitlab.plan']);

/** Whether a parsed message says it is a plan job: only such a message can pass planJobSchema(). */
export function isPlanJobType(message: unknown): boolean {
  return typeof message === 'object' && message !== null && PLAN_JOB_TYPES.has((message as { type?: unknown }).type);
}

/**
 * What another system puts on the intake queue: manifests as YAML/JSON text, one manifest object, or a list.
 * Published as schemas/intake-message.schema.json; the descriptions are that file's documentation.
 */
export const ExternalSubmissionSchema = z
  .strictObject({
    manifests: z
      .union([
        z.string().min(1).describe('YAML or JSON text holding one or more manifests (YAML documents separated by ---).'),
        z.array(z.unknown()).min(1).describe('A list of manifest objects.'),
        z.record(z.string(), z.unknown()).describe('One manifest object.'),
      ])
      .describe(
        'The manifests to provision, validated exactly as the CLI validates them: YAML or JSON ' +
          'text, one manifest object, or a list of them. One invalid manifest rejects them all.',
      ),
    source: z
      .strictObject({
        system: z
          .string()
          .min(1)
          .max(64)
          .optional()
          .describe(
            'Name of the sending system, 1-64 characters; "unknown" when left out. Part of the request id when idempotencyKey is set.',
          ),
        reference: z
          .string()
          .min(1)
          .max(256)
          .optional()
          .describe(
            "The sender's own reference for this submission (a change or ticket id, say), " +
              "1-256 characters; recorded in the request's source as queue:<system>:<reference>.",
          ),
      })
      .optional()
      .describe("Who sent the message; recorded as the request's source and carried by every event about the request."),
    /** Makes a re-sent message map to the same request. */
    idempotencyKey: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe(
        'Makes a re-sent message map to the same request: the request id is derived from source.system and this ' +
          'key, so a repeat creates nothing new. Without it the request id is derived from the SQS message id.',
      ),
  })
  .describe('A message another system sends to the hwc-provisioner intake queue (SQS) to submit manifests.');

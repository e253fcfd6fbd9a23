/** The published event contract as zod schemas: the source of schemas/event.schema.json for subscribers. */
import * as z from 'zod';
import { EVENT_TYPES } from './cloudevents';

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
  })
  .describe('Where the request came from');

const ResourceDataSchema = z.object({
  requestId: z.string(),
  source: SourceSchema,
  kind: z.enum(['Notebook', 'ResourcePool', 'NodePool', 'EdgeDeployment']),
  name: z.string().describe('metadata.name of the manifest'),
  region: z.string(),
  projectId: z.string(),
  huaweiId: z.string().nullable().describe("Huawei's id of the resource, when one was created or adopted"),
  state: z.enum(['Succeeded', 'Unchanged', 'Failed', 'TimedOut']),
  reason: z
    .string()
    .nullable()
    .describe("Machine-readable cause: Huawei's status or error_code, or DependencyFailed, UpdateNotSupported, Timeout, ..."),
  message: z.string().nullable(),
  timings: z.object({
    acceptedAt: z.iso.datetime(),
    createStartedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime(),
    durationSeconds: z.number().int().nonnegative(),
  }),
});

const RequestDataSchema = z.object({
  requestId: z.string(),
  source: SourceSchema,
  state: z.string().describe('Succeeded, PartiallyFailed, Failed (completed); InProgress (accepted); Rejected'),
  resources: z.array(
    z.object({ kind: z.string(), name: z.string(), state: z.string(), huaweiId: z.string().nullable(), reason: z.string().nullable() }),
  ),
  errors: z.unknown().optional().describe('For request.rejected: the documents and their errors, as the API returns them'),
});

const envelope = <T extends z.ZodType>(types: readonly string[], data: T) =>
  z.object({
    specversion: z.literal('1.0'),
    id: z.string().describe('Deterministic: the same event published twice has the same id; drop repeats by id'),
    source: z.literal('hwc-provisioner'),
    type: z.enum(types as [string, ...string[]]),
    subject: z.string().describe('<kind>/<name>, or Request/<requestId>'),
    time: z.iso.datetime(),
    datacontenttype: z.literal('application/json'),
    data,
  });

export const EventSchema = z
  .union([
    envelope([EVENT_TYPES.resourceSucceeded, EVENT_TYPES.resourceFailed, EVENT_TYPES.resourceTimedOut], ResourceDataSchema),
    envelope([EVENT_TYPES.requestCompleted, EVENT_TYPES.requestAccepted, EVENT_TYPES.requestRejected], RequestDataSchema),
  ])
  .describe(
    'A hwc-provisioner event (CloudEvents 1.0, structured JSON) as published on the SNS topic. SNS message attributes: type, ' +
      'kind (the manifest kind, or Request), outcome (succeeded, failed, timed_out, partially_failed, accepted, rejected).',
  );

export function eventJsonSchema(): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(EventSchema, { target: 'draft-07' }) as Record<string, unknown>),
    $id: 'https://hwc-provisioner.dev/schemas/event.schema.json',
    title: 'hwc-provisioner event',
  };
}

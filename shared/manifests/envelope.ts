/**
 * The manifest envelope (apiVersion, kind, metadata, spec) every kind shares: a public contract. Each kind's
 * folder (shared/kinds/) wraps its own spec in it.
 */
import * as z from 'zod';
import { SERVICE_LABEL, SERVICE_REGIONS, type HuaweiService } from '../huaweicloud/endpoints';
import { builtOnFirstUse } from '../lazy';
import { integer, strict } from './zod-helpers';

export const API_VERSION = 'hwc-provisioner/v1';

const NAME_PATTERN = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const ResourceNameSchema = z.string({ error: 'must be a string' }).regex(NAME_PATTERN, {
  error: '1-63 characters: lower-case letters, digits and "-", starting with a letter and ending with a letter or digit',
});

/*
 * Crossplane's and Argo CD's safe defaults: a removed manifest leaves its resource running, and a change that
 * cannot apply in place is refused rather than destroying anything.
 */
const DELETION_POLICIES = ['Orphan', 'Delete'] as const;
const UPDATE_POLICIES = ['InPlace', 'Recreate'] as const;
const DRIFT_POLICIES = ['Observe', 'Correct'] as const;

const metadataSchema = builtOnFirstUse(() =>
  strict({
    name: ResourceNameSchema.describe(
      'Name of the resource in hwc-provisioner; with the project and the kind it is the identity of the resource. ' +
        '1-63 lower-case letters, digits and "-", starting with a letter and ending with a letter or digit.',
    ),
    labels: z
      .record(z.string(), z.string({ error: 'label values must be strings' }))
      .optional()
      .describe('Free-form string labels for your own use; kept with the manifest and not sent to Huawei Cloud.'),
    deletionPolicy: z
      .enum(DELETION_POLICIES, { error: 'must be "Orphan" (the default) or "Delete"' })
      .optional()
      .describe(
        'What happens at Huawei Cloud when the resource is removed (its manifest deleted, or DELETE /resources): ' +
          'Orphan (the default) stops managing it and leaves it running; Delete deletes it.',
      ),
  }),
);

/**
 * The region picks the API host, so only a region whose endpoint Huawei documents for the kind's service
 * is accepted: for any other, the client would have to guess a host.
 */
function regionOf(service: HuaweiService) {
  const regions = SERVICE_REGIONS[service] as readonly [string, ...string[]];
  return z.enum(regions, {
    error: (issue) =>
      typeof issue.input === 'string'
        ? `must be a region where ${SERVICE_LABEL[service]} has an endpoint: ${regions.join(', ')}`
        : 'must be a string',
  });
}
/** Sent as a path segment and the X-Project-Id header: letters, digits and "-" only. */
const ProjectIdSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9-]{1,64}$/, { error: 'must be a project id (1-64 letters, digits or "-")' });
/** A day is the longest any create is worth waiting for; the per-kind defaults are far below it. */
const TimeoutSchema = integer(1, 1440);

/** The spec fields every kind has: where to create it, how long it may take, and how a change is applied. */
export function commonSpec(service: HuaweiService, kind: string, defaultTimeoutMinutes: number) {
  return {
    region: regionOf(service)
      .optional()
      .describe(
        `Huawei Cloud region to create the ${kind} in; it picks the ` +
          `${SERVICE_LABEL[service]} endpoint. Defaults to the service's HUAWEICLOUD_REGION.`,
      ),
    projectId: ProjectIdSchema.optional().describe(
      `Huawei Cloud project (its ID) to create the ${kind} in: 1-64 letters, ` +
        `digits or "-". Defaults to the service's HUAWEICLOUD_SDK_PROJECT_ID.`,
    ),
    timeoutMinutes: TimeoutSchema.optional().describe(
      `Minutes the ${kind} may take, from the accepted create, to become ready ` +
        `before it ends TimedOut: 1-1440. Default ${defaultTimeoutMinutes}.`,
    ),
    updatePolicy: z
      .enum(UPDATE_POLICIES, { error: 'must be "InPlace" (the default) or "Recreate"' })
      .optional()
      .describe(
        `How a changed manifest is applied to the ${kind}: InPlace (the default) changes it through Huawei's update API ` +
          'and refuses a change to a field that cannot change in place; Recreate deletes and creates it again for such a change.',
      ),
    driftPolicy: z
      .enum(DRIFT_POLICIES, { error: 'must be "Observe" (the default) or "Correct"' })
      .optional()
      .describe(
        `What a periodic look that finds the ${kind} changed outside hwc-provisioner does: Observe (the default) reports it ` +
          '(resource.drifted, Synced false with the fields); Correct also applies the manifest again through the update ' +
          'path, and creates it again when it was deleted.',
      ),
  };
}

/** A kind's whole manifest: the shared envelope around its own spec. */
export function envelope<K extends string, S extends z.ZodType>(kind: K, summary: string, spec: S) {
  return strict({
    apiVersion: z.literal(API_VERSION, { error: `must be ${API_VERSION}` }).describe(`Version of the manifest language: ${API_VERSION}.`),
    kind: z.literal(kind).describe(`Kind of resource: ${kind}, ${summary}.`),
    metadata: metadataSchema().describe('Name and labels of the resource in hwc-provisioner.'),
    spec: spec.describe(`What to create and where: the create API's request body (body) and where to send it.`),
  }).describe(`A ${kind} manifest: declares ${summary}.`);
}

/** The manifest envelope (apiVersion, kind, metadata, spec) around each kind's create body: a public contract. */
import * as z from 'zod';
import { SERVICE_LABEL, SERVICE_REGIONS, type HuaweiService } from '../huaweicloud/endpoints';
import { EdgeDeploymentBodySchema, IefInstanceIdSchema, platinumOnlyPaths } from './kinds/edge-deployment';
import { NodePoolBodySchema, PoolIdSchema } from './kinds/node-pool';
import { NotebookBodySchema } from './kinds/notebook';
import { ResourcePoolBodySchema } from './kinds/resource-pool';
import type { Kind } from './kinds';
import { integer, strict } from './zod-helpers';

export const API_VERSION = 'hwc-provisioner/v1';

const NAME_PATTERN = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const ResourceNameSchema = z
  .string({ error: 'must be a string' })
  .regex(NAME_PATTERN, {
    error: '1-63 characters: lower-case letters, digits and "-", starting with a letter and ending with a letter or digit',
  });

const MetadataSchema = strict({
  name: ResourceNameSchema,
  labels: z.record(z.string(), z.string({ error: 'label values must be strings' })).optional(),
});

/**
 * The region picks the API host, so only a region whose endpoint Huawei documents for the kind's service
 * is accepted: for any other, the client would have to guess a host.
 */
function regionOf(service: HuaweiService) {
  const regions = SERVICE_REGIONS[service] as readonly [string, ...string[]];
  return z.enum(regions, {
    error: (issue) =>
      typeof issue.input === 'string' ? `must be a region where ${SERVICE_LABEL[service]} has an endpoint: ${regions.join(', ')}` : 'must be a string',
  });
}
/** Sent as a path segment and the X-Project-Id header: letters, digits and "-" only. */
const ProjectIdSchema = z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9-]{1,64}$/, { error: 'must be a project id (1-64 letters, digits or "-")' });
/** A day is the longest any create is worth waiting for; the per-kind defaults are far below it. */
const TimeoutSchema = integer(1, 1440);

function common(service: HuaweiService) {
  return {
    region: regionOf(service).optional(),
    projectId: ProjectIdSchema.optional(),
    timeoutMinutes: TimeoutSchema.optional(),
  };
}

const NotebookSpecSchema = strict({
  ...common('modelarts'),
  /** Names a ResourcePool manifest whose pool id fills body.pool_id once the pool is Running. */
  poolRef: ResourceNameSchema.optional(),
  body: NotebookBodySchema,
}).superRefine((spec, ctx) => {
  if (spec.poolRef !== undefined && (spec.body as { pool_id?: unknown }).pool_id !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['poolRef'], message: 'set either spec.poolRef or spec.body.pool_id, not both' });
  }
});

const ResourcePoolSpecSchema = strict({ ...common('modelarts'), body: ResourcePoolBodySchema });

const NodePoolSpecSchema = strict({
  ...common('modelarts'),
  /** The target pool's ID, sent as the path parameter pool_name. */
  poolName: PoolIdSchema.optional(),
  /** Names a ResourcePool manifest; resolved to its pool ID once that pool is Running. */
  poolRef: ResourceNameSchema.optional(),
  body: NodePoolBodySchema,
}).superRefine((spec, ctx) => {
  if (spec.poolName === undefined && spec.poolRef === undefined) {
    ctx.addIssue({ code: 'custom', path: ['poolName'], message: 'is required: the target pool\'s ID (or name a ResourcePool manifest with spec.poolRef)' });
  } else if (spec.poolName !== undefined && spec.poolRef !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['poolRef'], message: 'set either spec.poolName or spec.poolRef, not both' });
  }
});

const EdgeDeploymentSpecSchema = strict({
  ...common('ief'),
  /** ID of an IEF Platinum/Enterprise instance, sent as the ief-instance-id header; omitted for the Professional edition. */
  iefInstanceId: IefInstanceIdSchema.optional(),
  body: EdgeDeploymentBodySchema,
}).superRefine((spec, ctx) => {
  if (spec.iefInstanceId !== undefined) return;
  for (const path of platinumOnlyPaths(spec.body)) {
    ctx.addIssue({ code: 'custom', path: ['body', ...path], message: 'needs an IEF Platinum instance: set spec.iefInstanceId' });
  }
});

function envelope<K extends Kind, S extends z.ZodType>(kind: K, spec: S) {
  return strict({
    apiVersion: z.literal(API_VERSION, { error: `must be ${API_VERSION}` }),
    kind: z.literal(kind),
    metadata: MetadataSchema,
    spec,
  });
}

export const NotebookManifestSchema = envelope('Notebook', NotebookSpecSchema);
export const ResourcePoolManifestSchema = envelope('ResourcePool', ResourcePoolSpecSchema);
export const NodePoolManifestSchema = envelope('NodePool', NodePoolSpecSchema);
export const EdgeDeploymentManifestSchema = envelope('EdgeDeployment', EdgeDeploymentSpecSchema);

export const MANIFEST_SCHEMAS = {
  Notebook: NotebookManifestSchema,
  ResourcePool: ResourcePoolManifestSchema,
  NodePool: NodePoolManifestSchema,
  EdgeDeployment: EdgeDeploymentManifestSchema,
} as const;

/** Every manifest, discriminated by kind: for types and the published JSON Schema. */
export const ManifestSchema = z.discriminatedUnion('kind', [
  NotebookManifestSchema,
  ResourcePoolManifestSchema,
  NodePoolManifestSchema,
  EdgeDeploymentManifestSchema,
]);
export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestOf<K extends Kind> = z.infer<(typeof MANIFEST_SCHEMAS)[K]>;

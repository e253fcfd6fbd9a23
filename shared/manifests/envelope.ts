/** The manifest envelope (apiVersion, kind, metadata, spec) around each kind's create body: a public contract. */
import * as z from 'zod';
import { KIND_POLICY } from '../dispatch/policy';
import { SERVICE_LABEL, SERVICE_REGIONS, type HuaweiService } from '../huaweicloud/endpoints';
import { EdgeDeploymentBodySchema, IefInstanceIdSchema, platinumOnlyPaths } from './kinds/edge-deployment';
import { NodePoolBodySchema, PoolIdSchema } from './kinds/node-pool';
import { NotebookBodySchema } from './kinds/notebook';
import { ResourcePoolBodySchema } from './kinds/resource-pool';
import type { Kind } from './kinds';
import { integer, strict } from './zod-helpers';

export const API_VERSION = 'hwc-provisioner/v1';

const NAME_PATTERN = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

const ResourceNameSchema = z.string({ error: 'must be a string' }).regex(NAME_PATTERN, {
  error: '1-63 characters: lower-case letters, digits and "-", starting with a letter and ending with a letter or digit',
});

const MetadataSchema = strict({
  name: ResourceNameSchema.describe(
    'Name of the resource in hwc-provisioner; with the project and the kind it is the identity of the resource. ' +
      '1-63 lower-case letters, digits and "-", starting with a letter and ending with a letter or digit.',
  ),
  labels: z
    .record(z.string(), z.string({ error: 'label values must be strings' }))
    .optional()
    .describe('Free-form string labels for your own use; kept with the manifest and not sent to Huawei Cloud.'),
});

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

function common(service: HuaweiService, kind: Kind) {
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
        `before it ends TimedOut: 1-1440. Default ${KIND_POLICY[kind].timeoutMinutes}.`,
    ),
  };
}

const NotebookSpecSchema = strict({
  ...common('modelarts', 'Notebook'),
  /** Names a ResourcePool manifest whose pool id fills body.pool_id once the pool is Running. */
  poolRef: ResourceNameSchema.optional().describe(
    'metadata.name of a ResourcePool manifest, in this request or an earlier one: the notebook waits ' +
      "until that pool is Running, then the pool's ID fills body.pool_id. Set either poolRef or body.pool_id.",
  ),
  body: NotebookBodySchema.describe(
    'Request body of the ModelArts API that creates a notebook instance (POST /v1/{project_id}/notebooks).',
  ),
}).superRefine((spec, ctx) => {
  if (spec.poolRef !== undefined && (spec.body as { pool_id?: unknown }).pool_id !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['poolRef'], message: 'set either spec.poolRef or spec.body.pool_id, not both' });
  }
});

const ResourcePoolSpecSchema = strict({
  ...common('modelarts', 'ResourcePool'),
  body: ResourcePoolBodySchema.describe('Request body of the ModelArts API that creates a resource pool (POST /v2/{project_id}/pools).'),
});

const NodePoolSpecSchema = strict({
  ...common('modelarts', 'NodePool'),
  /** The target pool's ID, sent as the path parameter pool_name. */
  poolName: PoolIdSchema.optional().describe(
    "ID of the resource pool to add the node pool to (the pool's metadata.name at " +
      'Huawei, sent as the pool_name path parameter). Set either poolName or poolRef.',
  ),
  /** Names a ResourcePool manifest; resolved to its pool ID once that pool is Running. */
  poolRef: ResourceNameSchema.optional().describe(
    'metadata.name of a ResourcePool manifest, in this request or an earlier one: the node pool ' +
      'waits until that pool is Running and is then created in it. Set either poolRef or poolName.',
  ),
  body: NodePoolBodySchema.describe(
    'Request body of the ModelArts API that creates a node pool (POST /v2/{project_id}/pools/{pool_name}/nodepools).',
  ),
}).superRefine((spec, ctx) => {
  if (spec.poolName === undefined && spec.poolRef === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['poolName'],
      message: "is required: the target pool's ID (or name a ResourcePool manifest with spec.poolRef)",
    });
  } else if (spec.poolName !== undefined && spec.poolRef !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['poolRef'], message: 'set either spec.poolName or spec.poolRef, not both' });
  }
});

const EdgeDeploymentSpecSchema = strict({
  ...common('ief', 'EdgeDeployment'),
  /** ID of an IEF Platinum/Enterprise instance, sent as the ief-instance-id header; omitted for the Professional edition. */
  iefInstanceId: IefInstanceIdSchema.optional().describe(
    'ID of the IEF Platinum edition instance, sent as the ief-instance-id header; leave ' +
      'it out for the Professional edition. Template affinity and host port ranges need it.',
  ),
  body: EdgeDeploymentBodySchema.describe(
    'Request body of the IEF API that creates a deployment (POST /v3/{project_id}/edgemgr/deployments).',
  ),
}).superRefine((spec, ctx) => {
  if (spec.iefInstanceId !== undefined) return;
  for (const path of platinumOnlyPaths(spec.body)) {
    ctx.addIssue({ code: 'custom', path: ['body', ...path], message: 'needs an IEF Platinum instance: set spec.iefInstanceId' });
  }
});

/** What each kind creates, for the kind's own description and its `kind` field. */
const KIND_SUMMARY: Record<Kind, string> = {
  Notebook: 'a ModelArts notebook instance',
  ResourcePool: 'a ModelArts resource pool',
  NodePool: 'a node pool in a ModelArts resource pool',
  EdgeDeployment: 'an IEF edge application deployment',
};

function envelope<K extends Kind, S extends z.ZodType>(kind: K, spec: S) {
  return strict({
    apiVersion: z.literal(API_VERSION, { error: `must be ${API_VERSION}` }).describe(`Version of the manifest language: ${API_VERSION}.`),
    kind: z.literal(kind).describe(`Kind of resource: ${kind}, ${KIND_SUMMARY[kind]}.`),
    metadata: MetadataSchema.describe('Name and labels of the resource in hwc-provisioner.'),
    spec: spec.describe(`What to create and where: the create API's request body (body) and where to send it.`),
  }).describe(`A ${kind} manifest: declares ${KIND_SUMMARY[kind]}.`);
}

/**
 * A notebook's name at Huawei defaults to metadata.name. Filled in here, where both are known, so every
 * consumer of a validated manifest (the create body, the spec hash, the look-up by name) sees the same body.
 */
const NotebookManifestSchema = envelope('Notebook', NotebookSpecSchema).transform((manifest) => ({
  ...manifest,
  spec: { ...manifest.spec, body: { ...manifest.spec.body, name: manifest.spec.body.name ?? manifest.metadata.name } },
}));
const ResourcePoolManifestSchema = envelope('ResourcePool', ResourcePoolSpecSchema);
const NodePoolManifestSchema = envelope('NodePool', NodePoolSpecSchema);
const EdgeDeploymentManifestSchema = envelope('EdgeDeployment', EdgeDeploymentSpecSchema);

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

import { commonSpec, envelope, ResourceNameSchema } from '../../manifests/envelope';
import { builtOnFirstUse } from '../../lazy';
import { strict } from '../../manifests/zod-helpers';
import { nodePoolBodySchema, PoolIdSchema } from './body';

export const KIND = 'NodePool';
export const SUMMARY = 'a node pool in a ModelArts resource pool';

/** Nodes take tens of minutes to join or leave (Huawei's documentation, Terraform's timeouts), at create as at a count change. */
export const TIMING = {
  timeoutMinutes: 60,
  dispatchDeadlineMinutes: 15,
  pollFirstSeconds: 30,
  pollMaxSeconds: 120,
  updateTimeoutMinutes: 120,
  deleteTimeoutMinutes: 60,
};

/** The whole manifest, built on first use (see builtOnFirstUse). */
export const nodePoolManifestSchema = builtOnFirstUse(() => {
  const NodePoolSpecSchema = strict({
    ...commonSpec('modelarts', KIND, TIMING.timeoutMinutes),
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
    body: nodePoolBodySchema().describe(
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

  return envelope(KIND, SUMMARY, NodePoolSpecSchema);
});

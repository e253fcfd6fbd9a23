import { commonSpec, envelope } from '../../manifests/envelope';
import { builtOnFirstUse } from '../../lazy';
import { strict } from '../../manifests/zod-helpers';
import { resourcePoolBodySchema } from './body';

export const KIND = 'ResourcePool';
export const SUMMARY = 'a ModelArts resource pool';

/**
 * A pool takes a quarter of an hour or more (Huawei's documentation, Terraform's timeouts). A count change is an
 * order whose nodes join as at create; deleting releases every node.
 */
export const TIMING = {
  timeoutMinutes: 90,
  dispatchDeadlineMinutes: 15,
  pollFirstSeconds: 30,
  pollMaxSeconds: 180,
  updateTimeoutMinutes: 120,
  deleteTimeoutMinutes: 60,
};

/** The whole manifest, built on first use (see builtOnFirstUse). */
export const resourcePoolManifestSchema = builtOnFirstUse(() => {
  const ResourcePoolSpecSchema = strict({
    ...commonSpec('modelarts', KIND, TIMING.timeoutMinutes),
    body: resourcePoolBodySchema().describe(
      'Request body of the ModelArts API that creates a resource pool (POST /v2/{project_id}/pools).',
    ),
  });

  return envelope(KIND, SUMMARY, ResourcePoolSpecSchema);
});

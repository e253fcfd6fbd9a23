import { commonSpec, envelope } from '../../manifests/envelope';
import { strict } from '../../manifests/zod-helpers';
import { ResourcePoolBodySchema } from './body';

export const KIND = 'ResourcePool';
export const SUMMARY = 'a ModelArts resource pool';

/** A pool takes a quarter of an hour or more (Huawei's documentation, Terraform's timeouts). */
export const TIMING = { timeoutMinutes: 90, dispatchDeadlineMinutes: 15, pollFirstSeconds: 30, pollMaxSeconds: 180 };

const ResourcePoolSpecSchema = strict({
  ...commonSpec('modelarts', KIND, TIMING.timeoutMinutes),
  body: ResourcePoolBodySchema.describe('Request body of the ModelArts API that creates a resource pool (POST /v2/{project_id}/pools).'),
});

export const ResourcePoolManifestSchema = envelope(KIND, SUMMARY, ResourcePoolSpecSchema);

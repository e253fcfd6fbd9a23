import { commonSpec, envelope, ResourceNameSchema } from '../../manifests/envelope';
import { builtOnFirstUse } from '../../lazy';
import { strict } from '../../manifests/zod-helpers';
import { notebookBodySchema } from './body';

export const KIND = 'Notebook';
export const SUMMARY = 'a ModelArts notebook instance';

/**
 * Creation times from Huawei's documentation and Terraform's timeouts: a notebook takes minutes. An update may
 * stop and start it (each minutes, Terraform waits up to 20 for each wait); a delete ends in minutes.
 */
export const TIMING = {
  timeoutMinutes: 20,
  dispatchDeadlineMinutes: 10,
  pollFirstSeconds: 10,
  pollMaxSeconds: 30,
  updateTimeoutMinutes: 30,
  deleteTimeoutMinutes: 15,
};

/**
 * The whole manifest, built on first use (see builtOnFirstUse). A notebook's name at Huawei defaults to
 * metadata.name. Filled in here, where both are known, so every consumer of a validated manifest (the
 * create body, the spec hash, the look-up by name) sees the same body.
 */
export const notebookManifestSchema = builtOnFirstUse(() => {
  const NotebookSpecSchema = strict({
    ...commonSpec('modelarts', KIND, TIMING.timeoutMinutes),
    /** Names a ResourcePool manifest whose pool id fills body.pool_id once the pool is Running. */
    poolRef: ResourceNameSchema.optional().describe(
      'metadata.name of a ResourcePool manifest, in this request or an earlier one: the notebook waits ' +
        "until that pool is Running, then the pool's ID fills body.pool_id. Set either poolRef or body.pool_id.",
    ),
    body: notebookBodySchema().describe(
      'Request body of the ModelArts API that creates a notebook instance (POST /v1/{project_id}/notebooks).',
    ),
  }).superRefine((spec, ctx) => {
    if (spec.poolRef !== undefined && (spec.body as { pool_id?: unknown }).pool_id !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['poolRef'], message: 'set either spec.poolRef or spec.body.pool_id, not both' });
    }
  });

  return envelope(KIND, SUMMARY, NotebookSpecSchema).transform((manifest) => ({
    ...manifest,
    spec: { ...manifest.spec, body: { ...manifest.spec.body, name: manifest.spec.body.name ?? manifest.metadata.name } },
  }));
});

/**
 * spec.body.name defaults to metadata.name. A different name is legal, but then the notebook is listed at
 * Huawei under a name nobody searches for, which is usually a slip (e.g. "_" where "-" was meant).
 */
export function notebookWarnings(submitted: unknown): { path: string[]; message: string }[] {
  // Called for a valid manifest only, as submitted (before the default fills the body's name).
  const { metadata, spec } = submitted as { metadata: { name: string }; spec: { body: { name?: string } } };
  const bodyName = spec.body.name;
  if (bodyName === undefined || bodyName === metadata.name) return [];
  return [
    {
      path: ['spec', 'body', 'name'],
      message:
        `differs from metadata.name "${metadata.name}": the notebook is named "${bodyName}" ` +
        `at Huawei Cloud; leave spec.body.name out to name it "${metadata.name}"`,
    },
  ];
}

import { commonSpec, envelope } from '../../manifests/envelope';
import { builtOnFirstUse } from '../../lazy';
import { strict } from '../../manifests/zod-helpers';
import { edgeDeploymentBodySchema, IefInstanceIdSchema, platinumOnlyPaths } from './body';

export const KIND = 'EdgeDeployment';
export const SUMMARY = 'an IEF edge application deployment';

/** Pods start in minutes once images are pulled; an update rolls them the same way, a delete stops them. */
export const TIMING = {
  timeoutMinutes: 15,
  dispatchDeadlineMinutes: 10,
  pollFirstSeconds: 5,
  pollMaxSeconds: 30,
  updateTimeoutMinutes: 15,
  deleteTimeoutMinutes: 10,
};

/** The whole manifest, built on first use (see builtOnFirstUse). */
export const edgeDeploymentManifestSchema = builtOnFirstUse(() => {
  const EdgeDeploymentSpecSchema = strict({
    ...commonSpec('ief', KIND, TIMING.timeoutMinutes),
    /** ID of an IEF Platinum/Enterprise instance, sent as the ief-instance-id header; omitted for the Professional edition. */
    iefInstanceId: IefInstanceIdSchema.optional().describe(
      'ID of the IEF Platinum edition instance, sent as the ief-instance-id header; leave ' +
        'it out for the Professional edition. Template affinity and host port ranges need it.',
    ),
    body: edgeDeploymentBodySchema().describe(
      'Request body of the IEF API that creates a deployment (POST /v3/{project_id}/edgemgr/deployments).',
    ),
  }).superRefine((spec, ctx) => {
    if (spec.iefInstanceId !== undefined) return;
    for (const path of platinumOnlyPaths(spec.body)) {
      ctx.addIssue({ code: 'custom', path: ['body', ...path], message: 'needs an IEF Platinum instance: set spec.iefInstanceId' });
    }
  });

  return envelope(KIND, SUMMARY, EdgeDeploymentSpecSchema);
});

/**
 * Corrections of drift (spec.driftPolicy: Correct): a look for drift that finds a resource changed or deleted outside
 * hwc-provisioner hands intake the managed resource's own manifest, which is submitted again as the source that last
 * applied it would submit it: the same owner, the same policy and approvals, the same crash-safe lifecycle. Marked as
 * a correction, so the dispatcher applies it although the manifest did not change.
 */
import type { RequestSource } from '../store/types';
import type { DriftCorrectionJob } from './messages';
import { submit, type IntakeDeps, type SubmitOutcome } from './submit';

export async function submitCorrection(deps: IntakeDeps, job: DriftCorrectionJob): Promise<SubmitOutcome> {
  const { provider, ref, file: _file, ...rest } = job.source;
  const source = { ...rest, provider, ref, deliveryId: job.deliveryId } as RequestSource;
  const file = job.source.file ?? `drift:${String((job.manifest as { kind?: unknown }).kind)}`;
  return submit(deps, {
    requestId: job.requestId,
    source,
    files: [{ file, text: JSON.stringify(job.manifest) }],
    correction: job.correction,
  });
}

/**
 * The conditions a managed resource reports, kept apart as Crossplane and Argo CD keep them: Ready (it
 * exists and is usable), Synced (what Huawei holds is what was last accepted), Healthy (what Huawei says
 * of it now). A resource can be ready and out of sync, or synced and unhealthy.
 */
import type { Condition, ResourceConditions } from '../store/types';

const condition = (status: Condition['status'], reason: string, at: string, message?: string): Condition => ({
  status,
  reason,
  lastTransitionTime: at,
  ...(message ? { message } : {}),
});

/** A request has taken the lifecycle on: nothing is known yet. */
export function reconcilingConditions(at: string): ResourceConditions {
  return {
    Ready: condition('False', 'Creating', at),
    Synced: condition('Unknown', 'Reconciling', at),
    Healthy: condition('Unknown', 'NotObserved', at),
  };
}

/** How a lifecycle ended, as conditions. */
export function terminalConditions(
  at: string,
  outcome: { state: string; reason?: string; message?: string },
  observed?: { phase: string; reason?: string },
): ResourceConditions {
  if (outcome.state === 'Succeeded') {
    return {
      Ready: condition('True', 'Available', at, outcome.message),
      Synced: condition('True', 'ReconcileSuccess', at),
      Healthy: condition('True', observed?.reason ?? 'Available', at),
    };
  }
  const reason = outcome.reason ?? outcome.state;
  return {
    Ready: condition('False', reason, at, outcome.message),
    Synced: condition('False', 'ReconcileError', at, outcome.message),
    Healthy: observed ? condition('False', observed.reason ?? observed.phase, at) : condition('Unknown', 'NotObserved', at),
  };
}

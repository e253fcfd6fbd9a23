/**
 * What admission needs beyond intake's own deps (shared/intake/admission.ts): the policy and the Huawei client its
 * preflight reads with. Apart from shared/runtime.ts so that only the functions that admit requests (intake and
 * the API) bundle the policy language and its CEL evaluator; dispatch, poll and notify never load them.
 */
import { ConfigError, intakeConfig, secretSourceConfig } from './config';
import { HuaweiCloudClient } from './huaweicloud/client';
import type { IntakeDeps } from './intake/submit';
import { loadPolicy } from './policy/load';
import { cloudApi, type CloudApi } from './reconcile/cloud';

let preflightCloud: CloudApi | undefined | null;

/**
 * What admission needs beyond intake's own deps: the policy (re-read as its file or secret changes; a broken one
 * throws, failing the message or the call rather than provisioning without it) and, where this function has Huawei
 * credentials, the preflight, with a short retry budget so that a Huawei outage costs seconds and says "unknown".
 */
export async function governanceDeps(): Promise<Pick<IntakeDeps, 'policy' | 'preflight'>> {
  const cfg = intakeConfig();
  const policy =
    cfg.POLICY_FILE || cfg.POLICY_PARAMETER
      ? await loadPolicy({
          ...(cfg.POLICY_FILE ? { POLICY_FILE: cfg.POLICY_FILE } : {}),
          ...(cfg.POLICY_PARAMETER ? { POLICY_PARAMETER: cfg.POLICY_PARAMETER } : {}),
          SECRETS_MAX_AGE_SECONDS: secretSourceConfig().SECRETS_MAX_AGE_SECONDS,
        })
      : undefined;
  if (preflightCloud === undefined) {
    try {
      preflightCloud = cloudApi(HuaweiCloudClient.fromConfig({ retryBudgetMs: 3_000 }));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      preflightCloud = null;
    }
  }
  return { ...(policy ? { policy } : {}), ...(preflightCloud ? { preflight: preflightCloud } : {}) };
}

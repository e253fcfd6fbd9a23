/**
 * Preflight of one resource: the flavors, images, quotas and edge nodes its create (or an update's growth) needs,
 * asked of Huawei before anything is sent, so that a sold-out flavor or a full quota is a refusal now rather than a
 * failed create minutes later. Only 'failed' is a reason to refuse: 'unknown' means Huawei could not answer.
 */
import type { HuaweiTarget } from '../huaweicloud/client';
import type { AdapterResource, PreflightCheck, PreflightContext } from '../kinds/adapter';
import type { CloudApi } from './cloud';

export interface PreflightOutcome {
  failed: PreflightCheck[];
  unknown: PreflightCheck[];
  passed: PreflightCheck[];
}

/** The whole preflight of one resource gives up after this long; what is unanswered by then is 'unknown'. */
const PREFLIGHT_TIMEOUT_MS = 10_000;
/** Time the kind's checks get, after the deadline, to report their own unanswered look-ups before one 'unknown' stands for all. */
const REPORT_GRACE_MS = 100;

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Resolves once `signal` has aborted and the grace has passed. */
function givenUp(signal: AbortSignal): { promise: Promise<PreflightCheck[]>; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort = () => {};
  const promise = new Promise<PreflightCheck[]>((resolve) => {
    onAbort = () => {
      timer = setTimeout(
        () => resolve([{ check: 'preflight', status: 'unknown', message: 'Huawei did not answer the checks in time' }]),
        REPORT_GRACE_MS,
      );
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return {
    promise,
    cancel: () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Runs the kind's checks within `timeoutMs` (and `context.signal`, when given) and sorts them. Never throws for
 * Huawei's errors: a check Huawei could not answer is 'unknown', and so is a kind whose checks threw.
 */
export async function preflightResource(
  cloud: Pick<CloudApi, 'preflight'>,
  kind: string,
  resource: AdapterResource,
  target: HuaweiTarget,
  context: PreflightContext,
  options: { timeoutMs?: number } = {},
): Promise<PreflightOutcome> {
  const deadline = AbortSignal.timeout(options.timeoutMs ?? PREFLIGHT_TIMEOUT_MS);
  const signal = context.signal ? AbortSignal.any([context.signal, deadline]) : deadline;
  const late = givenUp(signal);
  let checks: PreflightCheck[];
  try {
    checks = await Promise.race([cloud.preflight(kind, resource, target, { ...context, signal }), late.promise]);
  } catch (error) {
    checks = [{ check: 'preflight', status: 'unknown', message: `the checks could not run: ${describe(error)}` }];
  } finally {
    late.cancel();
  }
  return {
    failed: checks.filter((c) => c.status === 'failed'),
    unknown: checks.filter((c) => c.status === 'unknown'),
    passed: checks.filter((c) => c.status === 'passed'),
  };
}

/** The words a refusal (failed), a warning (unknown) or a plan line (passed) shows for one check. */
export function preflightMessage(check: PreflightCheck): string {
  const where = check.path ? ` (${check.path})` : '';
  switch (check.status) {
    case 'failed':
      return `would fail: ${check.message}${where}`;
    case 'unknown':
      return `could not check: ${check.message}${where}`;
    case 'passed':
      return `ok: ${check.message}${where}`;
  }
}

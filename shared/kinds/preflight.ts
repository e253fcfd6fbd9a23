/**
 * What the kinds' preflights share: a look-up bounded in time whose failures are sorted into "Huawei said no"
 * and "Huawei could not say", and the resource flavor list and its rule, which pools and node pools both ask.
 */
import type { HuaweiTarget, HuaweiTransport } from '../huaweicloud/client';
import type { HuaweiService } from '../huaweicloud/endpoints';
import { HuaweiInvalidRequestError, HuaweiPermanentError, isHuaweiError } from '../huaweicloud/errors';
import { urlEncode } from '../huaweicloud/signer';
import type { PreflightCheck } from './adapter';
import { obj, str, type Json } from './common';

/** A look-up given no signal gives up after this long: a preflight must not hold up a request for minutes. */
const LOOK_UP_TIMEOUT_MS = 10_000;

/** What one look-up learnt. */
export type Answer =
  | { status: 'ok'; body: unknown }
  /** Huawei refused the look-up (a 4xx): what was asked for is not there, in Huawei's words. */
  | { status: 'refused'; message: string }
  /** Huawei could not answer (5xx, throttled, timed out, unreachable, or the request could not be built). */
  | { status: 'unknown'; message: string };

interface LookUpRequest {
  operation: string;
  service: HuaweiService;
  target: HuaweiTarget;
  path: string;
  query?: Record<string, string>;
}

/** `ModelArts.6701: image x does not exist`: the code and message of Huawei's error body, as Huawei wrote them. */
function huaweiWords(error: HuaweiPermanentError): string {
  const words = [error.errorCode, error.errorMsg].filter(Boolean).join(': ');
  return words || `HTTP ${error.status}`;
}

function classify(error: unknown): Exclude<Answer, { status: 'ok' }> {
  // Refusals that speak of the caller (credentials, permissions, a request never sent), not of what was looked up.
  const aboutTheCaller =
    error instanceof HuaweiInvalidRequestError || (isHuaweiError(error) && (error.status === 401 || error.status === 403));
  if (error instanceof HuaweiPermanentError && !aboutTheCaller) return { status: 'refused', message: huaweiWords(error) };
  if (isHuaweiError(error)) return { status: 'unknown', message: `Huawei did not answer (${error.message})` };
  return { status: 'unknown', message: `the look-up failed (${error instanceof Error ? error.message : String(error)})` };
}

/**
 * One GET, answered within the signal's time (or LOOK_UP_TIMEOUT_MS): past it the answer is 'unknown' and the
 * call is left to the transport's own retry budget, whose result nobody waits for.
 */
export async function lookUp(cloud: HuaweiTransport, request: LookUpRequest, signal?: AbortSignal): Promise<Answer> {
  const bound = signal ?? AbortSignal.timeout(LOOK_UP_TIMEOUT_MS);
  const late: Answer = { status: 'unknown', message: `Huawei did not answer ${request.operation} in time` };
  if (bound.aborted) return late;
  let stop = () => {};
  const timedOut = new Promise<Answer>((resolve) => {
    stop = () => bound.removeEventListener('abort', onAbort);
    const onAbort = () => resolve(late);
    bound.addEventListener('abort', onAbort, { once: true });
  });
  // Through a promise, so that a transport throwing before it returns one is answered like any other failure.
  const asked = Promise.resolve()
    .then(() => cloud.send({ ...request, callKind: 'read', method: 'GET', notFoundIsNormal: true }))
    .then((answer): Answer => ({ status: 'ok', body: answer.body }), classify);
  try {
    return await Promise.race([asked, timedOut]);
  } finally {
    stop();
  }
}

/**
 * A list or quota read that Huawei refuses says nothing about what the manifest names (the request was wrong, or
 * the API is not offered there), unlike a refused look-up by id: it leaves the check unknown.
 */
export function readOf(answer: Answer): Answer {
  return answer.status === 'refused' ? { status: 'unknown', message: `Huawei refused the read (${answer.message})` } : answer;
}

/** The check for a look-up Huawei refused (failed) or could not answer (unknown); `subject` names what was looked up. */
export function unanswered(
  check: string,
  path: string | undefined,
  answer: Exclude<Answer, { status: 'ok' }>,
  subject: string,
): PreflightCheck {
  return {
    check,
    status: answer.status === 'refused' ? 'failed' : 'unknown',
    ...(path ? { path } : {}),
    message: `${subject}: ${answer.message}`,
  };
}

export const passed = (check: string, path: string | undefined, message: string): PreflightCheck => ({
  check,
  status: 'passed',
  ...(path ? { path } : {}),
  message,
});

export const failed = (check: string, path: string | undefined, message: string): PreflightCheck => ({
  check,
  status: 'failed',
  ...(path ? { path } : {}),
  message,
});

/* ---------- Resource flavors (`GET /v1/{project_id}/resourceflavors`): pools and node pools ---------- */

/** Huawei's page size limit for this list. */
const FLAVOR_PAGE = 500;
/** Far more flavors than a region offers; a `continue` chain longer than this is not believed. */
const FLAVOR_PAGES_MAX = 20;

export type FlavorList = { status: 'ok'; items: Json[] } | Exclude<Answer, { status: 'ok' }>;

/** Every resource flavor of the project, following `metadata.continue` page by page. */
export async function resourceFlavors(cloud: HuaweiTransport, target: HuaweiTarget, signal?: AbortSignal): Promise<FlavorList> {
  const items: Json[] = [];
  let token: string | undefined;
  for (let page = 0; page < FLAVOR_PAGES_MAX; page++) {
    const answer = readOf(
      await lookUp(
        cloud,
        {
          operation: 'list resource flavors',
          service: 'modelarts',
          target,
          path: `/v1/${urlEncode(target.projectId)}/resourceflavors`,
          query: { limit: String(FLAVOR_PAGE), ...(token ? { continue: token } : {}) },
        },
        signal,
      ),
    );
    if (answer.status !== 'ok') return answer;
    const body = obj(answer.body);
    items.push(...(Array.isArray(body.items) ? body.items.map(obj) : []));
    token = str(obj(body.metadata).continue);
    if (!token) return { status: 'ok', items };
  }
  return { status: 'unknown', message: `the resource flavor list did not end within ${FLAVOR_PAGES_MAX} pages` };
}

const BILLING_MODES: Record<string, string> = { '0': 'pay-per-use', '1': 'yearly/monthly' };

/** What a pool or node pool asks of one flavor. */
export interface FlavorWanted {
  flavor: string;
  /** Manifest path of the flavor field. */
  path: string;
  /** Zones the nodes are placed in; none: Huawei picks a zone. */
  azs: string[];
  /** The os.modelarts/billing.mode annotation ("0" when unset). */
  billingMode: string;
}

/**
 * A flavor the list does not hold is missing. Nodes placed in chosen zones need the flavor in each of them; nodes
 * without zones need it in any one (a flavor sold out in every zone cannot be had at all). The billing mode must
 * be one the flavor is sold with.
 */
export function poolFlavorCheck(list: FlavorList, wanted: FlavorWanted): PreflightCheck {
  const { flavor, path } = wanted;
  if (list.status !== 'ok') return unanswered('pool-flavor', path, list, `flavor ${flavor}`);
  const item = list.items.find((i) => obj(i.metadata).name === flavor);
  if (!item) return failed('pool-flavor', path, `flavor ${flavor} is not among the resource flavors Huawei offers this project`);
  const phase = Object.entries(obj(obj(item.status).phase));
  const soldOut = new Set(phase.filter(([, p]) => p === 'soldout').map(([az]) => az));
  if (wanted.azs.length > 0) {
    const gone = wanted.azs.filter((az) => soldOut.has(az));
    if (gone.length > 0) return failed('pool-flavor', path, `flavor ${flavor} is sold out in ${gone.join(', ')}`);
  } else if (phase.length > 0 && soldOut.size === phase.length) {
    return failed('pool-flavor', path, `flavor ${flavor} is sold out in every availability zone (${[...soldOut].join(', ')})`);
  }
  const modes = obj(item.spec).billingModes;
  if (Array.isArray(modes) && modes.length > 0 && !modes.map(String).includes(wanted.billingMode)) {
    const label = BILLING_MODES[wanted.billingMode] ?? wanted.billingMode;
    return failed('pool-flavor', path, `flavor ${flavor} is not sold ${label} (billing mode ${wanted.billingMode})`);
  }
  const where = wanted.azs.length > 0 ? ` in ${wanted.azs.join(', ')}` : '';
  return passed('pool-flavor', path, `flavor ${flavor} is available${where}`);
}

/** The zones with nodes to place in a `PoolNodeAz` list (`[{az, count}]`); a zone with count 0 asks for none. */
export function zonesOf(azs: unknown): string[] {
  if (!Array.isArray(azs)) return [];
  return azs.map(obj).flatMap((a) => (str(a.az) && (typeof a.count !== 'number' || a.count > 0) ? [a.az as string] : []));
}

/**
 * Before a pool is created: each flavor is offered and not sold out where its nodes go
 * (`GET /v1/{project_id}/resourceflavors`), and the project's pool quota has room for one more
 * (`GET /v1/{project_id}/quotas`). An update checks only the flavors whose node count grows: it takes no quota.
 */
import type { HuaweiTarget, HuaweiTransport } from '../../huaweicloud/client';
import { urlEncode } from '../../huaweicloud/signer';
import type { AdapterResource, PreflightCheck, PreflightContext, ResourceSpec } from '../adapter';
import { type Json, num, obj, str } from '../common';
import {
  type Answer,
  failed,
  type FlavorWanted,
  lookUp,
  passed,
  poolFlavorCheck,
  readOf,
  resourceFlavors,
  unanswered,
  zonesOf,
} from '../preflight';

const BILLING_MODE = 'os.modelarts/billing.mode';

const entriesOf = (spec: ResourceSpec | undefined): Json[] => {
  const resources = obj(obj(spec?.body).spec).resources;
  return Array.isArray(resources) ? resources.map(obj) : [];
};

/** Nodes a flavor is asked for across a spec's entries. */
const countFor = (entries: Json[], flavor: string) =>
  entries.filter((e) => e.flavor === flavor).reduce((sum, e) => sum + (num(e.count) ?? 0), 0);

/** The flavors to check, once each (an entry per node pool may repeat one), with every zone asked of it. */
function wantedFlavors(spec: ResourceSpec, current: ResourceSpec | undefined): FlavorWanted[] {
  const billingMode = str(obj(obj(spec.body.metadata).annotations)[BILLING_MODE]) ?? '0';
  const entries = entriesOf(spec);
  const before = entriesOf(current);
  const wanted = new Map<string, FlavorWanted>();
  entries.forEach((entry, i) => {
    const flavor = str(entry.flavor);
    if (!flavor) return;
    if (current !== undefined && countFor(entries, flavor) <= countFor(before, flavor)) return;
    const seen = wanted.get(flavor);
    const azs = zonesOf(entry.azs);
    if (seen) seen.azs = [...new Set([...seen.azs, ...azs])];
    else wanted.set(flavor, { flavor, path: `spec.body.spec.resources[${i}].flavor`, azs, billingMode });
  });
  return [...wanted.values()];
}

/** The quota API's numbers are strings in its page's example and in the SDK's model; either is read. */
const count = (value: unknown): number => (typeof value === 'string' && value.trim() !== '' ? Number(value) : (num(value) ?? Number.NaN));

function quotaCheck(answer: Answer): PreflightCheck {
  if (answer.status !== 'ok') return unanswered('pool-quota', undefined, answer, 'pool quota');
  const resources = obj(obj(answer.body).quotas).resources;
  const pool = (Array.isArray(resources) ? resources.map(obj) : []).find((r) => str(r.type)?.toLowerCase() === 'pool');
  const [quota, used] = [count(pool?.quota), count(pool?.used)];
  if (!pool || !Number.isFinite(quota) || !Number.isFinite(used)) {
    return { check: 'pool-quota', status: 'unknown', message: "pool quota: Huawei's quota answer holds no pool quota" };
  }
  if (quota < 0) return passed('pool-quota', undefined, `pool quota: no limit (${used} pools in use)`);
  if (used + 1 > quota) return failed('pool-quota', undefined, `pool quota used up: ${used} of ${quota} pools in use`);
  return passed('pool-quota', undefined, `pool quota: ${used} of ${quota} pools in use`);
}

export async function resourcePoolPreflight(
  cloud: HuaweiTransport,
  resource: AdapterResource,
  target: HuaweiTarget,
  context: PreflightContext,
): Promise<PreflightCheck[]> {
  const create = context.operation === 'create';
  const wanted = wantedFlavors(resource.spec, create ? undefined : context.current);
  const [flavors, quota] = await Promise.all([
    wanted.length > 0 ? resourceFlavors(cloud, target, context.signal) : undefined,
    create
      ? lookUp(
          cloud,
          { operation: 'show pool quota', service: 'modelarts', target, path: `/v1/${urlEncode(target.projectId)}/quotas` },
          context.signal,
        ).then(readOf)
      : undefined,
  ]);
  return [...(flavors ? wanted.map((w) => poolFlavorCheck(flavors, w)) : []), ...(quota ? [quotaCheck(quota)] : [])];
}

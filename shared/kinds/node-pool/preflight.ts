/**
 * Before a node pool is created: its flavor is offered and not sold out where its nodes go
 * (`GET /v1/{project_id}/resourceflavors`, as for pools). An update checks it again only when the node count grows.
 */
import type { HuaweiTarget, HuaweiTransport } from '../../huaweicloud/client';
import type { AdapterResource, PreflightCheck, PreflightContext, ResourceSpec } from '../adapter';
import { num, obj, str } from '../common';
import { poolFlavorCheck, resourceFlavors, zonesOf } from '../preflight';

const resourcesOf = (spec: ResourceSpec | undefined) => obj(obj(obj(spec?.body).spec).resources);

export async function nodePoolPreflight(
  cloud: HuaweiTransport,
  resource: AdapterResource,
  target: HuaweiTarget,
  context: PreflightContext,
): Promise<PreflightCheck[]> {
  const wanted = resourcesOf(resource.spec);
  const flavor = str(wanted.flavor);
  if (!flavor) return [];
  if (context.operation === 'update' && (num(wanted.count) ?? 0) <= (num(resourcesOf(context.current).count) ?? 0)) return [];
  const billingMode = str(obj(obj(resource.spec.body.metadata).annotations)['os.modelarts/billing.mode']) ?? '0';
  const flavors = await resourceFlavors(cloud, target, context.signal);
  return [poolFlavorCheck(flavors, { flavor, path: 'spec.body.spec.resources.flavor', azs: zonesOf(wanted.azs), billingMode })];
}

/** The Huawei calls the lifecycle makes, by kind: each goes through the kind's adapter over one transport. */
import type { HuaweiTarget, HuaweiTransport } from '../huaweicloud/client';
import type { AdapterResource, Observation, PreflightCheck, PreflightContext, UpdateStep } from '../kinds/adapter';
import { adapterOf } from '../kinds/registry';
import { sharingReads } from '../huaweicloud/shared-reads';

/** What the dispatcher, the poller and the plan need from Huawei; tests wrap one to inject faults. */
export interface CloudApi {
  /** Sends the create (with the ownership mark) once; `referenceId` is the resolved parent's Huawei id. */
  create(kind: string, resource: AdapterResource, target: HuaweiTarget, referenceId?: string): Promise<{ id: string }>;
  /** Resources Huawei lists under this name, exact matches only. */
  findByName(kind: string, target: HuaweiTarget, name: string): Promise<unknown[]>;
  observe(kind: string, target: HuaweiTarget, id: string): Promise<Observation>;
  /** One step of an update toward `resource.spec`, decided from `observation` (see KindAdapter.update). */
  update(kind: string, resource: AdapterResource, target: HuaweiTarget, id: string, observation: Observation): Promise<UpdateStep>;
  /** Sends the delete; a resource already gone counts as deleted. */
  delete(kind: string, target: HuaweiTarget, id: string): Promise<void>;
  /** Read-only checks that the create (or an update's growth) can succeed now; see preflightResource for the safe wrapper. */
  preflight(kind: string, resource: AdapterResource, target: HuaweiTarget, context: PreflightContext): Promise<PreflightCheck[]>;
}

export function cloudApi(transport: HuaweiTransport): CloudApi {
  // Preflight look-ups only advise, and a submission's resources (or a batch's records) often ask the same one at
  // once: those share a call. The lifecycle's own reads stay one call each, read when they are asked.
  const lookUps = sharingReads(transport);
  return {
    create: (kind, resource, target, referenceId) => adapterOf(kind).create(transport, resource, target, referenceId),
    findByName: (kind, target, name) => adapterOf(kind).find(transport, target, name),
    observe: (kind, target, id) => adapterOf(kind).observe(transport, target, id),
    update: (kind, resource, target, id, observation) => adapterOf(kind).update(transport, resource, target, id, observation),
    delete: (kind, target, id) => adapterOf(kind).delete(transport, target, id),
    preflight: (kind, resource, target, context) => adapterOf(kind).preflight(lookUps, resource, target, context),
  };
}

/**
 * The judgements the reconciler and the plan share, so a plan's verdict is what merging does: is the spec
 * the same, where does a request stand against the managed resource, and which found resource may be adopted.
 */
import { createHash } from 'node:crypto';
import type { AdapterResource, FixedField, PlannedChange, ResourceSpec } from '../kinds/adapter';
import { adapterOf } from '../kinds/registry';
import { canonicalJson } from '../manifests/canonical';
import type { ManagedResource } from '../store/types';

/** What makes two manifests "the same resource spec": the kind's body and targeting, and the region. */
export function specHash(kind: string, spec: ResourceSpec, region: string): string {
  return createHash('sha256')
    .update(canonicalJson({ ...adapterOf(kind).desired(spec), region }))
    .digest('hex');
}

/**
 * Where a request stands against an existing managed resource:
 * - foreign: another namespace owns it; refused, naming the owner;
 * - unchanged / changed: it exists, with this spec or another;
 * - busy: another request is working on it; wait;
 * - mine: this request holds it (a redelivery);
 * - retry: an earlier request of the same owner failed; this one may take it over (looking up first).
 */
export type Standing = 'foreign' | 'unchanged' | 'changed' | 'busy' | 'mine' | 'retry';

export function standing(managed: ManagedResource, ask: { owner: string; specHash: string; requestId?: string }): Standing {
  if (managed.owner !== ask.owner) return 'foreign';
  if (managed.state === 'Succeeded') return managed.specHash === ask.specHash ? 'unchanged' : 'changed';
  if (managed.state === 'InFlight') return managed.requestId === ask.requestId ? 'mine' : 'busy';
  return 'retry';
}

/** The message a refused request gets, naming the owner. */
export function foreignMessage(kind: string, name: string, managed: Pick<ManagedResource, 'owner' | 'projectId'>): string {
  return `${kind}/${name} in project ${managed.projectId} is managed by ${managed.owner}; only that owner may change it`;
}

/** Why a change cannot apply in place, field by field, and how to have it replaced instead. */
function fixedMessage(fixed: readonly FixedField[]): string {
  return fixed.map((f) => `${f.path}: ${fixedReason(f)}`).join('; ');
}

export const fixedReason = (fixed: FixedField) => `${fixed.reason}; set spec.updatePolicy: Recreate to replace it`;

/** How a change of a created resource's spec is carried out, as the dispatcher does it and a plan shows it. */
export type ChangeDecision = { fixed: FixedField[]; changes: PlannedChange[] } & (
  | { verdict: 'update' | 'recreate' }
  | { verdict: 'refused'; reason: 'FieldNotUpdatable' | 'HasDependents'; message: string }
);

/**
 * In place when the kind can apply every changed field; by replacement when one cannot and the manifest says
 * `spec.updatePolicy: Recreate`, unless others were created in it (replacing it would take them along);
 * otherwise refused, naming the fields.
 */
export function decideChange(kind: string, current: ResourceSpec, next: ResourceSpec, dependents?: ReadonlySet<string>): ChangeDecision {
  const adapter = adapterOf(kind);
  const fixed = adapter.fixedChanges(current, next);
  const changes = adapter.changes(current, next);
  if (fixed.length === 0) return { verdict: 'update', fixed, changes };
  if (next.updatePolicy !== 'Recreate')
    return { verdict: 'refused', reason: 'FieldNotUpdatable', message: fixedMessage(fixed), fixed, changes };
  if (dependents?.size) {
    const held = [...dependents].sort().join(', ');
    const message = `replacing it would delete ${held} with it: delete or move them first`;
    return { verdict: 'refused', reason: 'HasDependents', message, fixed, changes };
  }
  return { verdict: 'recreate', fixed, changes };
}

/**
 * The Huawei id of a found resource that carries this resource's ownership mark. After a Failed lifecycle
 * (a takeover) only a resource that did not fail is adopted: a failed one stays failed, and creating anew
 * is what the owner asked for. After an intent of this very request, anything marked is ours.
 */
export function adoptable(kind: string, found: readonly unknown[], resource: AdapterResource, onlyLive: boolean): string | undefined {
  const adapter = adapterOf(kind);
  const candidates = onlyLive ? found.filter((item) => adapter.statusOf(item).phase !== 'Failed') : found;
  return candidates.map((item) => adapter.ownedId(item, resource)).find(Boolean);
}

/** A found resource with the same name that hwc-provisioner did not create (marked ones are ours, live or failed). */
export function strangers(kind: string, found: readonly unknown[], resource: AdapterResource): unknown[] {
  const adapter = adapterOf(kind);
  return found.filter((item) => !adapter.ownedId(item, resource));
}

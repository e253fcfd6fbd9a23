/**
 * The reconciler's dry run: what submitting these manifests would do to each resource, judged with the
 * same managed-resource record, the same standing, the same adapters' look-up and the same adoption rule
 * the dispatcher applies, so a pull request's plan (and a dry run) says what merging does. Nothing is
 * written, queued or created.
 */
import type { HuaweiTarget } from '../huaweicloud/client';
import { adapterOf } from '../kinds/registry';
import { formatIssue } from '../manifests/errors';
import type { Planned, PlannedSubmission } from '../manifests/submission';
import type { PlanEntry } from '../notify/render';
import { getManaged } from '../store/managed';
import type { TableRef } from '../store/requests';
import type { ManagedResource } from '../store/types';
import { ownerOf, refuseAtIntake, type OwnerGroups } from './owner';
import { adoptable, changedMessage, specHash, standing, strangers } from './verdict';

/** Who reads a plan: a pull or merge request's repository (a fork's author sees no Huawei ids), or an API caller's dry run. */
export type PlanViewer = { provider: 'github' | 'gitlab'; repository: string; fork?: boolean } | { provider: 'api'; caller: string };

/** The Huawei look-up the plan makes; the lifecycle's CloudApi satisfies it. */
export interface PlanCloud {
  findByName(kind: string, target: HuaweiTarget, name: string): Promise<unknown[]>;
}

export interface PlanLookups {
  store: { table: TableRef; now: () => Date };
  /** Absent when Huawei credentials are not configured: then only the table is consulted. */
  cloud?: PlanCloud;
  ownerGroups?: OwnerGroups;
}

/** The owner a viewer speaks for, as intake would compute it for the same source. */
export function viewerOwner(viewer: PlanViewer, groups?: OwnerGroups): string {
  return viewer.provider === 'api'
    ? ownerOf({ provider: 'api', ref: `api:${viewer.caller}`, caller: viewer.caller }, groups)
    : ownerOf({ provider: viewer.provider, ref: viewer.repository, repository: viewer.repository }, groups);
}

/** Verdict per document of the submission, in file order; the ownership refusal intake applies comes first. */
export async function planSubmitted(lookups: PlanLookups, submission: PlannedSubmission, viewer: PlanViewer): Promise<PlanEntry[]> {
  const owner = viewerOwner(viewer, lookups.ownerGroups);
  const { documents, planned } = await refuseAtIntake(lookups.store.table, submission, owner);
  const entries: { order: string; entry: PlanEntry }[] = [];
  const order = (file: string, index: number) => `${file}\u0000${String(index).padStart(6, '0')}`;
  for (const doc of documents.filter((d) => !d.valid)) {
    entries.push({
      order: order(doc.file, doc.index),
      entry: {
        file: doc.file,
        ...(doc.kind ? { kind: doc.kind } : {}),
        ...(doc.name ? { name: doc.name } : {}),
        verdict: 'invalid',
        detail: `${doc.errors.length} error${doc.errors.length === 1 ? '' : 's'}`,
        errors: doc.errors.map((e) => formatIssue(doc.file, e)),
      },
    });
  }
  const hideIds = viewer.provider !== 'api' && viewer.fork === true;
  for (const item of planned) {
    const doc = documents.find((d) => d.manifest === item.manifest);
    const base = { file: item.file, kind: item.manifest.kind, name: item.manifest.metadata.name, errors: [] as string[] };
    entries.push({ order: order(item.file, doc?.index ?? 0), entry: { ...base, ...(await planOne(lookups, item, owner, hideIds)) } });
  }
  return entries.sort((a, b) => a.order.localeCompare(b.order)).map((e) => e.entry);
}

type Verdict = Pick<PlanEntry, 'verdict' | 'detail'>;

async function planOne(lookups: PlanLookups, item: Planned, owner: string, hideIds: boolean): Promise<Verdict> {
  const { manifest, projectId, region } = item;
  const kind = manifest.kind;
  const name = manifest.metadata.name;
  const managed = await getManaged(lookups.store.table, projectId, kind, name);
  if (managed) {
    switch (standing(managed, { owner, specHash: specHash(kind, manifest.spec, region) })) {
      case 'unchanged':
        return { verdict: 'exists', detail: `unchanged${!hideIds && managed.huaweiId ? ` (id ${managed.huaweiId})` : ''}` };
      case 'changed':
        return { verdict: 'conflict', detail: changedMessage(kind, name, managed) };
      case 'busy':
      case 'mine':
        return { verdict: 'in-progress', detail: `by request ${managed.requestId}` };
      case 'foreign':
      case 'retry':
        break;
    }
  }
  return lookUp(lookups, item, managed, owner);
}

/**
 * Nothing holds it, or the owner's last attempt failed: what the dispatcher would find at Huawei. A marked
 * resource that did not fail is adopted; one that failed is left and created anew; a same-named resource
 * hwc-provisioner did not create makes the create fail when the kind's names are unique.
 */
async function lookUp(lookups: PlanLookups, item: Planned, managed: ManagedResource | undefined, owner: string): Promise<Verdict> {
  const { manifest, projectId, region } = item;
  const kind = manifest.kind;
  const adapter = adapterOf(kind);
  const earlier = managed?.state === 'Failed' ? ` (the last attempt failed: ${managed.conditions.Ready.reason})` : '';
  const create: Verdict = { verdict: 'create', detail: `in ${region}${earlier}` };
  if (!lookups.cloud) return create;
  const resource = { projectId, region, name: manifest.metadata.name, spec: manifest.spec };
  // Huawei's error messages may quote a referenced resource's id, which is not the viewer's to see when another owner holds it.
  let referenceId: string | undefined;
  let hidden: string | undefined;
  const reference = adapter.reference(manifest.spec);
  if (reference) {
    const referenced = await getManaged(lookups.store.table, projectId, reference.kind, reference.name);
    // Created by this change (or later): what it holds cannot exist yet.
    if (referenced?.state !== 'Succeeded' || !referenced.huaweiId) return create;
    referenceId = referenced.huaweiId;
    if (referenced.owner !== owner) hidden = referenceId;
  }
  const wanted = adapter.huaweiName(manifest.spec);
  try {
    const found = await lookups.cloud.findByName(kind, adapter.target(resource, referenceId), wanted);
    if (adoptable(kind, found, resource, true)) return { verdict: 'exists', detail: 'created by an earlier attempt; it will be adopted' };
    if (adapter.uniqueNames && strangers(kind, found, resource).length > 0)
      return { verdict: 'conflict', detail: `Huawei Cloud already has a ${kind} named ${wanted} that hwc-provisioner did not create` };
    return create;
  } catch (error) {
    const message = hidden
      ? (error as Error).message.split(hidden).join(`(the ${reference!.kind} ${reference!.name})`)
      : (error as Error).message;
    return { verdict: 'create', detail: `in ${region} (could not check Huawei Cloud: ${message})` };
  }
}

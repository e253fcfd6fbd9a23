/**
 * The reconciler's dry run: what submitting these manifests would do to each resource, judged with the
 * same managed-resource record, the same standing, the same adapters' look-up, change classification and
 * adoption rule the dispatcher applies, so a pull request's plan (and a dry run) says what merging does,
 * field by field. Nothing is written, queued or created.
 */
import type { FixedField, PlannedChange, ResourceSpec } from '../kinds/adapter';
import { adapterOf } from '../kinds/registry';
import { canonicalJson } from '../manifests/canonical';
import { formatIssue } from '../manifests/errors';
import type { Planned, PlannedSubmission } from '../manifests/submission';
import type { PlanEntry } from '../notify/render';
import { getManaged } from '../store/managed';
import type { TableRef } from '../store/requests';
import type { ManagedResource, RequestSource } from '../store/types';
import type { Policy } from '../policy/document';
import { admit, type Admission } from '../intake/admission';
import type { CloudApi } from './cloud';
import type { Removal } from '../intake/removal';
import { ownerOf, refuseAtIntake, type OwnerGroups } from './owner';
import { adoptable, decideChange, fixedReason, specHash, standing, strangers } from './verdict';

/** Who reads a plan: a pull or merge request's repository (a fork's author sees no Huawei ids), or an API caller's dry run. */
export type PlanViewer =
  | {
      provider: 'github' | 'gitlab';
      repository: string;
      fork?: boolean /** The branch a merge goes to, for the policy. */;
      branch?: string;
    }
  | { provider: 'api'; caller: string };

/** The Huawei calls the plan makes (a look-up, and the preflight where given); the lifecycle's CloudApi satisfies it. */
export type PlanCloud = Pick<CloudApi, 'findByName'> & Partial<Pick<CloudApi, 'preflight'>>;

export interface PlanLookups {
  store: { table: TableRef; now: () => Date };
  /** Absent when Huawei credentials are not configured: then only the table is consulted. */
  cloud?: PlanCloud;
  ownerGroups?: OwnerGroups;
  /** The policy intake applies, so a plan says what it would deny or hold for approval. */
  policy?: Policy;
}

/** The source a viewer's merge (or call) would be, as intake records it. */
function viewerSource(viewer: PlanViewer): RequestSource {
  return viewer.provider === 'api'
    ? { provider: 'api', ref: `api:${viewer.caller}`, caller: viewer.caller, user: `api:${viewer.caller}` }
    : {
        provider: viewer.provider,
        ref: viewer.repository,
        repository: viewer.repository,
        ...(viewer.branch ? { branch: viewer.branch } : {}),
      };
}

/** The owner a viewer speaks for, as intake would compute it for the same source. */
export function viewerOwner(viewer: PlanViewer, groups?: OwnerGroups): string {
  return ownerOf(viewerSource(viewer), groups);
}

/**
 * Verdict per document of the submission, in file order. Intake's refusals come first: the policy ("denied"),
 * the preflight ("would fail", in Huawei's words), then ownership; a resource held for approval says so.
 */
export async function planSubmitted(
  lookups: PlanLookups,
  submission: PlannedSubmission,
  viewer: PlanViewer,
  /** What intake's admission already said of this submission (a dry run): not asked again. */
  known?: Admission,
): Promise<PlanEntry[]> {
  const owner = viewerOwner(viewer, lookups.ownerGroups);
  const admission =
    known ??
    (await admit(
      {
        table: lookups.store.table,
        ...(lookups.policy ? { policy: lookups.policy } : {}),
        ...(lookups.cloud?.preflight ? { preflight: { preflight: lookups.cloud.preflight } } : {}),
      },
      submission,
      viewerSource(viewer),
      owner,
    ));
  const noteOf = new Map(admission.notes.map((n) => [n.planned.manifest, n]));
  const admitted = submission.planned.filter((p) => !noteOf.get(p.manifest)?.refusals.length);
  const { documents, planned } = await refuseAtIntake(lookups.store.table, { ...submission, planned: admitted }, owner);
  const refused = admitted.filter((p) => !planned.includes(p));
  const entries: { order: string; entry: PlanEntry }[] = [];
  const order = (file: string, index: number) => `${file}\u0000${String(index).padStart(6, '0')}`;
  for (const doc of documents.filter((d) => !d.valid)) {
    const item = refused.find((p) => p.manifest === doc.manifest);
    const changes = item ? await refusedChanges(lookups, item, owner) : [];
    entries.push({
      order: order(doc.file, doc.index),
      entry: {
        file: doc.file,
        ...(doc.kind ? { kind: doc.kind } : {}),
        ...(doc.name ? { name: doc.name } : {}),
        verdict: 'invalid',
        detail: `${doc.errors.length} error${doc.errors.length === 1 ? '' : 's'}`,
        errors: doc.errors.map((e) => formatIssue(doc.file, e)),
        ...(changes.length ? { changes } : {}),
      },
    });
  }
  const hideIds = viewer.provider !== 'api' && viewer.fork === true;
  for (const note of admission.notes.filter((n) => n.refusals.length > 0)) {
    const item = note.planned;
    const doc = documents.find((d) => d.manifest === item.manifest);
    const denied = note.refusals.some((r) => r.by === 'policy');
    entries.push({
      order: order(item.file, doc?.index ?? 0),
      entry: {
        file: item.file,
        kind: item.manifest.kind,
        name: item.manifest.metadata.name,
        verdict: denied ? 'denied' : 'conflict',
        // The label already says "would fail" or "denied by policy".
        detail: note.refusals.map((r) => r.message.replace(/^(would fail|denied by policy): /, '')).join('; '),
        errors: [],
      },
    });
  }
  for (const item of planned) {
    const doc = documents.find((d) => d.manifest === item.manifest);
    const base = { file: item.file, kind: item.manifest.kind, name: item.manifest.metadata.name, errors: [] as string[] };
    const verdict = await planOne(lookups, item, owner, hideIds);
    const note = noteOf.get(item.manifest);
    const approval = note?.policy?.allowed && note.policy.approval;
    const asides = [
      ...(approval ? [`needs approval (rule ${approval.rule}: ${approval.reason})`] : []),
      ...(note?.policy?.allowed && !approval ? [`allowed by policy rule ${note.policy.rule}`] : []),
      ...(note?.unknown.length ? [`preflight could not check: ${note.unknown.join('; ')}`] : []),
    ];
    const detail = asides.length ? `${verdict.detail}; ${asides.join('; ')}` : verdict.detail;
    entries.push({ order: order(item.file, doc?.index ?? 0), entry: { ...base, ...verdict, detail } });
  }
  return entries.sort((a, b) => a.order.localeCompare(b.order)).map((e) => e.entry);
}

/**
 * What the removed manifest files of a pull request take away once merged (removalsOfPush decides, as for the
 * push the merge makes): deleted only where the manifest says `deletionPolicy: Delete` and pruning is on for
 * the target branch, else orphaned.
 */
export function planRemovals(removals: readonly Removal[], ctx: { prune: boolean; branch: string }): PlanEntry[] {
  return removals.map((removal) => {
    const base = { file: removal.file, kind: removal.kind, name: removal.name, errors: [] as string[] };
    if (removal.operation === 'delete')
      return {
        ...base,
        verdict: 'delete',
        detail: `file removed; deletionPolicy: Delete and pruning is on for ${ctx.branch}`,
        changes: ['- will be deleted'],
      };
    const why = ctx.prune ? 'its deletionPolicy is Orphan' : `pruning is off for ${ctx.branch}`;
    return {
      ...base,
      verdict: 'orphan',
      detail: `file removed; ${why}: left running, no longer managed`,
      changes: ['- will be orphaned (left running, no longer managed)'],
    };
  });
}

type Verdict = Pick<PlanEntry, 'verdict' | 'detail' | 'changes'>;

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
        return changeVerdict(managed, manifest.spec, hideIds);
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

/** How a value shows in a change line: strings bare (empty ones quoted), the rest as canonical JSON, cut short. */
function shown(value: unknown): string {
  if (value === undefined) return '(unset)';
  const text = typeof value === 'string' && value !== '' ? value : canonicalJson(value);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

const fieldLine = (change: PlannedChange, note?: string) =>
  `${change.path}: ${shown(change.observed)} → ${shown(change.desired)}${note ? ` (${note})` : ''}`;

/** Paths for a detail cell: a few, then how many more (the change lines list them all). */
function pathList(paths: readonly string[]): string {
  return paths.length > 3 ? `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more` : paths.join(', ');
}

/**
 * A managed resource whose spec changed, judged as the dispatcher's change() judges it: in place when the kind
 * applies every changed field; replaced when a field cannot change in place and the manifest says
 * `spec.updatePolicy: Recreate` (refused while others live in it); otherwise refused, naming the fields.
 */
function changeVerdict(managed: ManagedResource, next: ResourceSpec, hideIds: boolean): Verdict {
  const decision = decideChange(managed.kind, managed.desired as ResourceSpec, next, managed.dependents);
  const { fixed, changes } = decision;
  const huaweiId = hideIds ? undefined : managed.huaweiId;
  const id = huaweiId ? ` (id ${huaweiId})` : '';
  const fixedPaths = new Set(fixed.map((f) => f.path));
  switch (decision.verdict) {
    case 'update': {
      const effects = [...new Set(changes.flatMap((c) => (c.effect ? [c.effect] : [])))];
      const what = changes.length ? pathList(changes.map((c) => c.path)) : 'no field Huawei Cloud holds';
      return {
        verdict: 'update',
        detail: `${what}${id}${effects.length ? `; ${effects.join('; ')}` : ''}`,
        changes: changes.map((c) => `~ ${fieldLine(c, c.effect)}`),
      };
    }
    case 'refused':
      return decision.reason === 'FieldNotUpdatable'
        ? { verdict: 'conflict', detail: decision.message, changes: refusalLines(fixed, changes) }
        : { verdict: 'conflict', detail: decision.message };
    case 'recreate': {
      const replacing = huaweiId ? ` (replacing id ${huaweiId})` : '';
      return {
        verdict: 'replace',
        detail: `${pathList([...fixedPaths])} cannot change in place: deleted, then created again with a new id${replacing}`,
        changes: [
          `-/+ will be replaced: ${pathList([...fixedPaths])} cannot change in place (deleted, then created again with a new id)`,
          ...changes.map((c) => `~ ${fieldLine(c, fixedPaths.has(c.path) ? 'forces replacement' : undefined)}`),
        ],
      };
    }
  }
}

/** The refused fields first, each with its values and why; the fields that could change in place after them. */
function refusalLines(fixed: readonly FixedField[], changes: readonly PlannedChange[]): string[] {
  const byPath = new Map(changes.map((c) => [c.path, c]));
  const fixedPaths = new Set(fixed.map((f) => f.path));
  return [
    ...fixed.map((f) => {
      const change = byPath.get(f.path);
      return `! cannot change in place: ${change ? fieldLine(change, fixedReason(f)) : `${f.path} (${fixedReason(f)})`}`;
    }),
    ...changes.filter((c) => !fixedPaths.has(c.path)).map((c) => `~ ${fieldLine(c, c.effect)}`),
  ];
}

/**
 * The change lines of a manifest intake refuses: the plan shows it invalid with intake's error, and here which
 * fields cannot change in place and from what to what. Nothing for the other refusals (another owner's resource).
 */
async function refusedChanges(lookups: PlanLookups, item: Planned, owner: string): Promise<string[]> {
  const { manifest, projectId, region } = item;
  const managed = await getManaged(lookups.store.table, projectId, manifest.kind, manifest.metadata.name);
  if (!managed || standing(managed, { owner, specHash: specHash(manifest.kind, manifest.spec, region) }) !== 'changed') return [];
  return changeVerdict(managed, manifest.spec, true).changes ?? [];
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
    if (adoptable(kind, found, resource, true)) {
      const earlierLife = managed?.state === 'Orphaned' ? 'orphaned earlier' : 'created by an earlier attempt';
      return { verdict: 'exists', detail: `${earlierLife}; it will be adopted` };
    }
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

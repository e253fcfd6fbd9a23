/**
 * Ownership: a managed resource belongs to the namespace that first created it (a repository, a Jira
 * project, an API caller, a queue's source system), or to the team a configured group puts that namespace
 * in (OWNER_GROUPS), so one team may own resources from its repository and its Jira project alike.
 */
import { refuseDocument } from '../manifests/errors';
import type { Planned, PlannedSubmission } from '../manifests/submission';
import { getManagedMany } from '../store/managed';
import type { TableRef } from '../store/requests';
import type { ManagedSource, RequestSource } from '../store/types';
import type { ResourceSpec } from '../kinds/adapter';
import { adapterOf } from '../kinds/registry';
import { fixedReason, foreignMessage, specHash } from './verdict';

/** Namespace -> the group that owns it, from OWNER_GROUPS. */
export type OwnerGroups = ReadonlyMap<string, string>;

/** The namespace a request speaks for. Repository paths compare case-insensitively, as both providers treat them. */
function namespaceOf(source: RequestSource): string {
  switch (source.provider) {
    case 'github':
    case 'gitlab':
      return `${source.provider}:${(source.repository ?? source.ref.split('@')[0] ?? '').toLowerCase()}`;
    case 'jira':
      return `jira:${(source.ticket ?? source.ref).split('-')[0]}`;
    case 'api':
      return `api:${source.caller ?? source.ref.replace(/^api:/, '')}`;
    case 'queue':
      return source.ref.startsWith('queue:') ? source.ref : `queue:${source.ref}`;
  }
}

/** The owner a request's resources get: its namespace, or the group that namespace belongs to. */
export function ownerOf(source: RequestSource, groups: OwnerGroups = new Map()): string {
  const namespace = namespaceOf(source);
  const group = groups.get(namespace.toLowerCase());
  return group ? `group:${group}` : namespace;
}

/** What a managed resource keeps of the request that last took it on: enough to find the file and commit. */
export function managedSource(source: RequestSource, file: string): ManagedSource {
  const { provider, ref, repository, commit, branch, ticket, caller } = source;
  return {
    provider,
    ref,
    file,
    ...(repository ? { repository } : {}),
    ...(commit ? { commit } : {}),
    ...(branch ? { branch } : {}),
    ...(ticket ? { ticket } : {}),
    ...(caller ? { caller } : {}),
  };
}

/**
 * Refuses, before anything is queued, every planned resource whose managed resource another namespace owns
 * (naming the owner), or whose change touches a field that cannot change in place without spec.updatePolicy:
 * Recreate (naming the field). The document gets the error: a 422 for POST /requests, a rejected request for
 * pushes and tickets. So a caller who claimed a name first cannot make the owner's later push fail, nor the reverse.
 */
export async function refuseAtIntake(table: TableRef, submission: PlannedSubmission, owner: string): Promise<PlannedSubmission> {
  if (submission.planned.length === 0) return submission;
  const managed = await getManagedMany(
    table,
    submission.planned.map((p) => ({ projectId: p.projectId, kind: p.manifest.kind, name: p.manifest.metadata.name })),
  );
  const refused = new Set<Planned>();
  const refuse = (p: Planned, path: string, message: string) => {
    refuseDocument(submission.documents, p, path, message);
    refused.add(p);
  };
  for (const p of submission.planned) {
    const { kind, metadata, spec } = p.manifest;
    const existing = managed.get(`${p.projectId}/${kind}/${metadata.name}`);
    if (!existing || existing.state === 'Deleted' || existing.state === 'Orphaned') continue;
    if (existing.owner !== owner) {
      refuse(p, 'metadata.name', foreignMessage(kind, metadata.name, existing));
      continue;
    }
    // A change of a created resource that touches a field Huawei cannot change in place, without Recreate.
    if (existing.state !== 'Succeeded' || (spec as ResourceSpec).updatePolicy === 'Recreate') continue;
    if (existing.specHash === specHash(kind, spec, p.region)) continue;
    for (const fixed of adapterOf(kind).fixedChanges(existing.desired as ResourceSpec, spec)) {
      refuse(p, fixed.path, fixedReason(fixed));
    }
  }
  return refused.size === 0 ? submission : { documents: submission.documents, planned: submission.planned.filter((p) => !refused.has(p)) };
}

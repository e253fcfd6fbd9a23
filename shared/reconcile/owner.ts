/**
 * Ownership: a managed resource belongs to the namespace that first created it (a repository, a Jira
 * project, an API caller, a queue's source system), or to the team a configured group puts that namespace
 * in (OWNER_GROUPS), so one team may own resources from its repository and its Jira project alike.
 */
import type { Planned, PlannedSubmission } from '../manifests/submission';
import { getManagedMany } from '../store/managed';
import type { TableRef } from '../store/requests';
import type { ManagedSource, RequestSource } from '../store/types';
import { foreignMessage } from './verdict';

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
 * Refuses, before anything is queued, every planned resource whose managed resource another namespace owns:
 * the document gets an error naming the owner (a 422 for POST /requests, a rejected request for pushes and
 * tickets), so a caller who claimed a name first cannot make the owner's later push fail, nor the reverse.
 */
export async function refuseForeign(table: TableRef, submission: PlannedSubmission, owner: string): Promise<PlannedSubmission> {
  if (submission.planned.length === 0) return submission;
  const managed = await getManagedMany(
    table,
    submission.planned.map((p) => ({ projectId: p.projectId, kind: p.manifest.kind, name: p.manifest.metadata.name })),
  );
  const refused = new Set<Planned>();
  for (const p of submission.planned) {
    const existing = managed.get(`${p.projectId}/${p.manifest.kind}/${p.manifest.metadata.name}`);
    if (!existing || existing.owner === owner) continue;
    const doc = submission.documents.find((d) => d.manifest === p.manifest);
    if (doc) {
      const at = doc.positionOf?.(['metadata', 'name']) ?? { line: 1, column: 1 };
      doc.errors.push({ path: 'metadata.name', message: foreignMessage(p.manifest.kind, p.manifest.metadata.name, existing), ...at });
      doc.valid = false;
    }
    refused.add(p);
  }
  return refused.size === 0 ? submission : { documents: submission.documents, planned: submission.planned.filter((p) => !refused.has(p)) };
}

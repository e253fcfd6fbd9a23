/**
 * Removals: what a push takes away by deleting manifest files, and what DELETE /resources asks for. A removed
 * resource is deleted only when its manifest said `metadata.deletionPolicy: Delete` and pruning is on for the
 * repository and branch (or the API caller asked for it); otherwise it is orphaned: left running, no longer
 * managed. Either way the request records which, and an event says so.
 */
import picomatch from 'picomatch';
import { planSubmission, type PlacementDefaults, type SourceFile } from '../manifests/submission';
import { getManaged, getManagedMany } from '../store/managed';
import type { TableRef } from '../store/requests';
import type { ManagedResource } from '../store/types';

/** One managed resource a request removes. */
export interface Removal {
  projectId: string;
  region: string;
  kind: string;
  name: string;
  operation: 'delete' | 'orphan';
  /** Where it was declared (the removed file), or `request` for an API call. */
  file: string;
  /** The spec last accepted for it: a delete needs its targeting (a node pool's pool). */
  spec: Record<string, unknown>;
}

/** Which repositories and branches may delete what their removed manifests declared (PRUNE, PRUNE_REPOSITORIES). */
export interface PruneSettings {
  /** Every tracked repository and branch. */
  all: boolean;
  /** `owner/repo` or `owner/repo@branch`, globs allowed (`acme/*`). */
  repositories: readonly string[];
}

export function pruneEnabled(settings: PruneSettings | undefined, repository: string, branch: string): boolean {
  if (!settings) return false;
  if (settings.all) return true;
  const repo = repository.toLowerCase();
  return settings.repositories.some((entry) => {
    const [pattern, onBranch] = entry.toLowerCase().split('@') as [string, string | undefined];
    return picomatch.isMatch(repo, pattern) && (onBranch === undefined || onBranch === branch.toLowerCase());
  });
}

/**
 * The resources the removed files declared that this push really removes: managed by its owner, declared
 * last in that very file (a manifest moved to another file, or also declared in one still present, stays),
 * and not declared again by the push's own changed files.
 */
export async function removalsOfPush(
  table: TableRef,
  push: { removed: readonly SourceFile[]; declared: readonly { projectId: string; kind: string; name: string }[] },
  context: { owner: string; defaults: PlacementDefaults; prune: boolean },
): Promise<Removal[]> {
  if (push.removed.length === 0) return [];
  // Each removed file on its own: one with an error (or several declaring a name) was never provisioned whole,
  // but its valid documents may have been, by an earlier push.
  const planned = push.removed.flatMap((file) => planSubmission([file], context.defaults).planned);
  const stillDeclared = new Set(push.declared.map((d) => `${d.projectId}/${d.kind}/${d.name}`));
  const candidates = planned.filter((p) => !stillDeclared.has(`${p.projectId}/${p.manifest.kind}/${p.manifest.metadata.name}`));
  if (candidates.length === 0) return [];
  const managed = await getManagedMany(
    table,
    candidates.map((p) => ({ projectId: p.projectId, kind: p.manifest.kind, name: p.manifest.metadata.name })),
  );
  const removals = new Map<string, Removal>();
  for (const p of candidates) {
    const key = `${p.projectId}/${p.manifest.kind}/${p.manifest.metadata.name}`;
    const existing = managed.get(key);
    if (!removable(existing, context.owner) || existing.source.file !== p.file) continue;
    const wantsDelete = (p.manifest.metadata as { deletionPolicy?: string }).deletionPolicy === 'Delete';
    removals.set(key, {
      projectId: p.projectId,
      region: existing.region,
      kind: p.manifest.kind,
      name: p.manifest.metadata.name,
      operation: context.prune && wantsDelete ? 'delete' : 'orphan',
      file: p.file,
      spec: existing.desired,
    });
  }
  return [...removals.values()];
}

function removable(managed: ManagedResource | undefined, owner: string): managed is ManagedResource {
  return managed !== undefined && managed.owner === owner && managed.state !== 'Deleted' && managed.state !== 'Orphaned';
}

/** Why an API removal cannot be accepted: nothing to remove, or someone else's. */
export class RemovalRefusedError extends Error {
  constructor(
    readonly code: 'RESOURCE_NOT_FOUND' | 'OWNED_ELSEWHERE' | 'HAS_DEPENDENTS',
    message: string,
  ) {
    super(message);
    this.name = 'RemovalRefusedError';
  }
}

/**
 * DELETE /resources/{kind}/{name}: the caller's namespace must own it, and a resource others were created in
 * (a pool holding node pools or notebooks) is refused while they live, naming them.
 */
export async function removalOfCall(
  table: TableRef,
  /** `region`, when given, must be the managed resource's (a name is unique per project, not per region). */
  ask: { projectId: string; kind: string; name: string; operation: 'delete' | 'orphan'; region?: string },
  owner: string,
): Promise<Removal> {
  const { projectId, kind, name } = ask;
  const managed = await getManaged(table, projectId, kind, name);
  if (!managed || managed.state === 'Deleted' || managed.state === 'Orphaned' || (ask.region && ask.region !== managed.region))
    throw new RemovalRefusedError(
      'RESOURCE_NOT_FOUND',
      `no managed ${kind}/${name} in project ${projectId}${ask.region ? ` and region ${ask.region}` : ''}`,
    );
  if (managed.owner !== owner)
    throw new RemovalRefusedError('OWNED_ELSEWHERE', `${kind}/${name} in project ${projectId} is managed by ${managed.owner}`);
  if (ask.operation === 'delete' && managed.dependents?.size) {
    const identities = [...managed.dependents].map((member) => {
      const [depKind = '', ...rest] = member.split('/');
      return { projectId, kind: depKind, name: rest.join('/') };
    });
    const living = [...(await getManagedMany(table, identities)).values()]
      .filter((d) => d.state !== 'Deleted' && d.state !== 'Orphaned')
      .map((d) => `${d.kind}/${d.name}`)
      .sort();
    if (living.length > 0)
      throw new RemovalRefusedError('HAS_DEPENDENTS', `${kind}/${name} still holds ${living.join(', ')}: delete them first`);
  }
  return { projectId, region: managed.region, kind, name, operation: ask.operation, file: 'request', spec: managed.desired };
}

/**
 * What a viewer may list, one rule for the API's list routes (reads.ts) and the pages' (shared/ui): everything
 * with read-all (unless only their own are asked for); else their own requests (an API caller's, or a person's
 * identities') and, for an approver, those that asked for an approval; resources of their own namespace.
 */
import type { ApiRole } from '../config';
import { ownerOf, type OwnerGroups } from '../reconcile/owner';
import type { RequestListFilter } from '../store/lists';
import type { Viewer } from './viewer';

/** A link has no roles: it opens one request's page and lists nothing. */
export function hasViewerRole(viewer: Viewer, role: ApiRole): boolean {
  const roles = viewer.kind === 'session' ? viewer.roles : viewer.kind === 'token' ? viewer.caller.roles : [];
  return roles.includes(role);
}

/** The visibility part of a request list's filter; `{}` is everything, undefined is nothing at all. */
export function requestListScope(viewer: Viewer, mine: boolean): Pick<RequestListFilter, 'caller' | 'users' | 'approvals'> | undefined {
  if (hasViewerRole(viewer, 'read-all') && !mine) return {};
  const approvals = hasViewerRole(viewer, 'approve') && !mine;
  if (viewer.kind === 'token') return { caller: viewer.caller.caller, ...(approvals ? { approvals } : {}) };
  const identities = viewer.kind === 'session' ? viewer.identities : [];
  if (identities.length === 0 && !approvals) return undefined;
  return { ...(identities.length > 0 ? { users: identities } : {}), ...(approvals ? { approvals } : {}) };
}

/** The namespace whose resources a viewer without read-all sees: the API caller's (a session's `api:` identity). */
export function ownNamespace(viewer: Viewer, groups: OwnerGroups | undefined): string | undefined {
  const caller =
    viewer.kind === 'token'
      ? viewer.caller.caller
      : viewer.kind === 'session'
        ? viewer.identities.find((i) => i.startsWith('api:'))?.slice(4)
        : undefined;
  return caller ? ownerOf({ provider: 'api', ref: `api:${caller}`, caller }, groups) : undefined;
}

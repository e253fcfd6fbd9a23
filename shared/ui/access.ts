/**
 * Who is looking, and what they may see: the contract of shared/http/viewer.ts (AUTH), kept here until that
 * module is on main, so the pages can be written and tested against it now.
 */
import type { ApiRole } from '../config';
import type { ApiToken } from '../intake/auth';
import type { RequestRecord } from '../store/types';

export type Viewer =
  | { kind: 'link'; requestId: string; expiresAt: string }
  | { kind: 'session'; subject: string; name: string; roles: ApiRole[]; identities: string[] }
  | { kind: 'token'; caller: ApiToken };

const rolesOf = (viewer: Viewer): readonly ApiRole[] =>
  viewer.kind === 'session' ? viewer.roles : viewer.kind === 'token' ? viewer.caller.roles : [];

export const hasViewerRole = (viewer: Viewer, role: ApiRole): boolean => rolesOf(viewer).includes(role);

/** As GET /requests/{id} decides: a link sees its one request; others see all (read-all), their own, or what awaits their approval. */
export function canSeeRequest(viewer: Viewer, request: Pick<RequestRecord, 'requestId' | 'source' | 'approval'>): boolean {
  if (viewer.kind === 'link') return viewer.requestId === request.requestId;
  if (hasViewerRole(viewer, 'read-all')) return true;
  if (hasViewerRole(viewer, 'approve') && request.approval !== undefined) return true;
  if (viewer.kind === 'token') return request.source.provider === 'api' && request.source.caller === viewer.caller.caller;
  const { source } = request;
  return (
    (source.user !== undefined && viewer.identities.includes(source.user)) ||
    (source.caller !== undefined && viewer.identities.includes(`api:${source.caller}`))
  );
}

/** Lists are for people who signed in (or hold a token), never for a link to one request. */
export const canList = (viewer: Viewer): boolean => viewer.kind !== 'link';

/** A viewer's roles, for the lists' scope: a link has none. */
import type { ApiRole } from '../config';
import type { Viewer } from '../http/viewer';

const rolesOf = (viewer: Viewer): readonly ApiRole[] =>
  viewer.kind === 'session' ? viewer.roles : viewer.kind === 'token' ? viewer.caller.roles : [];

export const hasViewerRole = (viewer: Viewer, role: ApiRole): boolean => rolesOf(viewer).includes(role);

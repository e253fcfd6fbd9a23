/** Ownership markers: how hwc-provisioner recognises, after a lost response, a resource it created itself. */
import { createHash } from 'node:crypto';

/** Tag key put on edge deployments (their create body accepts tags). */
export const OWNERSHIP_TAG_KEY = 'hwc-provisioner';

/**
 * Notebook create bodies have no tags, so the marker goes at the end of `description`:
 * a space, `hwcp-` and 12 hex digits of the identity hash. Only characters the
 * description allows are used (it forbids & < > " ' /).
 */
export const NOTEBOOK_MARKER_LENGTH = 18;
export const NOTEBOOK_DESCRIPTION_MAX = 512 - NOTEBOOK_MARKER_LENGTH;

/** A short, stable digest of a resource identity (project, kind, metadata.name). */
export function ownershipId(projectId: string, kind: string, name: string): string {
  return createHash('sha256').update(`${projectId}\u0000${kind}\u0000${name}`).digest('hex').slice(0, 12);
}

export function notebookMarker(projectId: string, name: string): string {
  return ` hwcp-${ownershipId(projectId, 'Notebook', name)}`;
}

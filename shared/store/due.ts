/** The due index: every item with work pending (a poll, a retry, an unpublished event) and when it is due. */

/** One partition keeps the query simple; at thousands of in-flight items it stays far below a partition's limits. */
export const DUE_PARTITION = 'DUE';

/**
 * Ready managed resources, each due for its next look for drift: a partition of the same sparse index, so a look
 * reads the resources due, never the whole inventory.
 */
export const DRIFT_PARTITION = 'DRIFT';

export function dueAt(from: Date, delaySeconds: number): string {
  return new Date(from.getTime() + delaySeconds * 1000).toISOString();
}

/** Keys of the items that more than one store module writes or checks. */
export const managedKey = (projectId: string, kind: string, name: string) => ({ pk: `MR#${projectId}#${kind}#${name}`, sk: 'MR' });

/** Partitions of the list index (schema.ts RECENT_INDEX): requests newest first, managed resources by kind and name. */
export const REQUEST_LIST = 'REQUESTS';
export const MANAGED_LIST = 'MANAGED';
export const requestListKey = (r: { createdAt: string; requestId: string }) => ({
  listPk: REQUEST_LIST,
  listSk: `${r.createdAt}#${r.requestId}`,
});
export const managedListKey = (projectId: string, kind: string, name: string) => ({
  listPk: MANAGED_LIST,
  listSk: `${kind}#${name}#${projectId}`,
});

/** Keys of the items that more than one store module writes or checks. */
export const managedKey = (projectId: string, kind: string, name: string) => ({ pk: `MR#${projectId}#${kind}#${name}`, sk: 'MR' });

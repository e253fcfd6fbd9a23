/** Moved to local/fake-providers/git.ts (the local stack serves it too); kept so older imports still resolve. */
export * from '../../local/fake-providers/git';

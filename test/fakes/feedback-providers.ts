/** Moved to local/fake-providers/feedback.ts (the local stack serves it too); kept so older imports still resolve. */
export * from '../../local/fake-providers/feedback';

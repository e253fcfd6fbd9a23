/**
 * When each ready resource is looked at for drift. Every resource has its own slot in the interval, from a hash of
 * its identity, and is looked at once per interval in that slot: 10,000 resources created in one burst are still
 * read evenly, about resources / interval per minute, never all at once.
 */
import { createHash } from 'node:crypto';

/** The first slot after `from` (never `from` itself), for the resource's identity. */
export function nextDriftAt(identity: { projectId: string; kind: string; name: string }, from: Date, intervalMinutes: number): string {
  const interval = Math.max(1, Math.round(intervalMinutes * 60_000));
  const hash = createHash('sha256').update(`${identity.projectId}/${identity.kind}/${identity.name}`).digest();
  const phase = hash.readUInt32BE(0) % interval;
  const now = from.getTime();
  const slots = Math.floor((now - phase) / interval) + 1;
  return new Date(phase + slots * interval).toISOString();
}

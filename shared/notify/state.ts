/**
 * What the notifier already told whom (records in shared/store/feedback.ts): the last status written per
 * resource and target, one-time deliveries, and the id of each upserted comment. Every change goes
 * through a short lease so two invocations never write the same thing at once; a crash between the
 * call and the record only repeats that call after the lease (a repeated status beats a missing one).
 */
import {
  getFeedbackItem,
  leaseComment,
  leaseFeedback,
  recordComment,
  recordPhase,
  releaseCommentLease,
  releaseFeedback,
  requestFeedbackPk,
  type FeedbackKey,
  type LeaseTerms,
} from '../store/feedback';
import type { TableRef } from '../store/requests';
import { NotifyBusyError } from './errors';

/** Long enough for one provider call with retries; short enough that a crashed writer blocks little. */
const LEASE_SECONDS = 60;
/** Notify records outlive any request's feedback; DynamoDB's TTL removes them afterwards. */
const RETAIN_DAYS = 90;
/** How often, and how far apart, a writer that finds a lease looks again before handing the message back to SQS. */
const BUSY_CHECKS = 10;
const BUSY_WAIT_MS = 200;

export interface NotifyStore {
  table: TableRef;
  now: () => Date;
}

export const requestNotifyPk = requestFeedbackPk;

function leaseTerms(store: NotifyStore): LeaseTerms {
  const now = store.now();
  return {
    now,
    until: new Date(now.getTime() + LEASE_SECONDS * 1000),
    expiresAt: Math.floor(now.getTime() / 1000) + RETAIN_DAYS * 86_400,
  };
}

/**
 * Moves the record at `key` forward to `target` and runs `effect` (the provider call) on the way, only
 * when `rank(target)` is above the state last written. Returns whether the effect ran.
 */
export async function advance(
  store: NotifyStore,
  key: FeedbackKey,
  target: string,
  rank: (state: string) => number,
  effect: () => Promise<Record<string, unknown> | void>,
): Promise<boolean> {
  for (let check = 0; check < BUSY_CHECKS; check++) {
    const item = await getFeedbackItem(store.table, key);
    const current = typeof item?.state === 'string' ? item.state : undefined;
    if (current !== undefined && rank(current) >= rank(target)) return false;
    if (await leaseFeedback(store.table, key, current, target, leaseTerms(store))) {
      let extra: Record<string, unknown> | void;
      try {
        extra = await effect();
      } catch (error) {
        // Best effort: a lease left behind lapses on its own, and the effect's error is the one worth reporting.
        await releaseFeedback(store.table, key, target).catch(() => undefined);
        throw error;
      }
      await recordPhase(store.table, key, target, extra ?? {}, store.now());
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, BUSY_WAIT_MS));
  }
  throw new NotifyBusyError(`${key.pk} ${key.sk}`);
}

/** Runs `effect` once per key, ever (within the retention): webhook deliveries, Jira comments. */
export function once(store: NotifyStore, key: FeedbackKey, effect: () => Promise<Record<string, unknown> | void>): Promise<boolean> {
  return advance(store, key, 'done', (state) => (state === 'done' ? 1 : 0), effect);
}

/** The provider half of a comment upsert: find ours by its marker, create one, or edit one in place. */
export interface CommentApi {
  find(): Promise<string | undefined>;
  create(body: string): Promise<string>;
  /** Returns false when the comment is gone (deleted by someone), so a new one is made. */
  update(id: string, body: string): Promise<boolean>;
}

/**
 * Keeps ONE comment per key (a pull request, a merge request) showing the newest content: `version`
 * orders writers (e.g. the PR's updated_at), so a late, older plan never replaces a newer one, and
 * the lease keeps a burst of runs from each creating a comment.
 */
export async function upsertComment(
  store: NotifyStore,
  key: FeedbackKey,
  version: string,
  body: string,
  api: CommentApi,
): Promise<'created' | 'updated' | 'stale'> {
  for (let check = 0; check < BUSY_CHECKS; check++) {
    const item = await getFeedbackItem(store.table, key);
    if (typeof item?.version === 'string' && item.version > version) return 'stale';
    const leased = await leaseComment(store.table, key, version, leaseTerms(store));
    if (!leased) {
      await new Promise((resolve) => setTimeout(resolve, BUSY_WAIT_MS));
      continue;
    }
    let outcome: 'created' | 'updated';
    let commentId: string;
    try {
      let id = typeof item?.commentId === 'string' ? item.commentId : await api.find();
      if (id !== undefined && !(await api.update(id, body))) id = undefined;
      outcome = id === undefined ? 'created' : 'updated';
      commentId = id ?? (await api.create(body));
    } catch (error) {
      await releaseCommentLease(store.table, key).catch(() => undefined);
      throw error;
    }
    await recordComment(store.table, key, commentId, version, store.now());
    return outcome;
  }
  throw new NotifyBusyError(`${key.pk} ${key.sk}`);
}

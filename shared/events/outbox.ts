/**
 * The outbox: events are written into the item whose change they announce, in the same write, then
 * published and cleared. A publish that fails leaves them for the poller (the item stays in the due index).
 */
import { clearPublished, type TableRef } from '../store/requests';
import type { OutgoingEvent } from './cloudevents';
import { publishEvents, type TopicRef } from './publish';

export interface OutboxDeps {
  table: TableRef;
  topic: TopicRef;
  now: () => Date;
  logger?: { warn(message: string, extra?: Record<string, unknown>): void };
}

/** How long an unpublished event waits before the poller retries it. */
export const OUTBOX_RETRY_SECONDS = 10;

/**
 * Publishes an item's pending events, then clears them; a failure leaves them for the poller. A repeat
 * carries the same id, so subscribers can drop it.
 */
export async function flushOutbox(
  deps: OutboxDeps,
  key: { pk: string; sk: string },
  events: readonly OutgoingEvent[],
  /** Work that must be done before the outbox may be cleared (it is what tells the poller to redo it); runs beside the publish. */
  alongside?: Promise<unknown>,
): Promise<boolean> {
  const publishing = publishEvents(deps.topic, events).then(
    () => true,
    (error: unknown) => {
      deps.logger?.warn('event publish failed; left in the outbox for the poller', { key: key.pk, errorName: (error as Error).name });
      return false;
    },
  );
  // If the work alongside fails, this throws and the outbox stays for the poller.
  const [isPublished] = await Promise.all([publishing, alongside]);
  if (!isPublished) return false;
  await clearPublished(deps.table, key, events.length, deps.now().toISOString());
  return true;
}

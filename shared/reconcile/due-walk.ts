/**
 * One tick's walk over a partition of the due index: pages of what is due, each item handled a few at a time,
 * until the budget is spent; what is left stays due for the next tick. The poller's in-flight pass and its looks
 * for drift walk the same way.
 */
import { runLimited } from '../concurrency';

type Page<T> = { items: T[]; next: Record<string, unknown> | undefined };

/** Returns how many items were read and whether the budget ran out before all were handled. */
export async function walkDue<T>(
  page: (startKey: Record<string, unknown> | undefined) => Promise<Page<T>>,
  handle: (item: T) => Promise<void>,
  settings: { budgetMs: number; concurrency: number },
): Promise<{ itemsRead: number; deferred: boolean }> {
  const stopAt = Date.now() + settings.budgetMs;
  let itemsRead = 0;
  let deferred = false;
  let startKey: Record<string, unknown> | undefined;
  do {
    if (Date.now() >= stopAt) {
      deferred = true;
      break;
    }
    const { items, next } = await page(startKey);
    itemsRead += items.length;
    await runLimited(items, settings.concurrency, async (item) => {
      if (Date.now() >= stopAt) {
        deferred = true;
        return;
      }
      await handle(item);
    });
    startKey = next;
  } while (startKey);
  return { itemsRead, deferred };
}

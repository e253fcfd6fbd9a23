/**
 * Coalesces concurrent calls that could share one request: a call goes out at once while fewer than
 * `maxInFlight` are outstanding for its key; calls arriving meanwhile wait and go out together, up to
 * `maxItems` (and `maxBytes`) per request, as soon as one returns. Nothing is delayed when the key is idle,
 * and under load a request carries what piled up during the previous one's round trip.
 */
export interface CoalesceOptions<T> {
  maxItems: number;
  maxInFlight: number;
  maxBytes?: number;
  sizeOf?: (item: T) => number;
}

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

interface Lane<K, T, R> {
  key: K;
  waiting: Pending<T, R>[];
  inFlight: number;
}

/**
 * `run` gets the items of one request in arrival order and returns one result (or an Error, failing only
 * that item) per item; if it throws, every item of the request fails with that error.
 */
export function coalescer<K, T, R>(
  run: (key: K, items: T[]) => Promise<(R | Error)[]>,
  options: CoalesceOptions<T>,
): (key: K, laneId: unknown, item: T) => Promise<R> {
  const lanes = new Map<unknown, Lane<K, T, R>>();

  const take = (lane: Lane<K, T, R>): Pending<T, R>[] => {
    const batch: Pending<T, R>[] = [];
    let bytes = 0;
    while (lane.waiting.length > 0 && batch.length < options.maxItems) {
      const size = options.sizeOf ? options.sizeOf(lane.waiting[0]!.item) : 0;
      if (batch.length > 0 && options.maxBytes !== undefined && bytes + size > options.maxBytes) break;
      bytes += size;
      batch.push(lane.waiting.shift()!);
    }
    return batch;
  };

  const pump = (laneId: unknown, lane: Lane<K, T, R>): void => {
    while (lane.inFlight < options.maxInFlight && lane.waiting.length > 0) {
      const batch = take(lane);
      lane.inFlight++;
      void (async () => {
        try {
          const results = await run(
            lane.key,
            batch.map((p) => p.item),
          );
          batch.forEach((p, i) => {
            const result = results[i];
            if (result instanceof Error) p.reject(result);
            else p.resolve(result as R);
          });
        } catch (error) {
          for (const p of batch) p.reject(error);
        } finally {
          lane.inFlight--;
          if (lane.waiting.length > 0) pump(laneId, lane);
          else if (lane.inFlight === 0) lanes.delete(laneId);
        }
      })();
    }
  };

  return (key, laneId, item) =>
    new Promise<R>((resolve, reject) => {
      let lane = lanes.get(laneId);
      if (!lane) {
        lane = { key, waiting: [], inFlight: 0 };
        lanes.set(laneId, lane);
      }
      lane.waiting.push({ item, resolve, reject });
      pump(laneId, lane);
    });
}

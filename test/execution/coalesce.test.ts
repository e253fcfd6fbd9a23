/** Coalescing concurrent calls into one request (events published together, finishes counted together). */
import { describe, expect, it } from 'vitest';
import { coalescer } from '../../shared/events/coalesce';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('coalescer', () => {
  it('sends a lone call at once and batches what arrives while one is on its way, in order', async () => {
    const requests: number[][] = [];
    const call = coalescer<string, number, number>(
      async (_key, items) => {
        requests.push(items);
        await tick();
        return items.map((i) => i * 10);
      },
      { maxItems: 3, maxInFlight: 1 },
    );
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => call('k', 'lane', i)));
    expect(results).toEqual([10, 20, 30, 40, 50, 60]);
    expect(requests).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it('keeps lanes apart and allows several requests in flight per lane', async () => {
    let inFlight = 0;
    let peak = 0;
    const requests: string[][] = [];
    const call = coalescer<string, string, string>(
      async (key, items) => {
        peak = Math.max(peak, ++inFlight);
        requests.push(items.map((i) => `${key}:${i}`));
        await tick();
        inFlight--;
        return items;
      },
      { maxItems: 10, maxInFlight: 2 },
    );
    await Promise.all([...['a', 'b', 'c'].map((i) => call('x', 'x', i)), ...['d', 'e'].map((i) => call('y', 'y', i))]);
    expect(requests).toEqual([['x:a'], ['x:b'], ['y:d'], ['y:e'], ['x:c']]);
    expect(peak).toBe(4);
  });

  it('caps a request by size, and fails only the items the run says failed', async () => {
    const requests: string[][] = [];
    const call = coalescer<null, string, string>(
      async (_key, items) => {
        requests.push(items);
        await tick();
        return items.map((i) => (i === 'bad' ? new Error('rejected') : i.toUpperCase()));
      },
      { maxItems: 10, maxInFlight: 1, maxBytes: 6, sizeOf: (i) => i.length },
    );
    const results = await Promise.allSettled(['first', 'abc', 'bad', 'xyz', 'toolong'].map((i) => call(null, 'one', i)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      'FIRST',
      'ABC',
      'rejected',
      'XYZ',
      'TOOLONG',
    ]);
    expect(requests).toEqual([['first'], ['abc', 'bad'], ['xyz'], ['toolong']]);
  });

  it('fails every item of a request that throws, and carries on with the next', async () => {
    let n = 0;
    const call = coalescer<null, number, number>(
      async (_key, items) => {
        await tick();
        if (n++ === 0) throw new Error('down');
        return items;
      },
      { maxItems: 10, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([1, 2, 3].map((i) => call(null, 'one', i)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
  });
});

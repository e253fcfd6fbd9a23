import { describe, expect, it } from 'vitest';
import { backoffDelay, withRetries } from '../shared/retry';

describe('backoffDelay', () => {
  it('doubles per retry up to the cap, with equal jitter between half and the whole step', () => {
    const low = { base: 100, max: 1_000, jitter: 'equal' as const, random: () => 0 };
    const high = { ...low, random: () => 1 };
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(low, n))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(high, n))).toEqual([100, 200, 400, 800, 1_000]);
  });

  it('waits anywhere from zero with full jitter, exactly the step with none', () => {
    expect(backoffDelay({ base: 100, max: 1_000, jitter: 'full', random: () => 0 }, 2)).toBe(0);
    expect(backoffDelay({ base: 100, max: 1_000, jitter: 'full', random: () => 0.5 }, 2)).toBe(200);
    expect(backoffDelay({ base: 100, max: 1_000, jitter: 'none' }, 2)).toBe(400);
  });

  it('takes a known wait over the formula, rounded up and within the cap', () => {
    const backoff = { base: 5, max: 900, jitter: 'equal' as const, random: () => 0 };
    expect(backoffDelay(backoff, 0, 42.2)).toBe(43);
    expect(backoffDelay(backoff, 0, 5_000)).toBe(900);
    expect(backoffDelay(backoff, 3, -1)).toBe(0);
  });
});

describe('withRetries', () => {
  const options = { base: 10, max: 100, jitter: 'none' as const, attempts: 3 };

  it('retries a retryable failure until it succeeds, sleeping the backoff between attempts', async () => {
    const sleeps: number[] = [];
    const result = await withRetries({ ...options, retryable: () => true, sleep: async (ms) => void sleeps.push(ms) }, async (attempt) => {
      if (attempt < 3) throw new Error('later');
      return 'done';
    });
    expect(result).toBe('done');
    expect(sleeps).toEqual([10, 20]);
  });

  it('throws a permanent failure at once, and the last failure when attempts run out', async () => {
    let calls = 0;
    const permanent = new Error('never');
    await expect(
      withRetries({ ...options, retryable: (e) => e !== permanent, sleep: async () => {} }, async () => {
        calls++;
        throw permanent;
      }),
    ).rejects.toBe(permanent);
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      withRetries({ ...options, retryable: () => true, sleep: async () => {} }, async (attempt) => {
        calls++;
        throw new Error(`attempt ${attempt}`);
      }),
    ).rejects.toThrow('attempt 3');
    expect(calls).toBe(3);
  });

  it('sleeps a wait the error names instead of the formula', async () => {
    const sleeps: number[] = [];
    await withRetries(
      { ...options, retryable: () => true, knownWait: () => 70, sleep: async (ms) => void sleeps.push(ms) },
      async (attempt) => {
        if (attempt === 1) throw new Error('Retry-After');
        return undefined;
      },
    );
    expect(sleeps).toEqual([70]);
  });
});

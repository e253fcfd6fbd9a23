/** Backoff for every retry in the project: one formula, so a retry's timing reads the same wherever it happens. */

/**
 * `equal`: half the step plus a random half, so concurrent callers spread apart yet always wait a little.
 * `full`: anywhere from zero to the step, for callers where spreading matters more than waiting.
 * `none`: exactly the step, for deterministic schedules.
 */
type JitterPolicy = 'equal' | 'full' | 'none';

export interface Backoff {
  /** The first step; it doubles per attempt. */
  base: number;
  /** The cap on one step (same unit as `base`). */
  max: number;
  jitter: JitterPolicy;
  /** Defaults to Math.random; injectable so schedules are deterministic in tests. */
  random?: () => number;
}

/**
 * The wait before retry number `retry` (0 for the first retry), rounded to the unit. A known wait (Retry-After,
 * a lease running out) wins over the formula, within the cap.
 */
export function backoffDelay(backoff: Backoff, retry: number, known?: number): number {
  if (known !== undefined) return Math.min(backoff.max, Math.max(0, Math.ceil(known)));
  const step = Math.min(backoff.max, backoff.base * 2 ** Math.max(0, retry));
  const random = backoff.random ?? Math.random;
  switch (backoff.jitter) {
    case 'equal':
      return Math.round(step / 2 + (random() * step) / 2);
    case 'full':
      return Math.round(random() * step);
    case 'none':
      return step;
  }
}

export interface RetryOptions extends Backoff {
  /** Attempts in total, the first included. */
  attempts: number;
  /** Whether another attempt can help; a permanent error is thrown at once. */
  retryable: (error: unknown) => boolean;
  /** A wait the error itself names (milliseconds), e.g. Retry-After. */
  knownWait?: (error: unknown) => number | undefined;
  sleep?: (ms: number) => Promise<void>;
}

/** Runs `run` until it succeeds, fails permanently, or uses up its attempts; the last error is thrown. Delays are in ms. */
export async function withRetries<T>(options: RetryOptions, run: (attempt: number) => Promise<T>): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !options.retryable(error)) throw error;
      await sleep(backoffDelay(options, attempt - 1, options.knownWait?.(error)));
    }
  }
}

/** Seeded fault injection (throttling, 5xx, slow responses, dropped connections) and the per-second rate limiter. */
import { DEFAULT_SEED, DEFAULT_SLOW_MS } from './defaults';

export interface FaultSettings {
  rate429: number;
  rate500: number;
  rateSlow: number;
  rateDrop: number;
  slowMs: number;
  seed: number;
}

export type FaultType = '429' | '500' | 'slow' | 'drop';

export interface FaultCounts {
  rate429: number;
  rate500: number;
  slow: number;
  drop: number;
  /** 429s from the rate limiter, kept apart from injected ones so tests can tell them apart. */
  rateLimited: number;
}

export function noFaults(seed: number = DEFAULT_SEED): FaultSettings {
  return { rate429: 0, rate500: 0, rateSlow: 0, rateDrop: 0, slowMs: DEFAULT_SLOW_MS, seed };
}

export function zeroCounts(): FaultCounts {
  return { rate429: 0, rate500: 0, slow: 0, drop: 0, rateLimited: 0 };
}

/** mulberry32: tiny, fast and good enough to make "30% of requests" repeatable across runs. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Parses the admin body. Rates are exclusive slices of one draw per request, so their sum must
 * stay within 1; anything unusable is reported rather than silently clamped.
 */
export function parseFaultSettings(input: unknown, defaultSeed: number): { ok: true; value: FaultSettings } | { ok: false; error: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, error: 'body must be a JSON object' };
  const body = input as Record<string, unknown>;
  const known = new Set(['rate429', 'rate500', 'rateSlow', 'rateDrop', 'slowMs', 'seed']);
  const unknown = Object.keys(body).filter((k) => !known.has(k));
  if (unknown.length > 0) return { ok: false, error: `unknown field(s): ${unknown.join(', ')}` };
  const settings = noFaults(defaultSeed);
  for (const key of ['rate429', 'rate500', 'rateSlow', 'rateDrop'] as const) {
    const v = body[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) return { ok: false, error: `${key} must be a number from 0 to 1` };
    settings[key] = v;
  }
  if (body.slowMs !== undefined) {
    if (typeof body.slowMs !== 'number' || !Number.isFinite(body.slowMs) || body.slowMs < 0) {
      return { ok: false, error: 'slowMs must be a non-negative number' };
    }
    settings.slowMs = body.slowMs;
  }
  if (body.seed !== undefined) {
    if (typeof body.seed !== 'number' || !Number.isInteger(body.seed)) return { ok: false, error: 'seed must be an integer' };
    settings.seed = body.seed;
  }
  const total = settings.rate429 + settings.rate500 + settings.rateSlow + settings.rateDrop;
  if (total > 1 + 1e-9) return { ok: false, error: `rates add up to ${total}; they are exclusive and must total at most 1` };
  return { ok: true, value: settings };
}

/** One draw per API request decides at most one fault, so a given seed replays the same sequence. */
export class FaultInjector {
  private random: () => number;

  constructor(
    public settings: FaultSettings,
    public readonly counts: FaultCounts = zeroCounts(),
  ) {
    this.random = mulberry32(settings.seed);
  }

  configure(settings: FaultSettings): void {
    this.settings = settings;
    this.random = mulberry32(settings.seed);
  }

  draw(): FaultType | undefined {
    const { rate429, rate500, rateDrop, rateSlow } = this.settings;
    if (rate429 + rate500 + rateDrop + rateSlow === 0) return undefined;
    const u = this.random();
    let edge = rate429;
    if (u < edge) return this.count('429');
    if (u < (edge += rate500)) return this.count('500');
    if (u < (edge += rateDrop)) return this.count('drop');
    if (u < (edge += rateSlow)) return this.count('slow');
    return undefined;
  }

  private count(type: FaultType): FaultType {
    if (type === '429') this.counts.rate429++;
    else if (type === '500') this.counts.rate500++;
    else if (type === 'drop') this.counts.drop++;
    else this.counts.slow++;
    return type;
  }
}

/** Token bucket holding at most one second's worth of requests, refilled continuously. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = perSecond;
    this.last = now;
  }

  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.perSecond, this.tokens + (elapsed * this.perSecond) / 1000);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

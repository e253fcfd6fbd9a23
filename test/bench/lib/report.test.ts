import { describe, expect, it } from 'vitest';
import { type BenchRun, mergeReport, parseOnly, UnknownBenchError } from '../../../bench/lib/report';

const machine = { cpus: 2, node: 'v20' };
const fullRun = {
  generatedAt: '2026-12-04T07:14:22.176Z',
  mode: 'full',
  machine,
  durationSeconds: 289,
  webhook: { ours: 1 },
  poller: { ratio: 1 },
  rate: { paced: 20 },
  before: { webhook: 0.41 },
};
const driftRun: BenchRun = { generatedAt: '2026-12-05T10:00:00.000Z', mode: 'full', machine, durationSeconds: 300, only: ['drift'] };

describe('mergeReport', () => {
  it('keeps the sections an --only run did not produce and says which run each came from', () => {
    const report = mergeReport(fullRun, driftRun, { drift: { looks: 10_000 } });
    expect(report).toMatchObject({ webhook: { ours: 1 }, poller: { ratio: 1 }, rate: { paced: 20 }, drift: { looks: 10_000 } });
    expect(report.generatedAt).toBe(driftRun.generatedAt);
    expect(report.only).toEqual(['drift']);
    expect(report.sources).toEqual({
      webhook: { generatedAt: fullRun.generatedAt, mode: 'full', durationSeconds: 289, benchmarks: 'all', machine },
      poller: { generatedAt: fullRun.generatedAt, mode: 'full', durationSeconds: 289, benchmarks: 'all', machine },
      rate: { generatedAt: fullRun.generatedAt, mode: 'full', durationSeconds: 289, benchmarks: 'all', machine },
      drift: { generatedAt: driftRun.generatedAt, mode: 'full', durationSeconds: 300, benchmarks: ['drift'], machine },
    });
  });

  it('replaces a section the run produced again, and carries earlier sources forward', () => {
    const first = mergeReport(fullRun, driftRun, { drift: { looks: 1 } });
    const later: BenchRun = { ...driftRun, generatedAt: '2026-12-06T00:00:00.000Z', only: ['drift', 'rate'] };
    const second = mergeReport(first, later, { drift: { looks: 2 }, rate: { paced: 21 } });
    expect(second.drift).toEqual({ looks: 2 });
    expect(second.rate).toEqual({ paced: 21 });
    expect(second.webhook).toEqual({ ours: 1 });
    const sources = second.sources as Record<string, { generatedAt: string }>;
    expect(sources.webhook?.generatedAt).toBe(fullRun.generatedAt);
    expect(sources.drift?.generatedAt).toBe(later.generatedAt);
    expect(sources.rate?.generatedAt).toBe(later.generatedAt);
  });

  it('lists sections in the harness order, whatever order they were produced in', () => {
    const report = mergeReport(fullRun, driftRun, { drift: {} });
    expect(Object.keys(report).filter((k) => ['webhook', 'poller', 'rate', 'drift'].includes(k))).toEqual([
      'webhook',
      'poller',
      'rate',
      'drift',
    ]);
  });

  it('never mixes quick figures with full ones', () => {
    const report = mergeReport(fullRun, { ...driftRun, mode: 'quick' }, { drift: {} });
    expect(report.webhook).toBeUndefined();
    expect(Object.keys(report.sources as object)).toEqual(['drift']);
  });

  it('writes only its own sections when it ran everything', () => {
    const { only: _only, ...all } = driftRun;
    const report = mergeReport(fullRun, all, { drift: {} });
    expect(report.webhook).toBeUndefined();
    expect(report.only).toBeUndefined();
    expect(report.sources).toEqual({ drift: expect.objectContaining({ benchmarks: 'all' }) });
  });

  it('records the before figures it is given', () => {
    expect(mergeReport(undefined, driftRun, {}, { pipeline: 0.14 }).before).toEqual({ pipeline: 0.14 });
    expect('before' in mergeReport(undefined, driftRun, {})).toBe(false);
  });
});

describe('parseOnly', () => {
  it('is every benchmark when not given', () => {
    expect(parseOnly(undefined)).toBeUndefined();
  });

  it('reads a comma-separated list', () => {
    expect(parseOnly('drift, rate')).toEqual(['drift', 'rate']);
  });

  it('refuses a name that is no benchmark, naming it', () => {
    const refused = () => parseOnly('drift,drfit');
    expect(refused).toThrow(UnknownBenchError);
    expect(refused).toThrow(/--only names no benchmark: drfit \(known: webhook, pipeline, poller, coldstart, rate, drift, ui\)/);
    try {
      refused();
    } catch (error) {
      expect((error as UnknownBenchError).code).toBe('UNKNOWN_BENCH');
      expect((error as UnknownBenchError).names).toEqual(['drfit']);
    }
  });

  it('refuses an empty list', () => {
    expect(() => parseOnly('')).toThrow(UnknownBenchError);
  });
});

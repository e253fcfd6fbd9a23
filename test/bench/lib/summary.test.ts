import { describe, expect, it } from 'vitest';
import { summaryTable } from '../../../bench/lib/summary';

const drift = (overrides: { looked?: number; maxMs?: number } = {}) => ({
  setup: { resources: 10_000, intervalMinutes: 30, tableItems: 60_001, rateLimitPerSecond: 50 },
  looks: { total: overrides.looked ?? 10_000 },
  itemsPerTick: { max: 370, mean: 333.3, expectedEvenShare: 333.3 },
  huawei: {
    maxPerMinute: 370,
    minPerMinute: 290,
    evenSharePerMinute: 333.3,
    maxOverEvenShare: 1.11,
    busiestSecond: 51,
    throttledClient429: 0,
  },
  tickTime: { budgetMs: 15_000, p99Ms: 7_900, maxMs: overrides.maxMs ?? 8_000, deferredTicks: 0 },
  targets: { everyResourceLookedAtOnce: (overrides.looked ?? 10_000) === 10_000, itemsReadAreTheDueOnes: true },
});

const driftRows = (table: string) => table.split('\n').filter((line) => line.startsWith('drift'));

describe('summaryTable: drift', () => {
  it('shows looks, items read, Huawei reads, 429s and tick time beside what they are compared with', () => {
    const rows = driftRows(summaryTable({ drift: drift() }));
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatch(/looks over one 30-minute interval, 10000 resources \(each read once: yes\)\s+10000\s+10000\s+1\s+= 1/);
    expect(rows[1]).toMatch(/table 60001 items\s+370 \(333\.3\)\s+333\s+1\.11\s+only the due \(yes\)/);
    expect(rows[2]).toMatch(/busiest second 51\s+370 \(290\)\s+333\s+1\.11\s+<= 1\.25/);
    expect(rows[3]).toMatch(/429s, paced at 50\/s = the limit\s+0\s+0/);
    expect(rows[4]).toMatch(/7900 \/ 8000\s+15000\s+0\.53\s+<= budget/);
  });

  it('says so when a resource was not read exactly once', () => {
    const rows = driftRows(summaryTable({ drift: drift({ looked: 9_990 }) }));
    expect(rows[0]).toMatch(/each read once: NO\)\s+9990\s+10000\s+1\s/);
  });

  it('leaves the drift rows out of a report without the section', () => {
    expect(driftRows(summaryTable({}))).toEqual([]);
  });
});

const side = (p99: number, rps: number) => ({ latencyP99Ms: p99, requestsPerSecond: rps });
const listSample = (requestsInTable: number, itemsRead: number) => ({ requestsInTable, itemsRead, queries: 1 });
const ui = (largeRead = 25) => ({
  setup: { resources: 200 },
  requestPage: side(42, 31.5),
  baseline: side(21, 62),
  loaded: { connections: 10, requestPage: side(380, 310.5), baseline: side(190, 620) },
  list: {
    all: [listSample(1_000, 25), listSample(20_000, largeRead)],
    failedOnly: [listSample(1_000, 100), listSample(20_000, 100)],
    listPage: [
      { requestsInTable: 1_000, ...side(12, 900) },
      { requestsInTable: 20_000, ...side(13, 880) },
    ],
  },
  targets: { requestPageP99Ms: 100 },
});
const uiRows = (table: string) => table.split('\n').filter((line) => line.startsWith('ui '));

describe('summaryTable: ui', () => {
  it('shows the request page beside its JSON view and the list reads of the large table beside the small one', () => {
    const rows = uiRows(summaryTable({ ui: ui() }));
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatch(/request page, 200 resources, one viewer: p99 ms \(baseline: its JSON view\)\s+42\s+21\s+2\s+< 100/);
    expect(rows[1]).toMatch(/request page, 10 connections: p99 ms\s+380\s+190\s+2\s/);
    expect(rows[2]).toMatch(/request page, 10 connections: requests\/s\s+311\s+620\s+0\.5/);
    expect(rows[3]).toMatch(/items read with 20000 requests \(baseline: 1000\)\s+25\s+25\s+1\s+= 1/);
    expect(rows[4]).toMatch(/state filter: items read, 20000 vs 1000 requests\s+100\s+100\s+1\s+<= 1/);
    expect(rows[5]).toMatch(/list page GET \/ui: p99 ms with 20000 requests \(baseline: 1000\)\s+13\s+12\s+1\.08\s+~1/);
  });

  it('shows a list page that grew with the table as a ratio above 1', () => {
    expect(uiRows(summaryTable({ ui: ui(500) }))[3]).toMatch(/\s500\s+25\s+20\s+= 1/);
  });
});

const coldRow = (ms: number, min?: number, max?: number) => ({
  bytes: 840_000,
  spawnToExitMs: ms,
  ...(min !== undefined ? { spawnToExitMinMs: min, spawnToExitMaxMs: max } : {}),
});
/** `recent`: a report with the rounds' spread and intake's floors; otherwise one from before either. */
const coldstart = (recent: boolean) => ({
  setup: { alternative: 'sdkExternal' },
  empty: { deployed: coldRow(29), sdkExternal: coldRow(30) },
  functions: {
    intake: {
      deployed: recent ? coldRow(205, 198, 231) : coldRow(205),
      sdkExternal: recent ? coldRow(220, 210, 240) : coldRow(220),
      targets: { deployedColdLimitMs: 208, sdkExternalColdLimitMs: 210 },
    },
  },
  ...(recent ? { intakeIoFloor: { deployed: coldRow(109, 104, 120) }, intakeValidationFloor: { deployed: coldRow(161, 155, 170) } } : {}),
});
const coldRows = (table: string) => table.split('\n').filter((line) => line.startsWith('coldstart'));

describe('summaryTable: coldstart', () => {
  it("shows each cold start's rounds beside its median, and intake's two floors, the second against intake's limit", () => {
    const rows = coldRows(summaryTable({ coldstart: coldstart(true) }));
    expect(rows[1]).toMatch(/intake cold ms, deployed \(process start to handler done; rounds 198-231\)\s+205\s+29\s+7\.07\s+< 208/);
    expect(rows[3]).toMatch(/intake's AWS calls alone, ms; rounds 104-120\s+109\s+29\s*$/);
    expect(rows[4]).toMatch(/the same after validating the manifests, ms; rounds 155-170\s+161\s+29\s+< 208/);
  });

  it('reads a report from before the floors and the rounds were recorded', () => {
    const rows = coldRows(summaryTable({ coldstart: coldstart(false) }));
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/intake cold ms, deployed \(process start to handler done\)\s+205/);
  });
});

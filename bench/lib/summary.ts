/** The terminal table (and the README's Performance table): one row per figure, ours beside its baseline. */
import { table } from './util';

type Json = Record<string, any>;

/** A cold start's rounds from fastest to slowest, where the report has them. */
const spread = (row: Json): string =>
  row.spawnToExitMinMs !== undefined ? `; rounds ${row.spawnToExitMinMs}-${row.spawnToExitMaxMs}` : '';

function summaryRows(report: Json): (string | number)[][] {
  const rows: (string | number)[][] = [];
  const add = (bench: string, metric: string, ours: unknown, baseline: unknown, ratio: unknown, target: string) =>
    rows.push([bench, metric, fmt(ours), fmt(baseline), fmt(ratio), target]);
  const w = report.webhook;
  if (w) {
    add(
      'webhook',
      `requests/s (${w.rounds.ours.length} rounds; ratio: median of per-round ratios)`,
      w.ours.requestsPerSecond,
      w.baseline.requestsPerSecond,
      w.ratio.requestsPerSecond,
      '>= 0.7',
    );
    add(
      'webhook',
      'p50 latency ms',
      w.ours.latencyP50Ms,
      w.baseline.latencyP50Ms,
      ratioOf(w.ours.latencyP50Ms, w.baseline.latencyP50Ms),
      '',
    );
    add('webhook', 'p99 latency ms', w.ours.latencyP99Ms, w.baseline.latencyP99Ms, w.ratio.latencyP99, '<= 1.5');
    add(
      'webhook',
      'errors + non-2xx + timeouts',
      w.ours.errors + w.ours.non2xx + w.ours.timeouts,
      w.baseline.errors + w.baseline.non2xx + w.baseline.timeouts,
      '',
      '0',
    );
  }
  const p = report.pipeline;
  if (p) {
    add(
      'pipeline',
      `${p.setup.resources} resources: 202 -> last succeeded, s`,
      p.ours.durationMs / 1000,
      p.baseline.durationMs / 1000,
      '',
      '',
    );
    add(
      'pipeline',
      `resources/s (${p.rounds.ours.length} rounds; ratio: median of per-round ratios)`,
      p.ours.resourcesPerSecond,
      p.baseline.resourcesPerSecond,
      p.ratio.resourcesPerSecond,
      '>= 0.5',
    );
  }
  const po = report.poller;
  if (po) {
    add(
      'poller',
      `items read/tick (${po.setup.inFlight} in flight, + ${po.setup.finished} finished)`,
      po.withHistory.itemsRead,
      po.inFlightOnly.itemsRead,
      po.ratio.itemsRead,
      '~1',
    );
    add(
      'poller',
      'Query items scanned/tick',
      po.withHistory.queryItemsScanned,
      po.inFlightOnly.queryItemsScanned,
      po.ratio.queryItemsScanned,
      '~1',
    );
    add('poller', 'tick wall time ms', po.withHistory.wallMs, po.inFlightOnly.wallMs, po.ratio.wallTime, '~1');
  }
  const c = report.coldstart;
  if (c) {
    // The other way of shipping the AWS SDK than serverless.yml's (older reports only had sdkBundled).
    const alt: string = c.setup?.alternative ?? 'sdkBundled';
    const altLabel = alt === 'sdkBundled' ? 'SDK bundled' : 'SDK external';
    for (const [name, f] of Object.entries<Json>(c.functions)) {
      add(
        'coldstart',
        `${name} bundle KB (deployed / ${altLabel})`,
        `${kb(f.deployed.bytes)} / ${kb(f[alt].bytes)}`,
        `${kb(c.empty.deployed.bytes)}`,
        '',
        '< 1000',
      );
      add(
        'coldstart',
        `${name} cold ms, deployed (process start to handler done${spread(f.deployed)})`,
        f.deployed.spawnToExitMs,
        c.empty.deployed.spawnToExitMs,
        ratioOf(f.deployed.spawnToExitMs, c.empty.deployed.spawnToExitMs),
        `< ${f.targets.deployedColdLimitMs}`,
      );
      add(
        'coldstart',
        `${name} cold ms, ${altLabel}`,
        f[alt].spawnToExitMs,
        c.empty[alt].spawnToExitMs,
        ratioOf(f[alt].spawnToExitMs, c.empty[alt].spawnToExitMs),
        `< ${f.targets[`${alt}ColdLimitMs`]}`,
      );
    }
    // Intake's references, deployed build: its AWS calls alone, and those calls after validating the manifests.
    // Only the second is judged against intake's limit: the least any intake on these libraries does.
    const limit = c.functions.intake?.targets.deployedColdLimitMs;
    const floors: [string, Json | undefined, string][] = [
      ["intake's AWS calls alone", c.intakeIoFloor?.deployed, ''],
      ['the same after validating the manifests', c.intakeValidationFloor?.deployed, limit !== undefined ? `< ${limit}` : ''],
    ];
    for (const [what, floor, target] of floors) {
      if (!floor) continue;
      add('coldstart', `${what}, ms${spread(floor)}`, floor.spawnToExitMs, c.empty.deployed.spawnToExitMs, '', target);
    }
  }
  const r = report.rate;
  if (r) {
    add(
      'rate',
      `creates/s at R = ${r.setup.rateLimitPerSecond} (paced vs unpaced)`,
      r.paced.createsPerSecond,
      r.unpaced.createsPerSecond,
      r.paced.shareOfRate,
      '>= 0.9 of R',
    );
    add('rate', '429 share of calls (paced vs unpaced)', r.paced.throttledShare, r.unpaced.throttledShare, '', '< 0.02');
  }
  const d = report.drift;
  if (d) {
    const s = d.setup;
    const mark = (ok: boolean) => (ok ? 'yes' : 'NO');
    const once = mark(d.targets.everyResourceLookedAtOnce);
    add(
      'drift',
      `looks over one ${s.intervalMinutes}-minute interval, ${s.resources} resources (each read once: ${once})`,
      d.looks.total,
      s.resources,
      ratioOf(d.looks.total, s.resources),
      '= 1',
    );
    add(
      'drift',
      `items read/tick, max (mean), vs resources/interval; table ${s.tableItems} items`,
      `${d.itemsPerTick.max} (${d.itemsPerTick.mean})`,
      d.itemsPerTick.expectedEvenShare,
      ratioOf(d.itemsPerTick.max, d.itemsPerTick.expectedEvenShare),
      `only the due (${mark(d.targets.itemsReadAreTheDueOnes)})`,
    );
    add(
      'drift',
      `Huawei reads/minute, max (min), vs even share; busiest second ${d.huawei.busiestSecond}`,
      `${d.huawei.maxPerMinute} (${d.huawei.minPerMinute})`,
      d.huawei.evenSharePerMinute,
      d.huawei.maxOverEvenShare,
      '<= 1.25',
    );
    add('drift', `429s, paced at ${s.rateLimitPerSecond}/s = the limit`, d.huawei.throttledClient429, '', '', '0');
    add(
      'drift',
      `tick wall ms, p99 / max (deferred ticks ${d.tickTime.deferredTicks})`,
      `${d.tickTime.p99Ms} / ${d.tickTime.maxMs}`,
      d.tickTime.budgetMs,
      ratioOf(d.tickTime.maxMs, d.tickTime.budgetMs),
      '<= budget',
    );
  }
  const u = report.ui;
  if (u) {
    const page = u.requestPage;
    add(
      'ui',
      `request page, ${u.setup.resources} resources, one viewer: p99 ms (baseline: its JSON view)`,
      page.latencyP99Ms,
      u.baseline.latencyP99Ms,
      ratioOf(page.latencyP99Ms, u.baseline.latencyP99Ms),
      `< ${u.targets.requestPageP99Ms}`,
    );
    const loaded = u.loaded;
    add(
      'ui',
      `request page, ${loaded.connections} connections: p99 ms`,
      loaded.requestPage.latencyP99Ms,
      loaded.baseline.latencyP99Ms,
      ratioOf(loaded.requestPage.latencyP99Ms, loaded.baseline.latencyP99Ms),
      '',
    );
    add(
      'ui',
      `request page, ${loaded.connections} connections: requests/s`,
      loaded.requestPage.requestsPerSecond,
      loaded.baseline.requestsPerSecond,
      ratioOf(loaded.requestPage.requestsPerSecond, loaded.baseline.requestsPerSecond),
      '',
    );
    const [small, large] = u.list.all;
    const [smallFiltered, largeFiltered] = u.list.failedOnly;
    add(
      'ui',
      `list page: items read with ${large.requestsInTable} requests (baseline: ${small.requestsInTable})`,
      large.itemsRead,
      small.itemsRead,
      ratioOf(large.itemsRead, small.itemsRead),
      '= 1',
    );
    add(
      'ui',
      `list page, state filter: items read, ${largeFiltered.requestsInTable} vs ${smallFiltered.requestsInTable} requests`,
      largeFiltered.itemsRead,
      smallFiltered.itemsRead,
      ratioOf(largeFiltered.itemsRead, smallFiltered.itemsRead),
      '<= 1',
    );
    const [smallPage, largePage] = u.list.listPage;
    add(
      'ui',
      `list page GET /ui: p99 ms with ${largePage.requestsInTable} requests (baseline: ${smallPage.requestsInTable})`,
      largePage.latencyP99Ms,
      smallPage.latencyP99Ms,
      ratioOf(largePage.latencyP99Ms, smallPage.latencyP99Ms),
      '~1',
    );
  }
  return rows;
}

export function summaryTable(report: Json): string {
  return table(['benchmark', 'figure', 'ours', 'baseline', 'ratio', 'target'], summaryRows(report));
}

function kb(bytes: number): string {
  return (bytes / 1000).toFixed(0);
}

function ratioOf(a: number, b: number): number | string {
  return b ? Math.round((a / b) * 100) / 100 : '';
}

function fmt(value: unknown): string | number {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Math.round(value * 1000) / 1000;
  return value === undefined || value === null ? '' : String(value);
}

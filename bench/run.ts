/**
 * `npm run bench`: every benchmark against the local stack, each beside a baseline measured in the same
 * run; writes reports/bench.json and prints a table. `--quick` (npm run bench:quick) runs everything
 * with tiny sizes to check the harness; `--only=webhook,pipeline,poller,coldstart,rate,drift,ui` picks some, and
 * replaces only their sections of the report (bench/lib/report.ts).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { startBenchStack } from './lib/stack';
import { mergeReport, parseOnly } from './lib/report';
import { summaryTable } from './lib/summary';
import { log, REPO_ROOT } from './lib/util';
import { benchWebhook } from './webhook';
import { benchPipeline } from './pipeline';
import { benchPoller } from './poller';
import { benchColdstart } from './coldstart';
import { benchRate } from './rate';
import { benchDrift } from './drift';
import { benchUi } from './ui';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = parseOnly(argv.find((a) => a.startsWith('--only='))?.slice('--only='.length));
const wanted = (name: string) => !only || only.includes(name);
const out = argv.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? (quick ? 'reports/bench-quick.json' : 'reports/bench.json');

const started = Date.now();
const stack = await startBenchStack();
const results: Record<string, unknown> = {};
try {
  if (wanted('webhook')) {
    results.webhook = await benchWebhook(
      stack,
      quick ? { connections: 10, seconds: 2, warmupSeconds: 0, rounds: 1 } : { connections: 50, seconds: 20, warmupSeconds: 3, rounds: 3 },
    );
  }
  if (wanted('pipeline')) {
    results.pipeline = await benchPipeline(
      stack,
      quick ? { resources: 8, concurrency: 50, pollSeconds: 1, rounds: 1 } : { resources: 200, concurrency: 50, pollSeconds: 1, rounds: 3 },
    );
  }
  if (wanted('poller')) {
    results.poller = await benchPoller(
      stack,
      quick ? { inFlight: 40, finished: 500, reps: 1, concurrency: 8 } : { inFlight: 2000, finished: 50_000, reps: 2, concurrency: 8 },
    );
  }
  if (wanted('coldstart')) {
    results.coldstart = await benchColdstart(stack, { runs: quick ? 1 : 7, warmRounds: quick ? 5 : 100 });
  }
  if (wanted('rate')) {
    results.rate = await benchRate(quick ? { rate: 20, creates: 40 } : { rate: 20, creates: 400 });
  }
  if (wanted('drift')) {
    // The poller's settings: drift gets what a 45 s tick leaves after in-flight work's two thirds, 8 looks at once.
    const poller = { budgetMs: 15_000, concurrency: 8 };
    results.drift = await benchDrift(
      stack,
      quick
        ? { resources: 300, unrelated: 1_000, intervalMinutes: 3, rateLimitPerSecond: 50, ...poller }
        : { resources: 10_000, unrelated: 50_000, intervalMinutes: 30, rateLimitPerSecond: 50, ...poller },
    );
  }
  if (wanted('ui')) {
    results.ui = await benchUi(
      stack,
      quick
        ? { resources: 20, connections: 4, seconds: 2, warmupSeconds: 0, tableSizes: [100, 1_000], pageSize: 25, listSamples: 5 }
        : { resources: 200, connections: 10, seconds: 15, warmupSeconds: 3, tableSizes: [1_000, 20_000], pageSize: 25, listSamples: 50 },
    );
  }
} finally {
  await stack.stop();
}
const outPath = resolve(REPO_ROOT, out);
const report = mergeReport(
  only && existsSync(outPath) ? JSON.parse(readFileSync(outPath, 'utf8')) : undefined,
  {
    generatedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    durationSeconds: Math.round((Date.now() - started) / 1000),
    ...(only ? { only } : {}),
  },
  results,
  // Figures from before this suite's fixes, measured the same way (bench/before.json), for the before/after record.
  existsSync(join(REPO_ROOT, 'bench/before.json')) ? JSON.parse(readFileSync(join(REPO_ROOT, 'bench/before.json'), 'utf8')) : undefined,
);
mkdirSync(join(REPO_ROOT, 'reports'), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(report, null, 2)}\n`);
console.log(summaryTable(report));
log(`wrote ${out} in ${report.durationSeconds} s${only ? ` (${only.join(', ')} replaced; other sections kept)` : ''}`);
process.exit(0);

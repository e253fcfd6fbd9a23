/** Benchmark 2: pipeline throughput, ours (202 to the last resource.succeeded) vs the Huawei client driven directly. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mixedManifests, toYaml } from './lib/manifests';
import type { BenchStack } from './lib/stack';
import { log, median, middle, ratio, round, runChild } from './lib/util';

export interface PipelineSide {
  durationMs: number;
  resourcesPerSecond: number;
  acceptMs?: number;
  awsCalls?: Record<string, unknown>;
}

export async function benchPipeline(
  stack: BenchStack,
  opts: { resources: number; concurrency: number; pollSeconds: number; rounds: number },
) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  const rounds: Record<'baseline' | 'ours', PipelineSide[]> = { baseline: [], ours: [] };
  for (let n = 0; n < opts.rounds; n++)
    for (const mode of ['baseline', 'ours'] as const) {
      const manifests = mixedManifests(Math.ceil(opts.resources / 4), `${mode.slice(0, 1)}${Date.now().toString(36)}`).slice(
        0,
        opts.resources,
      );
      const file = join(dir, `${mode}.json`);
      writeFileSync(file, JSON.stringify(manifests));
      writeFileSync(file.replace(/\.json$/, '.yaml'), toYaml(manifests));
      const resources = await stack.provision('pl');
      const env = {
        ...resources.env,
        BENCH_NOTIFY_QUEUE: JSON.stringify({ url: resources.queues.notify.url, arn: resources.queues.notify.arn }),
        BENCH_DISPATCH_QUEUE: JSON.stringify({ url: resources.queues.dispatch.url, arn: resources.queues.dispatch.arn }),
      };
      log(
        `pipeline ${mode} round ${n + 1}: ${manifests.length} manifests, concurrency ${opts.concurrency}, poll every ${opts.pollSeconds} s`,
      );
      const r = await runChild<{ durationMs: number; acceptMs?: number; resources: number; awsCalls?: Record<string, unknown> }>(
        'procs/pipeline.ts',
        [mode, file, String(opts.concurrency), String(opts.pollSeconds)],
        env,
      );
      rounds[mode].push({ ...r, resourcesPerSecond: round((r.resources / r.durationMs) * 1000, 2) });
      log(`pipeline ${mode} round ${n + 1}: ${r.durationMs} ms, ${rounds[mode].at(-1)!.resourcesPerSecond} resources/s`);
    }
  // Each side's median round; the ratio is the median of the rounds' own ratios (a round's sides run back to back).
  const ours = middle(rounds.ours, (r) => r.durationMs);
  const baseline = middle(rounds.baseline, (r) => r.durationMs);
  const roundRatios = rounds.ours.map((o, i) => ratio(o.resourcesPerSecond, rounds.baseline[i]!.resourcesPerSecond));
  return {
    setup: {
      resources: opts.resources,
      kinds: 'equal parts ResourcePool, NodePool (on the pool), Notebook (on the pool), EdgeDeployment; unique names',
      simulator: 'zero durations (ready at the first show), no faults, no rate limit',
      concurrency:
        `${opts.concurrency} (dispatch: ${opts.concurrency / 10} pollers x batches of 10, ` +
        `as maximumConcurrency 5 x batchSize 10; baseline: ${opts.concurrency} workers)`,
      pollSeconds: opts.pollSeconds,
      rounds:
        `${opts.rounds} per side, alternating baseline/ours; per side ` +
        "the median round; the ratio the median of the rounds' own ratios",
      oursSettings:
        'product defaults except POLL_BACKOFF_SCALE = poll interval / 30 s (every first poll within ' +
        'one interval), POLL_CONCURRENCY = concurrency, POWERTOOLS_LOG_LEVEL = WARN (as npm start)',
      ours: 'one POST /requests; timed from its 202 to the last resource.succeeded event received from the topic',
      baseline: 'HuaweiCloudClient directly: create, show every poll interval until ready; pool dependents after their pool',
    },
    ours,
    baseline,
    rounds: { ours: rounds.ours.map(({ awsCalls: _calls, ...r }) => r), baseline: rounds.baseline },
    roundRatios,
    ratio: { resourcesPerSecond: median(roundRatios) },
  };
}

/**
 * Benchmark 4: per function in serverless.yml, the minified bundle size and the median time to load it and
 * run one warm-up invocation in a fresh Node process, beside an empty handler bundled the same way.
 * Bundles are built with esbuild directly, with serverless.yml's custom.esbuild options; `deployed` keeps
 * @aws-sdk/* external (the nodejs22.x runtime ships it; here it loads from node_modules), `sdkBundled`
 * bundles it too. Invocations run against the local emulators with NODE_OPTIONS from serverless.yml.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { parse } from 'yaml';
import { SIMULATOR_DEFAULTS } from '../local/huaweicloud-simulator/index';
import type { BenchStack } from './lib/stack';
import { BENCH_DIR, log, median, ratio, REPO_ROOT, round } from './lib/util';

type Variant = 'deployed' | 'sdkBundled';

interface EsbuildSettings {
  minify?: boolean;
  sourcemap?: boolean | 'external';
  target?: string;
  platform?: 'node';
  format?: 'cjs' | 'esm';
  outputFileExtension?: string;
  exclude?: string[];
}

const OUT = join(REPO_ROOT, '.bench', 'coldstart');
const EVENTS: Record<string, string> = {
  webhook: 'events/webhook-github-push.json',
  intake: 'events/intake-sqs.json',
  dispatch: 'events/dispatch-sqs.json',
  poll: 'events/poll-schedule.json',
};

async function bundle(name: string, entry: string, variant: Variant, settings: EsbuildSettings): Promise<{ file: string; bytes: number; mapBytes: number }> {
  const ext = settings.outputFileExtension ?? '.js';
  const outfile = join(OUT, variant, `${name}${ext}`);
  await build({
    entryPoints: [join(REPO_ROOT, entry)],
    outfile,
    bundle: true,
    minify: settings.minify ?? true,
    sourcemap: settings.sourcemap ?? 'external',
    target: settings.target ?? 'node22',
    platform: settings.platform ?? 'node',
    format: settings.format ?? 'cjs',
    external: variant === 'deployed' ? (settings.exclude ?? []) : [],
    logLevel: 'error',
  });
  const mapBytes = (() => {
    try {
      return statSync(`${outfile}.map`).size;
    } catch {
      return 0;
    }
  })();
  return { file: outfile, bytes: statSync(outfile).size, mapBytes };
}

function coldRun(file: string, event: string, env: Record<string, string>): Promise<{ loadMs: number; invokeMs: number; totalMs: number; processMs: number; spawnToExitMs: number; status: unknown }> {
  const resultFile = `${file}.${process.pid}.result.json`;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(BENCH_DIR, 'procs/cold.cjs'), file, join(REPO_ROOT, event), resultFile], { cwd: REPO_ROOT, env, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => {
      const spawnToExitMs = performance.now() - started;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(readFileSync(resultFile, 'utf8'));
        rmSync(resultFile, { force: true });
      } catch {
        return reject(new Error(`cold run of ${file} exited ${code} without a result`));
      }
      if (parsed.error || code !== 0) return reject(new Error(`cold run of ${file} failed: ${String(parsed.error)}`));
      resolve({ ...(parsed as { loadMs: number; invokeMs: number; totalMs: number; processMs: number; status: unknown }), spawnToExitMs });
    });
  });
}

export async function benchColdstart(stack: BenchStack, opts: { runs: number }) {
  const sls = parse(readFileSync(join(REPO_ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    custom: { esbuild: EsbuildSettings };
    provider: { environment?: Record<string, string> };
    functions: Record<string, { handler: string }>;
  };
  const settings = sls.custom.esbuild;
  const nodeOptions = String(sls.provider.environment?.NODE_OPTIONS ?? '');
  const resources = await stack.provision('cs');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...resources.env,
    NODE_OPTIONS: nodeOptions,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    GITHUB_WEBHOOK_SECRET: 'bench-cold-secret',
    HUAWEICLOUD_SDK_AK: SIMULATOR_DEFAULTS.ak,
    HUAWEICLOUD_SDK_SK: SIMULATOR_DEFAULTS.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: SIMULATOR_DEFAULTS.projectId,
    HUAWEICLOUD_MODELARTS_ENDPOINT: 'http://127.0.0.1:9',
    HUAWEICLOUD_IEF_ENDPOINT: 'http://127.0.0.1:9',
    // Nothing may leave this machine: provider APIs point at a closed loopback port.
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITLAB_API_URL: 'http://127.0.0.1:9',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const samples = readdirSync(join(REPO_ROOT, 'events')).sort();
  const eventFor = (name: string) => EVENTS[name] ?? `events/${samples.find((f) => f.startsWith(`${name}-`)) ?? 'poll-schedule.json'}`;
  const functions = Object.entries(sls.functions).map(([name, f]) => ({ name, entry: `${f.handler.replace(/\.[^.]+$/, '')}.ts`, event: eventFor(name) }));
  const targets = [...functions, { name: 'empty', entry: 'bench/fixtures/empty-handler.ts', event: 'events/poll-schedule.json' }];

  const rows: Record<string, Record<Variant, Record<string, number | string>>> = {};
  for (const variant of ['deployed', 'sdkBundled'] as const) {
    for (const target of targets) {
      const built = await bundle(target.name, target.entry, variant, settings);
      // One unmeasured run first: the OS file cache should not favour whichever bundle ran later.
      await coldRun(built.file, target.event, env);
      const runs = [];
      for (let i = 0; i < opts.runs; i++) runs.push(await coldRun(built.file, target.event, env));
      (rows[target.name] ??= {} as Record<Variant, Record<string, number | string>>)[variant] = {
        bytes: built.bytes,
        sourceMapBytes: built.mapBytes,
        loadMs: round(median(runs.map((r) => r.loadMs)), 1),
        invokeMs: round(median(runs.map((r) => r.invokeMs)), 1),
        coldMs: round(median(runs.map((r) => r.totalMs)), 1),
        spawnToExitMs: round(median(runs.map((r) => r.spawnToExitMs)), 0),
        status: String(runs[0]!.status),
      };
      log(`coldstart ${variant} ${target.name}: ${built.bytes} B, cold ${rows[target.name]![variant].coldMs} ms`);
    }
  }
  const empty = rows.empty!;
  const perFunction = Object.fromEntries(
    functions.map(({ name }) => {
      const r = rows[name]!;
      // The target compares whole cold starts (process start to handler done): 2x the empty handler's + 150 ms.
      const limit = (v: Variant) => round(2 * Number(empty[v].spawnToExitMs) + 150, 0);
      return [
        name,
        {
          ...r,
          ratio: { coldVsEmptyDeployed: ratio(Number(r.deployed.spawnToExitMs), Number(empty.deployed.spawnToExitMs)), coldVsEmptySdkBundled: ratio(Number(r.sdkBundled.spawnToExitMs), Number(empty.sdkBundled.spawnToExitMs)) },
          targets: {
            deployedUnder1MB: Number(r.deployed.bytes) < 1_000_000,
            sdkBundledUnder1MB: Number(r.sdkBundled.bytes) < 1_000_000,
            deployedColdLimitMs: limit('deployed'),
            deployedColdOk: Number(r.deployed.spawnToExitMs) < limit('deployed'),
            sdkBundledColdLimitMs: limit('sdkBundled'),
            sdkBundledColdOk: Number(r.sdkBundled.spawnToExitMs) < limit('sdkBundled'),
          },
        },
      ];
    }),
  );
  writeFileSync(join(OUT, 'README.txt'), 'Bundles built by bench/coldstart.ts; safe to delete.\n');
  return {
    setup: {
      runs: opts.runs,
      esbuild: settings,
      nodeOptions,
      deployed: '@aws-sdk/* external, as serverless.yml packages it (loaded from node_modules here, from the runtime on Lambda)',
      sdkBundled: 'the same build with @aws-sdk/* bundled',
      coldMs: 'require() of the bundle plus one invocation with the events/ sample (fresh ids), in a fresh Node process, against the local emulators',
      spawnToExitMs: 'the whole process, Node start-up included',
    },
    empty,
    functions: perFunction,
  };
}

/**
 * Benchmark 4: per function in serverless.yml, the minified bundle size and the median time to load it and
 * run one warm-up invocation in a fresh Node process, beside an empty handler bundled the same way.
 * Bundles are built with esbuild directly, from serverless.yml's custom.esbuild exactly as serverless-esbuild
 * turns it into esbuild options. `deployed` is that build; the other variant ships the AWS SDK the other way:
 * `sdkBundled` when serverless.yml leaves @aws-sdk/* to the Lambda runtime (loaded from node_modules here),
 * `sdkExternal` when it bundles it. Invocations run against the local emulators with the NODE_OPTIONS
 * serverless.yml gives each function, and Huawei credentials where it gives the function its credentials secret
 * (the others, the API among them, preflight nothing and make no Huawei call). A second reference,
 * bench/fixtures/intake-io-floor.ts, makes intake's AWS calls for the same sample event and nothing else: the floor
 * under intake's cold start. A third, bench/fixtures/intake-validation-floor.ts, validates the event's manifests
 * before making those calls.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { parse } from 'yaml';
import { SIMULATOR_DEFAULTS, startSimulator } from '../local/huaweicloud-simulator/index';
import type { LocalResources } from '../local/resources';
import { esbuildOptionsFrom, type EsbuildSettings } from './lib/esbuild';
import { intakeRecordCalls } from './lib/intake-calls';
import type { BenchStack } from './lib/stack';
import { BENCH_DIR, log, median, ratio, REPO_ROOT, round } from './lib/util';

type Variant = 'deployed' | 'sdkBundled' | 'sdkExternal';
const BENCH_API_TOKEN = 'bench-cold-api-token-0123456789abcdef';
const SDK = '@aws-sdk/*';

const OUT = join(REPO_ROOT, '.bench', 'coldstart');
const EVENTS: Record<string, string> = {
  webhook: 'events/webhook-github-push.json',
  // The API's busiest call, and its heaviest: a submission validated, admitted, recorded and queued.
  api: 'events/api-post-requests.json',
  intake: 'events/intake-sqs.json',
  dispatch: 'events/dispatch-sqs.json',
  poll: 'events/poll-schedule.json',
};

async function bundle(
  name: string,
  entry: string,
  variant: Variant,
  custom: EsbuildSettings,
): Promise<{ file: string; bytes: number; mapBytes: number }> {
  const { options, outputFileExtension } = esbuildOptionsFrom(custom);
  const outfile = join(OUT, variant, `${name}${outputFileExtension}`);
  const others = (options.external ?? []).filter((e) => e !== SDK);
  const external = variant === 'deployed' ? options.external : variant === 'sdkBundled' ? others : [...others, SDK];
  await build({
    ...options,
    external,
    entryPoints: [join(REPO_ROOT, entry)],
    outfile,
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

function coldRun(
  file: string,
  event: string,
  env: Record<string, string>,
  execArgv: string[] = [],
): Promise<{ loadMs: number; invokeMs: number; totalMs: number; processMs: number; spawnToExitMs: number; status: unknown }> {
  const resultFile = `${file}.${process.pid}.result.json`;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, join(BENCH_DIR, 'procs/cold.cjs'), file, join(REPO_ROOT, event), resultFile], {
      cwd: REPO_ROOT,
      env,
      stdio: 'ignore',
    });
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

/**
 * DynamoDB Local is a JVM: its first few hundred transactions run before its compiler has caught up, tens of ms
 * slower each. Run alone, this section met an emulator that cold; after the other sections (the poller's writes
 * 50,000 items), a hot one. Warmed first with intake's calls, a function's cold start carries less of the
 * emulator's own warm-up whether the section runs alone or not.
 */
async function warmEmulators(stack: BenchStack, resources: LocalResources, rounds: number): Promise<number> {
  const started = performance.now();
  const { ddb, sqs, sns, destroy } = stack.clients();
  const to = { tableName: resources.tableName, queueUrl: resources.queues.dispatch.url, topicArn: resources.topicArn };
  try {
    // Two at a time, as intake's two sample records go.
    for (let i = 0; i < rounds; i++) await Promise.all([0, 1].map((n) => intakeRecordCalls({ ddb, sqs, sns }, to, `warm-${i}-${n}`)));
  } finally {
    destroy();
  }
  return round((performance.now() - started) / 1000, 1);
}

export async function benchColdstart(stack: BenchStack, opts: { runs: number; warmRounds: number }) {
  const sls = parse(readFileSync(join(REPO_ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    custom: { esbuild: EsbuildSettings };
    provider: { environment?: Record<string, string> };
    functions: Record<string, { handler: string; environment?: Record<string, unknown> }>;
  };
  const settings = sls.custom.esbuild;
  // As Lambda sees it: a function's own environment overrides the provider's.
  const nodeOptionsFor = (name: string) =>
    String(sls.functions[name]?.environment?.NODE_OPTIONS ?? sls.provider.environment?.NODE_OPTIONS ?? '');
  const resources = await stack.provision('cs');
  const warmSeconds = await warmEmulators(stack, resources, opts.warmRounds);
  const simulator = await startSimulator({ port: 0, projectId: SIMULATOR_DEFAULTS.projectId });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...resources.env,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    GITHUB_WEBHOOK_SECRET: 'bench-cold-secret',
    API_TOKENS: `bench=${BENCH_API_TOKEN}`,
    BENCH_API_TOKEN,
    HUAWEICLOUD_SDK_AK: SIMULATOR_DEFAULTS.ak,
    HUAWEICLOUD_SDK_SK: SIMULATOR_DEFAULTS.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: SIMULATOR_DEFAULTS.projectId,
    // Intake preflights what it accepts, reading Huawei as deployed it would: here the simulator answers.
    HUAWEICLOUD_MODELARTS_ENDPOINT: simulator.url,
    HUAWEICLOUD_IEF_ENDPOINT: simulator.url,
    // Nothing may leave this machine: provider APIs point at a closed loopback port, Huawei at the simulator.
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITLAB_API_URL: 'http://127.0.0.1:9',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const samples = readdirSync(join(REPO_ROOT, 'events')).sort();
  const eventFor = (name: string) => EVENTS[name] ?? `events/${samples.find((f) => f.startsWith(`${name}-`)) ?? 'poll-schedule.json'}`;
  // Huawei credentials go only to the functions serverless.yml gives its credentials secret (the AK/SK above stand
  // in for it: there is no Secrets Manager here). The API, for one, is deployed without them and preflights nothing.
  const huaweiFor = (name: string) => 'HUAWEICLOUD_CREDENTIALS_SECRET' in (sls.functions[name]?.environment ?? {});
  const { HUAWEICLOUD_SDK_AK: _ak, HUAWEICLOUD_SDK_SK: _sk, ...withoutHuawei } = env;
  const functions = Object.entries(sls.functions).map(([name, f]) => ({
    name,
    entry: `${f.handler.replace(/\.[^.]+$/, '')}.ts`,
    event: eventFor(name),
    nodeOptions: nodeOptionsFor(name),
    huawei: huaweiFor(name),
  }));
  const targets = [
    ...functions,
    {
      name: 'empty',
      entry: 'bench/fixtures/empty-handler.ts',
      event: 'events/poll-schedule.json',
      nodeOptions: nodeOptionsFor(''),
      huawei: false,
    },
    // What intake's own AWS calls cost a cold process, with nothing of intake's around them.
    {
      name: 'intakeIoFloor',
      entry: 'bench/fixtures/intake-io-floor.ts',
      event: EVENTS.intake!,
      nodeOptions: nodeOptionsFor('intake'),
      huawei: false,
    },
    // The same calls after validating the records' manifests: what any intake on these libraries pays.
    {
      name: 'intakeValidationFloor',
      entry: 'bench/fixtures/intake-validation-floor.ts',
      event: EVENTS.intake!,
      nodeOptions: nodeOptionsFor('intake'),
      huawei: false,
    },
  ];

  const alternative: Variant = esbuildOptionsFrom(settings).options.external?.includes(SDK) ? 'sdkBundled' : 'sdkExternal';
  const variants = ['deployed', alternative] as const;
  const cases = [];
  for (const variant of variants) {
    for (const target of targets) cases.push({ variant, target, built: await bundle(target.name, target.entry, variant, settings) });
  }
  // Round-robin, one unmeasured round first: on a shared, noisy machine every bundle (the empty baseline
  // included) then sees the same load, and the OS file cache favours none of them.
  const runs = cases.map(() => [] as Awaited<ReturnType<typeof coldRun>>[]);
  try {
    for (let pass = -1; pass < opts.runs; pass++) {
      for (const [i, { variant, target, built }] of cases.entries()) {
        // BENCH_CPU_PROF=dir writes a V8 CPU profile of every measured run there (for finding what a cold start spends).
        const prof =
          process.env.BENCH_CPU_PROF && pass >= 0
            ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}/${variant}-${target.name}-${pass}`]
            : [];
        const base = target.huawei ? env : withoutHuawei;
        const run = await coldRun(built.file, target.event, { ...base, NODE_OPTIONS: target.nodeOptions }, prof);
        if (pass >= 0) runs[i]!.push(run);
      }
    }
  } finally {
    await simulator.close();
  }
  const rows: Record<string, Record<string, Record<string, number | string>>> = {};
  for (const [i, { variant, target, built }] of cases.entries()) {
    const r = runs[i]!;
    (rows[target.name] ??= {})[variant] = {
      bytes: built.bytes,
      sourceMapBytes: built.mapBytes,
      loadMs: round(median(r.map((x) => x.loadMs)), 1),
      invokeMs: round(median(r.map((x) => x.invokeMs)), 1),
      coldMs: round(median(r.map((x) => x.totalMs)), 1),
      spawnToExitMs: round(median(r.map((x) => x.spawnToExitMs)), 0),
      // The spread of the rounds: a median a few ms from its limit is a verdict the next run may turn.
      spawnToExitMinMs: round(Math.min(...r.map((x) => x.spawnToExitMs)), 0),
      spawnToExitMaxMs: round(Math.max(...r.map((x) => x.spawnToExitMs)), 0),
      status: String(r[0]!.status),
    };
    log(
      `coldstart ${variant} ${target.name}: ${built.bytes} B, cold ` +
        `${rows[target.name]![variant]!.coldMs} ms, process ${rows[target.name]![variant]!.spawnToExitMs} ms`,
    );
  }
  const empty = rows.empty!;
  const perFunction = Object.fromEntries(
    functions.map(({ name }) => {
      const r = rows[name]!;
      // The target compares whole cold starts (process start to handler done): 2x the empty handler's + 150 ms.
      const limit = (v: Variant) => round(2 * Number(empty[v]!.spawnToExitMs) + 150, 0);
      const cap = (v: Variant) => `${v[0]!.toUpperCase()}${v.slice(1)}`;
      return [
        name,
        {
          ...r,
          ratio: Object.fromEntries(
            variants.map((v) => [`coldVsEmpty${cap(v)}`, ratio(Number(r[v]!.spawnToExitMs), Number(empty[v]!.spawnToExitMs))]),
          ),
          targets: Object.fromEntries(
            variants.flatMap((v) => [
              [`${v}Under1MB`, Number(r[v]!.bytes) < 1_000_000],
              [`${v}ColdLimitMs`, limit(v)],
              [`${v}ColdOk`, Number(r[v]!.spawnToExitMs) < limit(v)],
            ]),
          ),
        },
      ];
    }),
  );
  writeFileSync(join(OUT, 'README.txt'), 'Bundles built by bench/coldstart.ts; safe to delete.\n');
  return {
    setup: {
      runs: opts.runs,
      order: 'round-robin over every bundle (empty included), after one unmeasured pass',
      emulatorWarmUp: `${opts.warmRounds} rounds of intake's calls for two records (${warmSeconds} s) before the first pass`,
      esbuild: settings,
      esbuildOptions: esbuildOptionsFrom(settings).options,
      nodeOptions: Object.fromEntries(targets.map((t) => [t.name, t.nodeOptions])),
      huaweiCredentials: functions.filter((f) => f.huawei).map((f) => f.name),
      deployed:
        "as serverless.yml packages it (custom.esbuild through serverless-esbuild's option mapping), AWS " +
        `SDK ${alternative === 'sdkBundled' ? 'from the Lambda runtime (node_modules here)' : 'bundled'}`,
      alternative,
      [alternative]:
        alternative === 'sdkBundled'
          ? 'the same build with @aws-sdk/* bundled'
          : 'the same build with @aws-sdk/* from the Lambda runtime (node_modules here)',
      coldMs:
        'require() of the bundle plus one invocation with the events/ sample ' +
        '(fresh ids), in a fresh Node process, against the local emulators',
      spawnToExitMs: 'the whole process, Node start-up included',
    },
    empty,
    intakeIoFloor: {
      ...rows.intakeIoFloor,
      // Of intake's cold start, the share its AWS calls alone take against the emulators (the rest is its own work).
      intakeShare: Object.fromEntries(
        variants.map((v) => [v, ratio(Number(rows.intakeIoFloor![v]!.spawnToExitMs), Number(rows.intake?.[v]?.spawnToExitMs ?? NaN))]),
      ),
    },
    intakeValidationFloor: {
      ...rows.intakeValidationFloor,
      // Against the limit intake is judged by: whether a design that validates and records, and nothing else, meets it.
      limitMs: Object.fromEntries(variants.map((v) => [v, round(2 * Number(empty[v]!.spawnToExitMs) + 150, 0)])),
      intakeShare: Object.fromEntries(
        variants.map((v) => [
          v,
          ratio(Number(rows.intakeValidationFloor![v]!.spawnToExitMs), Number(rows.intake?.[v]?.spawnToExitMs ?? NaN)),
        ]),
      ),
    },
    functions: perFunction,
  };
}

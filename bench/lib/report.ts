/**
 * reports/bench.json across runs. A full run writes every section; an `--only` run replaces the sections it ran
 * and keeps the others, so measuring one benchmark again never loses the rest. `sources` says which run (when,
 * which mode, which benchmarks, how long) each section came from, since sections of one file may be days apart.
 */

type Json = Record<string, unknown>;

const BENCH_NAMES = ['webhook', 'pipeline', 'poller', 'coldstart', 'rate', 'drift', 'ui'] as const;

/** What one invocation of the harness was. */
export interface BenchRun {
  generatedAt: string;
  mode: 'quick' | 'full';
  machine: Json;
  durationSeconds: number;
  /** The benchmarks asked for with `--only`; absent for a run of all of them. */
  only?: string[];
}

export class UnknownBenchError extends Error {
  readonly code = 'UNKNOWN_BENCH';
  constructor(readonly names: string[]) {
    super(`--only names no benchmark: ${names.join(', ')} (known: ${BENCH_NAMES.join(', ')})`);
    this.name = 'UnknownBenchError';
  }
}

/** The names of `--only=a,b`, checked: a misspelt name would otherwise run nothing and still rewrite the report. */
export function parseOnly(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const unknown = names.filter((n) => !(BENCH_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) throw new UnknownBenchError(unknown.length > 0 ? unknown : [value]);
  return names;
}

const sourceOf = (run: BenchRun) => ({
  generatedAt: run.generatedAt,
  mode: run.mode,
  durationSeconds: run.durationSeconds,
  benchmarks: run.only ?? 'all',
  machine: run.machine,
});

/**
 * The report to write. A run of everything, or a previous report of the other mode (quick figures must never
 * sit beside full ones), starts afresh; otherwise the previous report's sections this run did not produce are
 * kept with their sources. A report written before sources existed is attributed to its own generatedAt.
 */
export function mergeReport(previous: Json | undefined, run: BenchRun, sections: Json, before?: unknown): Json {
  const keep = run.only !== undefined && previous !== undefined && previous.mode === run.mode;
  const sources: Record<string, unknown> = {};
  const kept: Json = {};
  if (keep) {
    const previousSources = (previous.sources ?? {}) as Record<string, unknown>;
    const legacy = {
      generatedAt: previous.generatedAt,
      mode: previous.mode,
      durationSeconds: previous.durationSeconds,
      benchmarks: 'all',
      machine: previous.machine,
    };
    for (const name of BENCH_NAMES) {
      if (previous[name] === undefined || name in sections) continue;
      kept[name] = previous[name];
      sources[name] = previousSources[name] ?? legacy;
    }
  }
  for (const name of Object.keys(sections)) sources[name] = sourceOf(run);
  const ordered: Json = {};
  for (const name of BENCH_NAMES) {
    const section = name in sections ? sections[name] : kept[name];
    if (section !== undefined) ordered[name] = section;
  }
  return {
    generatedAt: run.generatedAt,
    mode: run.mode,
    machine: run.machine,
    durationSeconds: run.durationSeconds,
    ...(run.only ? { only: run.only } : {}),
    sources,
    ...ordered,
    ...(before !== undefined ? { before } : {}),
  };
}

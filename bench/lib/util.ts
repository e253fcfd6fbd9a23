/** Small helpers shared by the benchmarks: statistics, child processes, timing and the terminal table. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const REPO_ROOT = dirname(BENCH_DIR);

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The middle item by `by` (the lower one of an even count): a whole median round, not a mix of rounds. */
export function middle<T>(items: readonly T[], by: (item: T) => number): T {
  return [...items].sort((a, b) => by(a) - by(b))[Math.floor((items.length - 1) / 2)]!;
}

export const round = (value: number, digits = 2) => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : value);
export const ratio = (ours: number, baseline: number) => (baseline === 0 ? Number.NaN : round(ours / baseline, 3));

/** Runs a TypeScript file in a fresh Node process (tsx loader); `ready` resolves with the first IPC message it sends. */
export interface Child<T> {
  child: ChildProcess;
  ready: Promise<T>;
  /** Resolves with the process's last IPC message (its result) once it exits; rejects on a non-zero exit. */
  result: Promise<unknown>;
  stop(): Promise<void>;
}

export function startChild<T>(
  file: string,
  args: string[] = [],
  env: Record<string, string> = {},
  opts: { stdout?: 'ignore' | 'inherit' } = {},
): Child<T> {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every benchmark process there (open in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(BENCH_DIR, file), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    // stdout to /dev/null: a server's log lines cost it the write, as on Lambda, without the parent draining them.
    stdio: ['ignore', opts.stdout ?? 'ignore', 'inherit', 'ipc'],
  });
  let last: unknown;
  const ready = new Promise<T>((resolve, reject) => {
    child.once('message', (message) => resolve(message as T));
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before it was ready`)));
  });
  child.on('message', (message) => (last = message));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const result = exited.then(([code, signal]) => {
    if (code !== 0) throw new Error(`${file} ${args.join(' ')} failed (exit ${code ?? signal})`);
    return last;
  });
  result.catch(() => undefined);
  ready.catch(() => undefined);
  return {
    child,
    ready,
    result,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Runs a child to completion and returns its last IPC message. */
export async function runChild<T>(file: string, args: string[] = [], env: Record<string, string> = {}): Promise<T> {
  const c = startChild<unknown>(file, args, env);
  return (await c.result) as T;
}

export function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]) => r.map((c, i) => String(c ?? '').padEnd(widths[i]!)).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function startCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/huaweicloud-simulator/main.ts', ...args], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, PORT: '', SIMULATOR_PORT: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  const firstLine = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code} before printing its URL`)));
  });
  return { child, firstLine };
}

describe('simulator CLI (npm run simulator)', () => {
  it('prints exactly the base URL on its own line, serves, and stops cleanly on SIGTERM', async () => {
    const { child, firstLine } = startCli(['--seed', '3', '--rate-limit', '50', '--quiet']);
    const url = await firstLine;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/__sim/health`);
    expect(health.status).toBe(200);
    const config = (await (await fetch(`${url}/__sim/config`)).json()) as { rateLimitPerSecond: number; durations: { Notebook: number } };
    expect(config).toMatchObject({ rateLimitPerSecond: 50, durations: { Notebook: 600 } });
    const faults = (await (await fetch(`${url}/__sim/faults`)).json()) as { settings: { seed: number } };
    expect(faults.settings.seed).toBe(3);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('honours SIMULATOR_PORT and --realistic', async () => {
    const probe = (await import('node:net')).createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const { child, firstLine } = startCli(['--realistic', '--quiet'], { SIMULATOR_PORT: String(port) });
    expect(await firstLine).toBe(`http://127.0.0.1:${port}`);
    const config = (await (await fetch(`http://127.0.0.1:${port}/__sim/config`)).json()) as { durations: { Notebook: number } };
    expect(config.durations.Notebook).toBe(90_000);
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('--strict-catalog starts the catalog strict', async () => {
    const { child, firstLine } = startCli(['--strict-catalog', '--quiet']);
    const url = await firstLine;
    const catalog = (await (await fetch(`${url}/__sim/catalog`)).json()) as { strict: boolean };
    expect(catalog.strict).toBe(true);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});

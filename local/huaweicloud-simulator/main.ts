/** CLI for `npm run simulator`: starts the simulator and prints its base URL on a line of its own. */
import { parseArgs } from 'node:util';
import { startSimulator } from './index';

const USAGE = `usage: npm run simulator -- [--realistic] [--seed N] [--rate-limit N] [--state FILE] [--strict-catalog] [--quiet]
  --state FILE keeps the resources in FILE across restarts (read at start, rewritten on every change)
  --strict-catalog: only the catalog's images, edge nodes and groups exist (see README, Catalog)
  port: SIMULATOR_PORT or PORT (default: a free port); credentials: HUAWEICLOUD_SDK_AK/SK/PROJECT_ID`;

function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${flag} needs a number, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      realistic: { type: 'boolean', default: false },
      seed: { type: 'string' },
      'rate-limit': { type: 'string' },
      state: { type: 'string' },
      'strict-catalog': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = numberFlag(process.env.SIMULATOR_PORT || process.env.PORT || undefined, 'SIMULATOR_PORT/PORT') ?? 0;
  const sim = await startSimulator({
    port,
    durations: values.realistic ? 'realistic' : 'fast',
    seed: numberFlag(values.seed, '--seed'),
    rateLimitPerSecond: numberFlag(values['rate-limit'], '--rate-limit'),
    ...(values.state ? { stateFile: values.state } : {}),
    ...(values['strict-catalog'] ? { catalog: { strict: true } } : {}),
    // Request logs go to stderr so stdout carries only the URL, which scripts read.
    logger: values.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${sim.url}\n`);
  const stop = () => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(1);
});

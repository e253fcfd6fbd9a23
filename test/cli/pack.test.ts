/**
 * The package `npm pack` makes is what an infrastructure repository's CI installs and runs offline:
 * `npx hwc-provisioner@<version> validate provisioning/`. Installed here into a directory outside this
 * repository, from the tarball alone, with no registry.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalResources, type LocalStack } from '../setup/stack';

const ROOT = resolve(import.meta.dirname, '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** No npm_* variables of the npm that runs the tests (they would point the child npm at this repository), no AWS configuration. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const kept = Object.entries(process.env).filter(([key]) => !/^(npm_|AWS_|NODE_PATH$|NODE_OPTIONS$)/i.test(key));
  return { ...(Object.fromEntries(kept) as Record<string, string>), ...extra };
}

function run(file: string, args: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { cwd: opts.cwd, env: opts.env ?? cleanEnv(), timeout: opts.timeoutMs ?? 30_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('npm pack: a self-contained CLI', () => {
  let work: string;
  let consumer: string;
  let home: string;
  let packed: { filename: string; files: { path: string }[] };
  const cli = (args: string[], env: Record<string, string> = {}) =>
    run('npx', ['--offline', 'hwc-provisioner', ...args], { cwd: consumer, env: cleanEnv({ HOME: home, ...env }) });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'hwcp-pack-'));
    home = join(work, 'home');
    mkdirSync(home);
    const pack = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, timeoutMs: 120_000 });
    if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    [packed] = JSON.parse(pack.stdout);

    consumer = join(work, 'infra');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), `${JSON.stringify({ name: 'infra', private: true })}\n`);
    const install = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(work, packed.filename)], {
      cwd: consumer,
      env: cleanEnv({ HOME: home }),
      timeoutMs: 120_000,
    });
    if (install.code !== 0) throw new Error(`npm install of the tarball failed: ${install.stderr}`);
    cpSync(join(ROOT, 'examples'), join(consumer, 'provisioning'), { recursive: true });
  }, 300_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds the launcher, the bundle, README.md and package.json only', () => {
    expect(packed.files.map((f) => f.path).sort()).toEqual(['README.md', 'bin/hwc-provisioner.mjs', 'dist/cli.cjs', 'package.json']);
  });

  it('installs from the tarball alone, outside the repository: no dependency to fetch', () => {
    expect(relative(ROOT, consumer).startsWith('..')).toBe(true);
    const manifest = JSON.parse(readFileSync(join(consumer, 'node_modules/hwc-provisioner/package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.version).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    expect(readdirSync(join(consumer, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['hwc-provisioner']);
  });

  it('validates a copy of examples/ with exit 0', async () => {
    const result = await cli(['validate', 'provisioning/']);
    expect(result.code).toBe(0);
    // Only warnings: all-kinds.yaml repeats two examples identically, which counts them once.
    expect(
      result.stdout
        .trim()
        .split('\n')
        .filter((line) => !line.includes(': warning: ')),
    ).toEqual([]);
    expect(result.stderr).toMatch(/^(\d+) manifests checked: \1 valid, 0 invalid\n$/);
  });

  it('reports an invalid file with exit 1 and file:line:column lines', async () => {
    const bad = join(consumer, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(
      join(bad, 'pool.yaml'),
      'apiVersion: hwc-provisioner/v1\nkind: ResourcePool\nmetadata:\n  name: Bad_Name\nspec:\n  body: {}\n',
    );
    const result = await cli(['validate', 'bad/']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^bad\/pool\.yaml:4:9 metadata\.name: /m);
    expect(result.stderr).toMatch(/1 manifest checked: 0 valid, 1 invalid/);
  });

  it('prints its version, and one usage line on a usage error', async () => {
    expect(await cli(['--version'])).toEqual({
      code: 0,
      stdout: `${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`,
      stderr: '',
    });
    const wrong = await cli(['validat', 'provisioning/']);
    expect(wrong).toEqual({
      code: 2,
      stdout: '',
      stderr: 'hwc-provisioner: unknown command "validat"\nusage: hwc-provisioner <command> [options]; see hwc-provisioner help\n',
    });
  });

  describe('dlq, with the bundled AWS SDK', () => {
    let stack: LocalStack;
    beforeAll(async () => {
      stack = await useLocalResources();
    });
    afterAll(() => stack?.close());

    it("lists a local stack's dead-letter queues with only its prefix and endpoint set", async () => {
      const prefix = stack.tableName.replace(/-table$/, '');
      const result = await cli(['dlq', 'list', '--format', 'json'], { STACK_PREFIX: prefix, AWS_ENDPOINT_URL_SQS: stack.endpoints.sqs });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual({
        prefix,
        queues: ['dispatch', 'intake', 'notify'].map((kind) => `${prefix}-${kind}-dlq`),
        messages: [],
      });
    });
  });
});

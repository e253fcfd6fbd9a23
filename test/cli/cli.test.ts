import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { run } from '../../cli/main';
import { USAGE_LINE, type Io } from '../../cli/io';
import { validateCommand } from '../../cli/validate';
import { render, SCHEMA_FILES } from '../../scripts/write-schemas';

function captureIo(stdin = ''): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (l) => out.push(l), stderr: (l) => err.push(l), readStdin: async () => stdin };
}

const BROKEN = `apiVersion: hwc-provisioner/v1
kind: ResourcePool
metadata:
  name: Bad_Name
  lables: {}
spec:
  body: {}
`;

describe('hwc-provisioner validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwcp-cli-'));
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, BROKEN);

  it('exits 0 for examples that form one submission, with no project or region configured', async () => {
    const io = captureIo();
    const files = ['examples/all-kinds.yaml', 'examples/node-pool.yaml', 'examples/notebook.yaml'];
    expect(await validateCommand(files, io, {})).toBe(0);
    expect(io.out).toEqual([]);
    expect(io.err).toEqual(['6 manifests checked: 6 valid, 0 invalid']);
  });

  it('checks the files as one submission: a kind/name declared twice is one resource if identical, else invalid', async () => {
    const io = captureIo();
    expect(await run(['validate', 'examples/resource-pool.yaml', 'examples/all-kinds.yaml'], io)).toBe(0);
    expect(io.out).toEqual([
      'examples/all-kinds.yaml:10:9 metadata.name: warning: ResourcePool/train-pool is also declared, identically, in ' +
        'examples/resource-pool.yaml:7:9; counted once',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'hwcp-dup-'));
    writeFileSync(join(dir, 'pool.yaml'), readFileSync('examples/resource-pool.yaml', 'utf8').replace('count: 2', 'count: 3'));
    const differing = captureIo();
    expect(await run(['validate', join(dir, 'pool.yaml'), 'examples/all-kinds.yaml'], differing)).toBe(1);
    expect(differing.out).toEqual([
      `examples/all-kinds.yaml:10:9 metadata.name: ResourcePool/train-pool is declared twice in this request with different specs ` +
        `(first in ${join(dir, 'pool.yaml')}:7:9)`,
    ]);
    const once = captureIo();
    const twice = captureIo();
    await run(['validate', 'examples/'], once);
    await run(['validate', 'examples/', 'examples/notebook.yaml', './examples/notebook.yaml'], twice);
    expect({ out: twice.out, err: twice.err }).toEqual({ out: once.out, err: once.err });
  });

  it('requires spec.projectId only when told the service has no default project', async () => {
    const without = captureIo();
    expect(await validateCommand(['--no-default-project', 'examples/notebook.yaml'], without, {})).toBe(1);
    expect(without.out).toEqual([
      'examples/notebook.yaml:8:3 spec: projectId is required: no default project is configured (HUAWEICLOUD_SDK_PROJECT_ID)',
    ]);
    expect(await validateCommand(['examples/notebook.yaml'], captureIo(), {})).toBe(0);
    expect(await validateCommand(['--project-id', 'p-1', 'examples/notebook.yaml'], captureIo(), {})).toBe(0);
  });

  it('places manifests as the configured service would: a pool used from another project is refused', async () => {
    const pool = readFileSync('examples/resource-pool.yaml', 'utf8').replace(
      /^spec:\n/m,
      'spec:\n  projectId: p-1\n  region: cn-north-4\n',
    );
    const notebook = readFileSync('examples/all-kinds.yaml', 'utf8').split('\n---\n')[2]!;
    const file = join(dir, 'placed.yaml');
    writeFileSync(file, `${pool}---\n${notebook}`);
    for (const [args, env, code] of [
      [['--project-id', 'p-1'], {}, 0],
      [[], { HUAWEICLOUD_SDK_PROJECT_ID: 'p-1' }, 0],
      [['--project-id', 'p-2'], { HUAWEICLOUD_SDK_PROJECT_ID: 'p-1' }, 1],
      [['--project-id', 'p-1', '--region', 'cn-east-3'], {}, 1],
      [[], { HUAWEICLOUD_SDK_PROJECT_ID: 'p-1', HUAWEICLOUD_REGION: 'cn-east-3' }, 1],
      // Unknown, the default project is none of the projects manifests name.
      [[], {}, 1],
    ] as const) {
      const io = captureIo();
      expect(await validateCommand([...args, file], io, env), JSON.stringify({ args, env })).toBe(code);
      if (code === 1)
        expect(io.out).toEqual([
          expect.stringMatching(/spec\.poolRef: names ResourcePool train-pool, which this request creates in project p-1, cn-north-4/),
        ]);
    }
  });

  it('exits 1 with file:line:column path: message lines for a broken manifest', async () => {
    const io = captureIo();
    expect(await run(['validate', broken], io)).toBe(1);
    expect(io.out).toContain(
      `${broken}:4:9 metadata.name: 1-63 characters: lower-case letters, ` +
        'digits and "-", starting with a letter and ending with a letter or digit',
    );
    expect(io.out).toContain(`${broken}:5:3 metadata: unknown field "lables"; did you mean "labels"?`);
    for (const line of io.out) expect(line).toMatch(/^.+:\d+:\d+ [\w.]*: .+$/);
  });

  it('prints one JSON entry per document with --format json', async () => {
    const io = captureIo(`${BROKEN}---\n${readFileSync('examples/resource-pool.yaml', 'utf8')}`);
    expect(await run(['validate', '--format', 'json', '-'], io)).toBe(1);
    const report = JSON.parse(io.out.join('\n'));
    expect(report).toHaveLength(2);
    expect(report[0]).toMatchObject({ file: '-', index: 0, kind: 'ResourcePool', name: 'Bad_Name', valid: false });
    expect(report[0].errors[0]).toEqual({ path: 'metadata.name', message: expect.any(String), line: 4, column: 9 });
    expect(report[1]).toMatchObject({ index: 1, kind: 'ResourcePool', valid: true, errors: [] });
  });

  it('counts a file that is not YAML or JSON as invalid', async () => {
    const file = join(dir, 'notes.json');
    writeFileSync(file, '{"a": [1, 2');
    expect(await run(['validate', file], captureIo())).toBe(1);
  });

  it.each([
    [['validate'], /at least one file/],
    [['validate', join(dir, 'missing.yaml')], /cannot read .*ENOENT/],
    [['validate', '--format', 'xml', 'examples'], /--format must be text or json/],
    [['validate', '--project-id', 'examples'], /needs at least one file/],
    [['validate', '--project-id='], /--project-id needs a value/],
    [['validate', '--project-id', 'not_a project', 'examples'], /--project-id is invalid: must be a project id/],
    [['validate', '--region=mars', 'examples'], /--region is invalid: must look like cn-north-4/],
    [['validate', '--project-id', 'p-1', '--no-default-project', 'examples'], /contradict each other/],
    [['frobnicate'], /unknown command/],
  ])('exits 2 for usage errors, with the message and one usage line: %j', async (argv, message) => {
    const io = captureIo();
    expect(await run(argv, io)).toBe(2);
    expect(io.err).toEqual([expect.stringMatching(message), USAGE_LINE]);
    expect(io.out).toEqual([]);
  });

  it('exits 2 when no manifest is found', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hwcp-empty-'));
    writeFileSync(join(empty, 'readme.txt'), 'not a manifest');
    const io = captureIo();
    expect(await run(['validate', empty], io)).toBe(2);
    expect(io.err[0]).toMatch(/no manifest found/);
  });
});

describe('hwc-provisioner schema', () => {
  it('prints the draft-07 schema of one kind, case-insensitively', async () => {
    const io = captureIo();
    expect(await run(['schema', 'nodepool'], io)).toBe(0);
    const schema = JSON.parse(io.out.join('\n'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.properties.kind.const).toBe('NodePool');
  });

  it('rejects an unknown kind with exit 2', async () => {
    const io = captureIo();
    expect(await run(['schema', 'Bucket'], io)).toBe(2);
    expect(io.err).toEqual([expect.stringMatching(/unknown kind "Bucket"/), USAGE_LINE]);
  });

  it('keeps the committed schemas/ files in sync (run npm run schemas after a schema change)', () => {
    for (const [file, build] of Object.entries(SCHEMA_FILES)) {
      expect(readFileSync(file, 'utf8'), `${file} is stale: run npm run schemas`).toBe(render(build()));
    }
  });
});

describe('hwc-provisioner help and --version', () => {
  it('prints the whole help on help, and only there', async () => {
    const io = captureIo();
    expect(await run(['help'], io)).toBe(0);
    expect(io.out.join('\n')).toMatch(/^usage: hwc-provisioner <command> \[options\]\n\ncommands:\n/);
    expect(io.out.join('\n')).toMatch(/--version/);
    const missing = captureIo();
    expect(await run([], missing)).toBe(2);
    expect(missing.err).toEqual(['hwc-provisioner: missing command', USAGE_LINE]);
  });

  it("prints one command's part of the help on COMMAND --help, with the API's settings for the commands that call it", async () => {
    const submit = captureIo();
    expect(await run(['submit', '--help'], submit)).toBe(0);
    const text = submit.out.join('\n');
    expect(text).toMatch(/^usage: hwc-provisioner submit \[options\]\n\n {2}submit FILE\.\.\. /);
    expect(text).toMatch(/--wait .*\n.*--dry-run .*\n.*--idempotency-key KEY/);
    expect(text).toMatch(/HWCP_API_URL.*HWCP_TOKEN.*--format text\|json/);
    expect(text).not.toMatch(/validate|resources/);
    const resources = captureIo();
    expect(await run(['resources', '-h'], resources)).toBe(0);
    expect(resources.out.join('\n')).toMatch(/--kind KIND[\s\S]*--owner NAMESPACE[\s\S]*--limit N/);
    const explain = captureIo();
    expect(await run(['explain', '--help'], explain)).toBe(0);
    expect(explain.out.join('\n')).toMatch(/--format text\|json/);
    expect(explain.out.join('\n')).not.toMatch(/HWCP_API_URL/);
  });

  it('prints the version of package.json', async () => {
    const io = captureIo();
    expect(await run(['--version'], io)).toBe(0);
    expect(io.out).toEqual([JSON.parse(readFileSync('package.json', 'utf8')).version]);
    expect(io.err).toEqual([]);
  });
});

describe('the installed bin', () => {
  it('runs the TypeScript source from a clone through npx-style invocation of bin/hwc-provisioner.mjs', async () => {
    const result = await promisify(execFile)(process.execPath, ['bin/hwc-provisioner.mjs', 'schema', 'notebook'], { timeout: 20_000 });
    expect(JSON.parse(result.stdout).properties.kind.const).toBe('Notebook');
  });

  it('exits 2 and prints one usage line, no stack trace, on a usage error', async () => {
    const failed = await promisify(execFile)(process.execPath, ['bin/hwc-provisioner.mjs', 'frobnicate'], { timeout: 20_000 }).catch(
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 2, stdout: '', stderr: `hwc-provisioner: unknown command "frobnicate"\n${USAGE_LINE}\n` });
  });
});

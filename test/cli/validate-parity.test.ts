/**
 * `hwc-provisioner validate` gives the verdict POST /requests gives for the same files: the CLI reads them as one
 * submission, the service gets them as one YAML stream, and only where an error is reported differs (file and
 * document index, line offset), so the CLI's report is moved into the stream's coordinates and compared whole.
 * Each body is sent as a dry run and for real: the dry run must agree with both.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { run } from '../../cli/main';
import type { Io } from '../../cli/io';
import { createApp } from '../../shared/http/app';
import type { ManifestIssue } from '../../shared/manifests/errors';
import type { RejectedDocument } from '../../shared/store/types';
import { appFor, intakeDepsFor, memoryLogger, PROJECT_ID, SECRETS } from '../http/helpers';
import { useLocalResources, type LocalStack } from '../setup/stack';

const AUTH = { authorization: `Bearer ${SECRETS.API_TOKENS[0]!.token}` };
/** The placement defaults appFor's services use (intakeDepsFor), given to the CLI as flags so no variable of the runner counts. */
const CONFIGURED = ['--project-id', PROJECT_ID, '--region', 'cn-north-4'];
const logger = memoryLogger();

interface CliDocument {
  file: string;
  index: number;
  kind: string | null;
  name: string | null;
  valid: boolean;
  errors: ManifestIssue[];
  warnings: ManifestIssue[];
}

interface Verdict {
  accepted: boolean;
  /** The rejected documents as the service reports them; empty when accepted. */
  rejected: RejectedDocument[];
  /** kind/name of every document, when accepted (the service lists nothing else then). */
  resources: string[];
}

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { stdout: (l) => out.push(l), stderr: (l) => err.push(l), readStdin: async () => '' };
  return { code: await run(['validate', ...args], io), out, err };
}

/** The files as one YAML stream, and where each starts in it (lines before it). */
function stream(files: string[]): { body: string; lineOffset: Map<string, number> } {
  const lineOffset = new Map<string, number>();
  let body = '';
  for (const file of files) {
    if (body !== '') body += '---\n';
    lineOffset.set(file, body.split('\n').length - 1);
    const text = readFileSync(file, 'utf8');
    body += text.endsWith('\n') ? text : `${text}\n`;
  }
  return { body, lineOffset };
}

/** The CLI's report in the coordinates of the single-file request the service saw. */
function asRequest(report: CliDocument[], lineOffset: Map<string, number>): Verdict {
  const move = (file: string, line: number) => line + lineOffset.get(file)!;
  const rejected: RejectedDocument[] = [];
  report.forEach((doc, position) => {
    if (doc.valid) return;
    const errors = doc.errors.map((error) => ({
      ...error,
      line: move(doc.file, error.line),
      // The one message that names a place: the first declaration of a duplicate, which may be in another file.
      message: error.message.replace(/\(first in (.+):(\d+):(\d+)\)$/, (_m, file: string, line: string, column: string) => {
        return `(first in request:${move(file, Number(line))}:${column})`;
      }),
    }));
    rejected.push({
      file: 'request',
      index: position,
      ...(doc.kind ? { kind: doc.kind } : {}),
      ...(doc.name ? { name: doc.name } : {}),
      errors,
    });
  });
  return {
    accepted: rejected.length === 0,
    rejected,
    // A declaration repeated identically is one resource (the CLI warns about the repeat).
    resources: rejected.length === 0 ? [...new Set(report.map((d) => `${d.kind}/${d.name}`))] : [],
  };
}

async function verdictOf(response: Response): Promise<Verdict> {
  const body = (await response.json()) as any;
  if (response.status === 422) {
    expect(body.error.code).toBe('MANIFEST_INVALID');
    const { requestId: _recordedOnlyForReal, ...details } = body.error.details;
    return { accepted: false, rejected: details.documents, resources: [] };
  }
  // A 500 says why only in the app's log.
  expect([200, 202], `${JSON.stringify(body)}\n${logger.lines.join('\n')}`).toContain(response.status);
  return { accepted: true, rejected: [], resources: body.resources.map((r: { kind: string; name: string }) => `${r.kind}/${r.name}`) };
}

describe('validate and POST /requests give one verdict for the same files', () => {
  let stack: LocalStack;
  let app: ReturnType<typeof appFor>;
  const dir = mkdtempSync(join(tmpdir(), 'hwcp-parity-'));
  beforeAll(async () => {
    stack = await useLocalResources();
    app = appFor(stack, { logger });
  });
  afterAll(() => stack.close());

  /**
   * Runs the CLI on `paths` (which expand to `files`, in the CLI's order) and submits `files` as one request,
   * dry run first; expects one verdict from all three and returns it with the CLI's output.
   */
  async function compare(paths: string[], files: string[], opts: { flags?: string[]; service?: ReturnType<typeof createApp> } = {}) {
    const flags = opts.flags ?? CONFIGURED;
    const service = opts.service ?? app;
    const json = await cli([...flags, '--format', 'json', ...paths]);
    const report = JSON.parse(json.out.join('\n')) as CliDocument[];
    expect([...new Set(report.map((d) => d.file))]).toEqual(files);

    const { body, lineOffset } = stream(files);
    const expected = asRequest(report, lineOffset);
    const post = (query: string) =>
      service.request(`/requests${query}`, { method: 'POST', body, headers: { 'content-type': 'application/yaml', ...AUTH } });
    const dryRun = await verdictOf(await post('?dryRun=true'));
    const submitted = await verdictOf(await post(''));
    expect(dryRun).toEqual(expected);
    expect(submitted).toEqual(expected);
    expect(json.code).toBe(expected.accepted ? 0 : 1);
    await stack.drainQueue(stack.queues.dispatch.url, { waitMs: 300 });

    // The text output says the same: one file:line:column line per error of the JSON report.
    const text = await cli([...flags, ...paths]);
    expect(text.code).toBe(json.code);
    const errorLines = report.flatMap((d) => d.errors.map((e) => `${d.file}:${e.line}:${e.column} ${e.path}: ${e.message}`));
    expect(text.out.filter((line) => !line.includes(': warning: '))).toEqual(errorLines);
    return { verdict: expected, report, text };
  }

  it('for everything under examples/, sent as one request', async () => {
    const files = readdirSync('examples')
      .filter((name) => /\.(ya?ml|json)$/i.test(name))
      .sort((a, b) => a.localeCompare(b))
      .map((name) => join('examples', name));
    const { report } = await compare(['examples/'], files);
    expect(report.length).toBeGreaterThan(files.length);
  });

  it('rejects two files that declare one kind/name, naming the duplicate and where it was first declared', async () => {
    const notebook = readFileSync('examples/notebook.yaml', 'utf8');
    const first = join(dir, 'dup-a.yaml');
    const second = join(dir, 'dup-b.yaml');
    writeFileSync(first, notebook);
    writeFileSync(second, notebook.replace('description: api-test', 'description: another'));
    const { verdict, text } = await compare([first, second], [first, second]);
    expect(verdict.accepted).toBe(false);
    expect(verdict.rejected).toEqual([
      {
        file: 'request',
        index: 1,
        kind: 'Notebook',
        name: 'notebooks-test',
        errors: [expect.objectContaining({ path: 'metadata.name', message: expect.stringContaining('declared twice') })],
      },
    ]);
    expect(text.out).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${second}:\\d+:\\d+ metadata\\.name: Notebook/notebooks-test is declared twice in this request ` +
            `with different specs \\(first in ${first}:`,
        ),
      ),
    ]);
    expect(text.err).toEqual(['2 manifests checked: 1 valid, 1 invalid']);
  });

  it('accepts examples that form one valid submission', async () => {
    const files = ['examples/all-kinds.yaml', 'examples/node-pool.yaml', 'examples/notebook.yaml'];
    const { verdict, text } = await compare(files, files);
    expect(verdict.accepted).toBe(true);
    expect(verdict.resources).toHaveLength(6);
    expect(text.out).toEqual([]);
  });

  it('rejects a poolRef to a pool of the submission in another project', async () => {
    const pool = parse(readFileSync('examples/resource-pool.yaml', 'utf8'));
    pool.metadata.name = 'parity-pool';
    pool.spec.projectId = 'another-project';
    const notebook = parse(readFileSync('examples/notebook.yaml', 'utf8'));
    notebook.metadata.name = 'parity-notebook';
    delete notebook.spec.body.pool_id;
    notebook.spec.poolRef = 'parity-pool';
    const file = join(dir, 'elsewhere.yaml');
    writeFileSync(file, `${stringify(pool)}---\n${stringify(notebook)}`);
    const { verdict } = await compare([file], [file]);
    expect(verdict.rejected).toEqual([
      expect.objectContaining({
        name: 'parity-notebook',
        errors: [expect.objectContaining({ path: 'spec.poolRef', message: expect.stringContaining('its own project and region') })],
      }),
    ]);
  });

  it('rejects a manifest without spec.projectId on a service without a default project, as --no-default-project does', async () => {
    const services = {
      intake: { ...intakeDepsFor(stack), defaults: { region: 'cn-north-4' } },
      intakeQueue: { sqs: stack.sqs, queueUrl: stack.queues.intake.url },
      trackedBranches: [],
    };
    const unconfigured = createApp({ logger, secrets: async () => SECRETS, services: () => services });
    const files = ['examples/notebook.yaml'];
    const { verdict } = await compare(files, files, { flags: ['--no-default-project'], service: unconfigured });
    expect(verdict.rejected).toEqual([
      expect.objectContaining({
        errors: [expect.objectContaining({ path: 'spec', message: expect.stringMatching(/^projectId is required/) })],
      }),
    ]);
  });
});

/** `hwc-provisioner validate`: checks manifest files exactly as the service will. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type * as z from 'zod';
import { ConfigError, FUNCTION_ENV, IntakeEnvSchema, parseEnv } from '../shared/config';
import { formatIssue } from '../shared/manifests/errors';
import { planSubmission, type PlacementDefaults, type SourceFile } from '../shared/manifests/submission';
import { UsageError, type Io } from './io';

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

/**
 * The webhook's own rules for its placement defaults, Huawei's stricter region rule included: a value there that
 * fails the service's configuration check is refused here too rather than checked against.
 */
const PLACEMENT_ENV = IntakeEnvSchema.pick({ HUAWEICLOUD_SDK_PROJECT_ID: true }).extend({
  HUAWEICLOUD_REGION: FUNCTION_ENV.webhook.schema.shape.HUAWEICLOUD_REGION as typeof IntakeEnvSchema.shape.HUAWEICLOUD_REGION,
});

/**
 * Stands in for the deployment's default project when none is given. A working stack always has one (the
 * dispatcher refuses to start without HUAWEICLOUD_SDK_PROJECT_ID), so a manifest without spec.projectId passes;
 * being unknown, it equals no spec.projectId, which only matters to a poolRef between a document that names its
 * project and one that does not. The text shows in that error, so it says what to set.
 */
const ASSUMED_DEFAULT_PROJECT = '<HUAWEICLOUD_SDK_PROJECT_ID>';

interface ValidateOptions {
  format: string;
  paths: string[];
  projectId?: string;
  region?: string;
  noDefaultProject: boolean;
}

type Env = Record<string, string | undefined>;

async function collect(path: string, found: string[]): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  if (!info.isDirectory()) {
    found.push(path);
    return;
  }
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const child = join(path, entry.name);
    if (entry.isDirectory()) await collect(child, found);
    else if (MANIFEST_EXTENSIONS.test(entry.name)) found.push(child);
  }
}

async function readSource(path: string, io: Io): Promise<string> {
  if (path === '-') return io.readStdin();
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

function parseArgs(args: string[]): ValidateOptions {
  const options: ValidateOptions = { format: 'text', paths: [], noDefaultProject: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg];
    const value = () => inline ?? args[++i] ?? '';
    if (name === '--format') options.format = value();
    else if (name === '--project-id' || name === '--region') {
      const given = value();
      if (given === '') throw new UsageError(`${name} needs a value`);
      if (name === '--project-id') options.projectId = given;
      else options.region = given;
    } else if (arg === '--no-default-project') options.noDefaultProject = true;
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
    else options.paths.push(arg);
  }
  if (options.format !== 'text' && options.format !== 'json') {
    throw new UsageError(`--format must be text or json, not "${options.format}"`);
  }
  if (options.projectId !== undefined && options.noDefaultProject) {
    throw new UsageError('--project-id and --no-default-project contradict each other');
  }
  if (options.paths.length === 0) throw new UsageError('validate needs at least one file or directory (or - for standard input)');
  return options;
}

/** The defaults the service gives a manifest that names no project or region, parsed as the service parses them. */
function placementDefaults(options: ValidateOptions, env: Env): PlacementDefaults {
  const given = {
    HUAWEICLOUD_SDK_PROJECT_ID: options.noDefaultProject ? undefined : (options.projectId ?? env.HUAWEICLOUD_SDK_PROJECT_ID),
    HUAWEICLOUD_REGION: options.region ?? env.HUAWEICLOUD_REGION,
  };
  let parsed: z.infer<typeof PLACEMENT_ENV>;
  try {
    parsed = parseEnv(PLACEMENT_ENV, given);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const flag = error.variable === 'HUAWEICLOUD_REGION' ? options.region && '--region' : options.projectId && '--project-id';
    throw new UsageError(error.message.replace(`configuration: ${error.variable}`, flag || error.variable));
  }
  const projectId = parsed.HUAWEICLOUD_SDK_PROJECT_ID ?? (options.noDefaultProject ? undefined : ASSUMED_DEFAULT_PROJECT);
  return { ...(projectId ? { projectId } : {}), region: parsed.HUAWEICLOUD_REGION };
}

export async function validateCommand(args: string[], io: Io, env: Env = process.env): Promise<number> {
  const options = parseArgs(args);
  const defaults = placementDefaults(options, env);

  const files: string[] = [];
  for (const path of options.paths) {
    if (path === '-') files.push('-');
    else await collect(path, files);
  }
  // A submission holds each file once: a file named twice (a directory and a file in it) is not two declarations.
  const seen = new Set<string>();
  const sources: SourceFile[] = [];
  for (const file of files) {
    const key = file === '-' ? file : resolve(file);
    if (seen.has(key)) continue;
    seen.add(key);
    sources.push({ file, text: await readSource(file, io) });
  }
  // One submission, as a push or POST /requests is: the checks across files (a name declared twice, a project to
  // create in, a storable size, a poolRef to a pool elsewhere) are the service's own.
  const { documents } = planSubmission(sources, defaults);
  if (documents.length === 0) throw new UsageError(`no manifest found in ${options.paths.join(', ')}`);

  if (options.format === 'json') {
    const report = documents.map(({ file, index, kind, name, valid, errors, warnings }) => ({
      file,
      index,
      kind: kind ?? null,
      name: name ?? null,
      valid,
      errors,
      warnings,
    }));
    io.stdout(JSON.stringify(report, null, 2));
  } else {
    for (const doc of documents) {
      for (const error of doc.errors) io.stdout(formatIssue(doc.file, error));
      for (const warning of doc.warnings) io.stdout(formatIssue(doc.file, { ...warning, message: `warning: ${warning.message}` }));
    }
    const invalid = documents.filter((d) => !d.valid).length;
    io.stderr(
      `${documents.length} manifest${documents.length === 1 ? '' : 's'} checked: ${documents.length - invalid} valid, ${invalid} invalid`,
    );
  }
  return documents.every((d) => d.valid) ? 0 : 1;
}

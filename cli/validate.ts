/** `hwc-provisioner validate`: checks manifest files exactly as the service will, and a policy document and its verdicts. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type * as z from 'zod';
import { ConfigError, FUNCTION_ENV, IntakeEnvSchema, parseEnv } from '../shared/config';
import { formatIssue } from '../shared/manifests/errors';
import { parseSource } from '../shared/manifests/parse';
import { planSubmission, type PlacementDefaults, type Planned, type SourceFile } from '../shared/manifests/submission';
import type { ValidatedDocument } from '../shared/manifests/validate';
import { formatPolicyIssue, parsePolicy, POLICY_API_VERSION, PolicyDocumentError, type Policy } from '../shared/policy/document';
import { evaluatePolicy, subjectOf, type PolicySubject, type PolicyVerdict } from '../shared/policy/evaluate';
import { ownerOf } from '../shared/reconcile/owner';
import type { RequestSource } from '../shared/store/types';
import { UsageError, type Io } from './io';

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

/**
 * The API's own rules for its placement defaults, Huawei's stricter region rule included: a value there that
 * fails the service's configuration check is refused here too rather than checked against.
 */
const PLACEMENT_ENV = IntakeEnvSchema.pick({ HUAWEICLOUD_SDK_PROJECT_ID: true }).extend({
  HUAWEICLOUD_REGION: FUNCTION_ENV.api.schema.shape.HUAWEICLOUD_REGION as typeof IntakeEnvSchema.shape.HUAWEICLOUD_REGION,
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
  /** A policy document to check, and to give each manifest's verdict by, as `source` would get it. */
  policy?: string;
  source?: string;
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
    else if (name === '--project-id' || name === '--region' || name === '--policy' || name === '--source') {
      const given = value();
      if (given === '') throw new UsageError(`${name} needs a value`);
      if (name === '--project-id') options.projectId = given;
      else if (name === '--region') options.region = given;
      else if (name === '--policy') options.policy = given;
      else options.source = given;
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
  if (options.source !== undefined && options.policy === undefined) throw new UsageError('--source needs --policy');
  if (options.paths.length === 0 && options.policy === undefined) {
    throw new UsageError('validate needs at least one file or directory (or - for standard input)');
  }
  if (options.paths.length > 0 && options.policy !== undefined && options.source === undefined) {
    throw new UsageError('--policy with manifests needs --source: the verdict depends on who submits them');
  }
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

/** `--source` as the service records a request from there, so rules match it as they would the real one. */
function requestSource(spec: string): RequestSource {
  const bad = () =>
    new UsageError(
      '--source must be github:owner/repo@branch, gitlab:group/project@branch, jira:KEY-1, api:caller or queue:system, ' +
        `not ${JSON.stringify(spec)}`,
    );
  const [, provider, rest = ''] = /^(github|gitlab|jira|api|queue):(.+)$/.exec(spec) ?? [];
  switch (provider) {
    case 'github':
    case 'gitlab': {
      const path = provider === 'github' ? /^([^@\s/]+\/[^@\s/]+)(?:@(\S+))?$/ : /^([^@\s/]+(?:\/[^@\s/]+)+)(?:@(\S+))?$/;
      const [, repository, branch] = path.exec(rest) ?? [];
      if (!repository) throw bad();
      return { provider, ref: branch ? `${repository}@${branch}` : repository, repository, ...(branch ? { branch } : {}) };
    }
    case 'jira':
      if (!/^[A-Za-z][A-Za-z0-9_]*-\d+$/.test(rest)) throw bad();
      return { provider, ref: rest, ticket: rest };
    case 'api':
      if (!/^[a-z][a-z0-9_-]{0,31}$/.test(rest)) throw bad();
      return { provider, ref: `api:${rest}`, caller: rest };
    case 'queue':
      if (!/^[^\s:]+$/.test(rest)) throw bad();
      return { provider, ref: `queue:${rest}`, caller: rest };
    default:
      throw bad();
  }
}

/** The subject the service would evaluate, its owner grouped by OWNER_GROUPS as the service's is. */
function policySubject(spec: string, env: Env): PolicySubject {
  const source = requestSource(spec);
  let groups: ReadonlyMap<string, string>;
  try {
    groups = parseEnv(IntakeEnvSchema.pick({ OWNER_GROUPS: true }), env).OWNER_GROUPS;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new UsageError(error.message.replace('configuration: ', ''));
  }
  return subjectOf(source, ownerOf(source, groups));
}

/**
 * Whether a file found in a directory is a policy rather than manifests: a directory may hold both (examples/
 * does), and the policy is checked with --policy, not as a manifest.
 */
function isPolicyDocument(text: string): boolean {
  if (!text.includes(POLICY_API_VERSION)) return false;
  const documents = parseSource(text).filter((doc) => !doc.empty);
  return (
    documents.length > 0 &&
    documents.every((doc) => {
      const data = doc.data as { apiVersion?: unknown; kind?: unknown } | null;
      return data?.apiVersion === POLICY_API_VERSION && data.kind === 'Policy';
    })
  );
}

/** The policy document, or exit code 1 with its problems printed. */
async function checkPolicy(file: string, io: Io, format: string): Promise<{ policy: Policy } | { code: number }> {
  const text = await readSource(file, io);
  try {
    return { policy: await parsePolicy(text, file) };
  } catch (error) {
    if (!(error instanceof PolicyDocumentError)) throw error;
    if (format === 'json') {
      io.stdout(JSON.stringify([policyEntry(file, error.issues)], null, 2));
    } else {
      for (const issue of error.issues) io.stdout(formatPolicyIssue(file, issue));
      io.stderr(`policy ${file} is invalid: ${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}`);
    }
    return { code: 1 };
  }
}

/** The policy as one entry of the JSON report, shaped as the manifests' entries are. */
function policyEntry(file: string, errors: readonly unknown[]) {
  return { file, index: 0, kind: 'Policy', name: null, valid: errors.length === 0, errors, warnings: [] };
}

function verdictText(verdict: PolicyVerdict): string {
  if (!verdict.allowed) return `denied: ${verdict.message}`;
  if (!verdict.approval) return `allowed by rule ${verdict.rule}`;
  const { rule, reason, approvers } = verdict.approval;
  return `needs approval (rule ${rule}: ${reason}${approvers.length > 0 ? `; approvers: ${approvers.join(', ')}` : ''})`;
}

export async function validateCommand(args: string[], io: Io, env: Env = process.env): Promise<number> {
  const options = parseArgs(args);
  const defaults = placementDefaults(options, env);
  const subject = options.source === undefined ? undefined : policySubject(options.source, env);

  let policy: Policy | undefined;
  if (options.policy !== undefined) {
    const checked = await checkPolicy(options.policy, io, options.format);
    if ('code' in checked) return checked.code;
    policy = checked.policy;
    if (options.paths.length === 0) {
      if (options.format === 'json') io.stdout(JSON.stringify([policyEntry(options.policy, [])], null, 2));
      else io.stderr(`policy ${options.policy} is valid: ${policy.rules.length} rule${policy.rules.length === 1 ? '' : 's'}`);
      return 0;
    }
  }

  const files: string[] = [];
  for (const path of options.paths) {
    if (path === '-') files.push('-');
    else await collect(path, files);
  }
  const named = new Set(options.paths.map((path) => (path === '-' ? path : resolve(path))));
  // A submission holds each file once: a file named twice (a directory and a file in it) is not two declarations.
  const seen = new Set<string>();
  const sources: SourceFile[] = [];
  for (const file of files) {
    const key = file === '-' ? file : resolve(file);
    if (seen.has(key)) continue;
    seen.add(key);
    const text = await readSource(file, io);
    if (!named.has(key) && isPolicyDocument(text)) continue;
    sources.push({ file, text });
  }
  // One submission, as a push or POST /requests is: the checks across files (a name declared twice, a project to
  // create in, a storable size, a poolRef to a pool elsewhere) are the service's own.
  const { documents, planned } = planSubmission(sources, defaults);
  if (documents.length === 0) throw new UsageError(`no manifest found in ${options.paths.join(', ')}`);
  const verdicts = policy && subject ? judge(policy, subject, documents, planned) : undefined;

  if (options.format === 'json') {
    const report = documents.map(({ file, index, kind, name, valid, errors, warnings }, i) => ({
      file,
      index,
      kind: kind ?? null,
      name: name ?? null,
      valid,
      errors,
      warnings,
      ...(verdicts ? { policy: verdicts.get(documents[i]!) ?? null } : {}),
    }));
    io.stdout(JSON.stringify(options.policy === undefined ? report : [policyEntry(options.policy, []), ...report], null, 2));
  } else {
    for (const doc of documents) {
      for (const error of doc.errors) io.stdout(formatIssue(doc.file, error));
      for (const warning of doc.warnings) io.stdout(formatIssue(doc.file, { ...warning, message: `warning: ${warning.message}` }));
      const verdict = verdicts?.get(doc);
      if (verdict && doc.manifest) {
        const at = doc.positionOf?.(['metadata', 'name']) ?? { line: 1, column: 1 };
        io.stdout(`${doc.file}:${at.line}:${at.column} ${doc.manifest.kind}/${doc.manifest.metadata.name}: ${verdictText(verdict)}`);
      }
    }
    const invalid = documents.filter((d) => !d.valid).length;
    const plural = documents.length === 1 ? '' : 's';
    const counted = `${documents.length} manifest${plural} checked: ${documents.length - invalid} valid, ${invalid} invalid`;
    io.stderr(verdicts ? `${counted}; policy: ${policySummary([...verdicts.values()])}` : counted);
  }
  const denied = verdicts !== undefined && [...verdicts.values()].some((v) => !v.allowed);
  return documents.every((d) => d.valid) && !denied ? 0 : 1;
}

/** Each resource's verdict, by the document that declares it (a resource declared twice identically is judged once). */
function judge(policy: Policy, subject: PolicySubject, documents: readonly ValidatedDocument[], planned: readonly Planned[]) {
  const verdicts = new Map<ValidatedDocument, PolicyVerdict>();
  for (const p of planned) {
    const doc = documents.find((d) => d.manifest === p.manifest);
    if (!doc) continue;
    const resource = {
      kind: p.manifest.kind,
      name: p.manifest.metadata.name,
      projectId: p.projectId,
      region: p.region,
      manifest: p.manifest as unknown as Record<string, unknown>,
    };
    verdicts.set(doc, evaluatePolicy(policy, subject, resource));
  }
  return verdicts;
}

function policySummary(verdicts: readonly PolicyVerdict[]): string {
  const approval = verdicts.filter((v) => v.allowed && v.approval).length;
  const denied = verdicts.filter((v) => !v.allowed).length;
  return `${verdicts.length - approval - denied} allowed, ${approval} need${approval === 1 ? 's' : ''} approval, ${denied} denied`;
}

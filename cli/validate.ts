/** `hwc-provisioner validate`: checks manifest files exactly as the service will. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIssue } from '../shared/manifests/errors';
import { checkReferences, validateSource, type ValidatedDocument } from '../shared/manifests/validate';
import { UsageError, type Io } from './io';

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

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

export async function validateCommand(args: string[], io: Io): Promise<number> {
  let format = 'text';
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--format') format = args[++i] ?? '';
    else if (arg.startsWith('--format=')) format = arg.slice('--format='.length);
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
    else paths.push(arg);
  }
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not "${format}"`);
  if (paths.length === 0) throw new UsageError('validate needs at least one file or directory (or - for standard input)');

  const files: string[] = [];
  for (const path of paths) {
    if (path === '-') files.push('-');
    else await collect(path, files);
  }
  const documents: ValidatedDocument[] = [];
  for (const file of files) {
    documents.push(...validateSource(await readSource(file, io), file));
  }
  if (documents.length === 0) throw new UsageError(`no manifest found in ${paths.join(', ')}`);
  checkReferences(documents);

  if (format === 'json') {
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

/**
 * `hwc-provisioner submit FILE...`: POST /requests with the manifests of the files given, as one submission (one
 * multi-document YAML body), then optionally follows the request as `watch` does (--wait) or only previews it
 * (--dry-run). A rejection is reported in the files' own terms: each error at its file, line and column.
 */
import { readFile } from 'node:fs/promises';
import { formatIssue, type ManifestIssue } from '../shared/manifests/errors';
import { parseSource } from '../shared/manifests/parse';
import { connect, errorOf, type ApiEnv } from './api';
import { ChangeTracker, intervalSleep, parseFormat, resourceLine, watchRequest, type CommandOptions, type ResourceView } from './follow';
import { commandArgs, UsageError, type Io } from './io';

const SUBMIT_USAGE =
  'usage: hwc-provisioner submit FILE... [--wait [--interval SECONDS]] [--dry-run] [--idempotency-key KEY] [--api-url URL] ' +
  '[--format text|json]';

/** The name the API gives the body's documents in its errors; mapped back to the files here. */
const BODY_FILE = 'request';

interface Part {
  file: string;
  text: string;
  /** 1-based line of the body on which this file's first line lies. */
  firstLine: number;
  /** Its non-empty documents: the API numbers documents across the whole body, skipping empty ones. */
  documents: number;
}

/** What goes to POST /requests, and how to tell where in which file a line of it came from. */
interface Body {
  text: string;
  contentType: string;
  parts: Part[];
}

interface RejectedDocument {
  file: string;
  index: number;
  kind?: string;
  name?: string;
  errors: ManifestIssue[];
}

async function readPart(file: string, io: Io): Promise<string> {
  if (file === '-') return io.readStdin();
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, SUBMIT_USAGE);
  }
}

const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

/**
 * One file goes as it is (a JSON file as JSON, so that an array of manifests counts as that many); several go as
 * one YAML stream, each file's documents kept apart by a `---` between files.
 */
export function bodyOf(files: readonly { file: string; text: string }[]): Body {
  const countOf = (text: string) => parseSource(text).filter((d) => !d.empty).length;
  if (files.length === 1) {
    const [{ file, text }] = files as [{ file: string; text: string }];
    const contentType = /\.json$/i.test(file) ? 'application/json' : 'application/yaml';
    return { text, contentType, parts: [{ file, text, firstLine: 1, documents: countOf(text) }] };
  }
  const parts: Part[] = [];
  let text = '';
  let line = 1;
  for (const [i, f] of files.entries()) {
    if (i > 0) {
      text += '---\n';
      line += 1;
    }
    const own = f.text.endsWith('\n') || f.text === '' ? f.text : `${f.text}\n`;
    parts.push({ file: f.file, text: f.text, firstLine: line, documents: countOf(f.text) });
    text += own;
    line += lineCount(own);
  }
  return { text, contentType: 'application/yaml', parts };
}

/** The API's report of a rejected document, positioned in the file it came from rather than in the body. */
function inFiles(body: Body, documents: readonly RejectedDocument[]): RejectedDocument[] {
  const partAt = (line: number) => body.parts.findLast((p) => p.firstLine <= line) ?? body.parts[0]!;
  const relocate = (issue: ManifestIssue): ManifestIssue => {
    const part = partAt(issue.line);
    // A message may point elsewhere in the body ("first in request:12:3"): that place is named by its file too.
    const message = issue.message.replace(new RegExp(`\\b${BODY_FILE}:(\\d+):(\\d+)`, 'g'), (_, l: string, c: string) => {
      const other = partAt(Number(l));
      return `${other.file}:${Number(l) - other.firstLine + 1}:${c}`;
    });
    return { ...issue, message, line: issue.line - part.firstLine + 1 };
  };
  return documents.map((doc) => {
    if (doc.file !== BODY_FILE) return doc;
    const first = doc.errors[0];
    const part = first ? partAt(first.line) : body.parts[0]!;
    const before = body.parts.slice(0, body.parts.indexOf(part)).reduce((n, p) => n + p.documents, 0);
    return { ...doc, file: part.file, index: Math.max(0, doc.index - before), errors: doc.errors.map(relocate) };
  });
}

interface Accepted {
  requestId: string;
  state?: string;
  approval?: { approvers?: string[]; expiresAt?: string; reasons?: string[] };
  resources: ResourceView[];
}

export async function submitCommand(args: string[], io: Io, env: ApiEnv = process.env, options: CommandOptions = {}): Promise<number> {
  const parsed = commandArgs(
    {
      args,
      options: {
        'api-url': { type: 'string' },
        wait: { type: 'boolean' },
        interval: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'idempotency-key': { type: 'string' },
        format: { type: 'string' },
      },
      allowPositionals: true,
    },
    SUBMIT_USAGE,
  );
  const { values, positionals: files } = parsed;
  if (files.length === 0) throw new UsageError('submit needs at least one file (or - for standard input)', SUBMIT_USAGE);
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('standard input (-) can be given once', SUBMIT_USAGE);
  const dryRun = values['dry-run'] === true;
  if (dryRun && values.wait) throw new UsageError('--dry-run queues nothing to --wait for', SUBMIT_USAGE);
  if (values.interval !== undefined && !values.wait) throw new UsageError('--interval goes with --wait', SUBMIT_USAGE);
  const key = values['idempotency-key'];
  if (key !== undefined && (key.length === 0 || key.length > 256))
    throw new UsageError('--idempotency-key must be 1-256 characters', SUBMIT_USAGE);
  const format = parseFormat(values.format, SUBMIT_USAGE);
  const sleep = intervalSleep(values.interval, SUBMIT_USAGE, options.sleep);
  const api = connect(values['api-url'], env, SUBMIT_USAGE, options.fetch);

  const sources = [];
  for (const file of files) sources.push({ file, text: await readPart(file, io) });
  const body = bodyOf(sources);
  // As validate answers it: nothing to send is a mistake in the command, not a request the service rejects.
  if (body.parts.every((p) => p.documents === 0)) throw new UsageError(`no manifest found in ${files.join(', ')}`, SUBMIT_USAGE);
  const response = await api.request('POST', `/requests${dryRun ? '?dryRun=true' : ''}`, {
    body: body.text,
    headers: { 'content-type': body.contentType, ...(key !== undefined ? { 'idempotency-key': key } : {}) },
  });
  if (response.status === 422) return rejected(response, body, io, format);
  if (!response.ok) throw await api.failure(response, 'POST /requests');
  if (dryRun) return previewed(response, io, format);

  const accepted = (await response.json()) as Accepted;
  const location = response.headers.get('location') ?? `/requests/${accepted.requestId}`;
  const links = {
    location: location.startsWith('/') ? `${api.url}${location}` : location,
    page: `${api.url}/ui/requests/${encodeURIComponent(accepted.requestId)}`,
  };
  const tracker = new ChangeTracker();
  tracker.changed(accepted.resources);
  if (format === 'json') io.stdout(JSON.stringify({ ...accepted, ...links }));
  else printAccepted(accepted, links, io);
  if (!values.wait) return 0;
  return watchRequest(api, accepted.requestId, io, { format, sleep, tracker });
}

function printAccepted(accepted: Accepted, links: { location: string; page: string }, io: Io): void {
  const count = `${accepted.resources.length} resource${accepted.resources.length === 1 ? '' : 's'}`;
  if (accepted.state === 'PendingApproval') {
    const { approvers = [], expiresAt, reasons = [] } = accepted.approval ?? {};
    const who = approvers.length > 0 ? approvers.join(', ') : 'a holder of the approve role';
    io.stdout(`request ${accepted.requestId} accepted, ${count} held for approval by ${who}${expiresAt ? ` until ${expiresAt}` : ''}`);
    for (const reason of reasons) io.stdout(`  ${reason}`);
  } else {
    io.stdout(`request ${accepted.requestId} accepted: ${count}`);
  }
  for (const r of accepted.resources) io.stdout(resourceLine(r));
  io.stdout(`follow: ${links.location}`);
  io.stdout(`page:   ${links.page}`);
}

async function previewed(response: Response, io: Io, format: string): Promise<number> {
  const plan = (await response.json()) as { resources: { kind: string; name: string; verdict: string; detail?: string }[] };
  if (format === 'json') {
    io.stdout(JSON.stringify(plan));
    return 0;
  }
  for (const r of plan.resources) io.stdout(`${r.kind}/${r.name}  ${r.verdict}${r.detail ? `: ${r.detail}` : ''}`);
  io.stderr(`dry run: ${plan.resources.length} resource${plan.resources.length === 1 ? '' : 's'}, nothing queued`);
  return 0;
}

/** 422: nothing was queued; each rejected document's errors, in its own file's lines. */
async function rejected(response: Response, body: Body, io: Io, format: string): Promise<number> {
  const error = await errorOf(response);
  const details = (error.details ?? {}) as { requestId?: string; documents?: RejectedDocument[] };
  const documents = inFiles(body, details.documents ?? []);
  if (format === 'json') {
    io.stdout(JSON.stringify({ error: { ...error, details: { ...details, documents } } }));
    return 1;
  }
  for (const doc of documents) for (const issue of doc.errors) io.stdout(formatIssue(doc.file, issue));
  io.stderr(`hwc-provisioner: ${error.message || error.code}${details.requestId ? ` (request ${details.requestId})` : ''}`);
  return 1;
}

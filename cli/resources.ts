/**
 * `hwc-provisioner resources`: the managed resources the caller may see, as GET /resources lists them (by kind,
 * then name), one row each with its conditions and drift, every page followed unless --limit stops it.
 */
import { KINDS } from '../shared/kinds/registry';
import { connect, type ApiEnv } from './api';
import { parseFormat, type CommandOptions } from './follow';
import { commandArgs, UsageError, type Io } from './io';

const RESOURCES_USAGE =
  'usage: hwc-provisioner resources [--kind KIND] [--owner NAMESPACE] [--limit N] [--api-url URL] [--format text|json]';

/** The API's largest page. */
const PAGE_SIZE = 100;

interface ConditionView {
  status: string;
  reason?: string;
}

/** What the table shows of a ManagedResourceView; --format json passes the whole view on. */
interface ManagedResourceView {
  kind: string;
  name: string;
  projectId: string;
  owner: string;
  state: string;
  operation?: string;
  huaweiId?: string;
  conditions?: { Ready?: ConditionView; Synced?: ConditionView; Healthy?: ConditionView };
  drift?: unknown[];
}

const COLUMNS: [string, (r: ManagedResourceView) => string][] = [
  ['KIND', (r) => r.kind],
  ['NAME', (r) => r.name],
  ['PROJECT', (r) => r.projectId],
  ['OWNER', (r) => r.owner],
  // InFlight alone says little: what is in flight says more.
  ['STATE', (r) => (r.state === 'InFlight' && r.operation ? `${r.state} (${r.operation})` : r.state)],
  ['READY', (r) => r.conditions?.Ready?.status ?? '-'],
  ['SYNCED', (r) => r.conditions?.Synced?.status ?? '-'],
  ['HEALTHY', (r) => r.conditions?.Healthy?.status ?? '-'],
  ['HUAWEI ID', (r) => r.huaweiId ?? '-'],
  ['DRIFT', (r) => String(r.drift?.length ?? 0)],
];

/** Rows padded to their widest cell; the last column is not padded, so lines carry no trailing blanks. */
function table(resources: readonly ManagedResourceView[]): string[] {
  const rows = [COLUMNS.map(([title]) => title), ...resources.map((r) => COLUMNS.map(([, cell]) => cell(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}

export async function resourcesCommand(args: string[], io: Io, env: ApiEnv = process.env, options: CommandOptions = {}): Promise<number> {
  const parsed = commandArgs(
    {
      args,
      options: {
        'api-url': { type: 'string' },
        kind: { type: 'string' },
        owner: { type: 'string' },
        limit: { type: 'string' },
        format: { type: 'string' },
      },
      allowPositionals: false,
    },
    RESOURCES_USAGE,
  );
  const { values } = parsed;
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new UsageError(`--limit must be a whole number of at least 1, not "${values.limit}"`, RESOURCES_USAGE);
  // Case-insensitive, as schema and explain take a kind; the API wants it as the manifests spell it.
  const kind = values.kind === undefined ? undefined : KINDS.find((k) => k.toLowerCase() === values.kind!.toLowerCase());
  if (values.kind !== undefined && kind === undefined)
    throw new UsageError(`unknown kind "${values.kind}" (kinds: ${KINDS.join(', ')})`, RESOURCES_USAGE);
  const format = parseFormat(values.format, RESOURCES_USAGE);
  const api = connect(values['api-url'], env, RESOURCES_USAGE, options.fetch);

  const resources: ManagedResourceView[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams();
    if (kind !== undefined) query.set('kind', kind);
    if (values.owner !== undefined) query.set('owner', values.owner);
    query.set('limit', String(Math.min(PAGE_SIZE, limit === undefined ? PAGE_SIZE : limit - resources.length)));
    if (cursor !== undefined) query.set('cursor', cursor);
    const response = await api.request('GET', `/resources?${query}`);
    if (!response.ok) throw await api.failure(response, 'GET /resources');
    const page = (await response.json()) as { resources: ManagedResourceView[]; nextCursor?: string };
    resources.push(...page.resources);
    cursor = page.nextCursor;
  } while (cursor !== undefined && (limit === undefined || resources.length < limit));

  if (format === 'json') {
    // The cursor where --limit stopped, so a script can go on from there.
    io.stdout(JSON.stringify({ resources, ...(cursor !== undefined ? { nextCursor: cursor } : {}) }));
    return 0;
  }
  for (const line of table(resources)) io.stdout(line);
  io.stderr(
    `${resources.length} resource${resources.length === 1 ? '' : 's'}${cursor !== undefined ? ' (--limit reached; more exist)' : ''}`,
  );
  return 0;
}

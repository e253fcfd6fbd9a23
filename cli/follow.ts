/**
 * `hwc-provisioner status ID` and `watch ID`: a request as GET /requests/{id} answers it, once, or followed until
 * every resource is terminal, printing each change as it happens (queued, waiting, creating, updating, deleting, and
 * the endings). Against a deployed or local API: --api-url or HWCP_API_URL, the token from HWCP_TOKEN.
 */
import { parseArgs } from 'node:util';
import { CliError, UsageError, type Io } from './io';

const FOLLOW_USAGE = 'usage: hwc-provisioner status|watch REQUEST_ID [--api-url URL] [--interval SECONDS] [--format text|json]';

/** States a resource does not leave (PendingApproval is not one: an approver may still release it). */
const TERMINAL = new Set(['Succeeded', 'Unchanged', 'Failed', 'TimedOut', 'Deleted', 'Orphaned', 'Cancelled', 'Rejected']);
const GOOD = new Set(['Succeeded', 'Unchanged', 'Deleted', 'Orphaned']);
/** Request states that end it whatever its resources say. */
const FINAL_REQUEST_STATES = new Set(['Succeeded', 'PartiallyFailed', 'Failed', 'Rejected', 'Expired']);

interface RequestView {
  requestId: string;
  state: string;
  resources: { kind: string; name: string; state: string; operation?: string | null; huaweiId?: string | null; message?: string | null }[];
}

export interface FollowEnv {
  HWCP_API_URL?: string;
  HWCP_TOKEN?: string;
}

interface FollowOptions {
  fetch?: typeof fetch;
  /** For tests: how long to wait between looks, overriding --interval. */
  sleep?: (ms: number) => Promise<void>;
}

export async function followCommand(
  mode: 'status' | 'watch',
  args: string[],
  io: Io,
  env: FollowEnv = process.env,
  options: FollowOptions = {},
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { 'api-url': { type: 'string' }, interval: { type: 'string' }, format: { type: 'string' } },
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, FOLLOW_USAGE);
  }
  const { values, positionals } = parsed;
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new UsageError(`${mode} takes one request id`, FOLLOW_USAGE);
  const apiUrl = (values['api-url'] ?? env.HWCP_API_URL)?.replace(/\/$/, '');
  if (!apiUrl) throw new UsageError('no API: give --api-url or set HWCP_API_URL (npm start prints it)', FOLLOW_USAGE);
  const token = env.HWCP_TOKEN;
  if (!token) throw new UsageError('no token: set HWCP_TOKEN (one of API_TOKENS; npm start prints the local one)', FOLLOW_USAGE);
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('--format must be text or json', FOLLOW_USAGE);
  const intervalMs = Math.round(Number(values.interval ?? '2') * 1000);
  if (!Number.isFinite(intervalMs) || intervalMs < 100) throw new UsageError('--interval must be at least 0.1 seconds', FOLLOW_USAGE);
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  const look = async (): Promise<RequestView> => {
    let response: Response;
    try {
      response = await doFetch(`${apiUrl}/requests/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } });
    } catch (error) {
      throw new CliError('API_UNREACHABLE', `cannot reach ${apiUrl}: ${(error as Error).message}`, 2);
    }
    if (response.status === 404) throw new CliError('REQUEST_NOT_FOUND', `no request ${id} (or not yours to read)`, 2);
    if (response.status === 401) throw new CliError('UNAUTHORIZED', 'the API refused HWCP_TOKEN', 2);
    if (!response.ok) throw new CliError('API_ERROR', `GET /requests/${id} answered ${response.status}`, 2);
    return (await response.json()) as RequestView;
  };

  const seen = new Map<string, string>();
  const print = (view: RequestView) => {
    if (format === 'json') {
      io.stdout(JSON.stringify(view));
      return;
    }
    for (const r of view.resources) {
      const line = describe(r);
      const key = `${r.kind}/${r.name}`;
      if (seen.get(key) === line) continue;
      seen.set(key, line);
      io.stdout(`${key}  ${line}`);
    }
  };
  const done = (view: RequestView) =>
    FINAL_REQUEST_STATES.has(view.state) || (view.resources.length > 0 && view.resources.every((r) => TERMINAL.has(r.state)));
  const exitOf = (view: RequestView) =>
    view.resources.every((r) => GOOD.has(r.state)) && view.state !== 'Rejected' && view.state !== 'Expired' ? 0 : 1;

  let view = await look();
  print(view);
  if (mode === 'status') {
    if (format === 'text') io.stdout(`request ${view.requestId}: ${view.state}`);
    return done(view) ? exitOf(view) : 0;
  }
  while (!done(view)) {
    await sleep(intervalMs);
    view = await look();
    print(view);
  }
  if (format === 'text') io.stdout(`request ${view.requestId}: ${view.state}`);
  return exitOf(view);
}

function describe(r: RequestView['resources'][number]): string {
  const operation = r.operation && r.operation !== 'create' ? ` (${r.operation})` : '';
  const id = r.huaweiId ? ` id=${r.huaweiId}` : '';
  return `${r.state}${operation}${id}${r.message ? `: ${r.message}` : ''}`;
}

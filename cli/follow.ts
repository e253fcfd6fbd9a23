/**
 * `hwc-provisioner status ID` and `watch ID`: a request as GET /requests/{id} answers it, once, or followed until
 * every resource is terminal, printing each change as it happens (queued, waiting, creating, updating, deleting, and
 * the endings). The following itself is shared: `submit --wait` and npm start's progress lines use it too.
 */
import { connect, type Api, type ApiEnv } from './api';
import { CliError, commandArgs, UsageError, type Io } from './io';

const FOLLOW_USAGE = 'usage: hwc-provisioner status|watch REQUEST_ID [--api-url URL] [--interval SECONDS] [--format text|json]';

/** States a resource does not leave (PendingApproval is not one: an approver may still release it). */
const TERMINAL = new Set(['Succeeded', 'Unchanged', 'Failed', 'TimedOut', 'Deleted', 'Orphaned', 'Cancelled', 'Rejected']);
const GOOD = new Set(['Succeeded', 'Unchanged', 'Deleted', 'Orphaned']);
/** Request states that end it whatever its resources say. */
const FINAL_REQUEST_STATES = new Set(['Succeeded', 'PartiallyFailed', 'Failed', 'Rejected', 'Expired']);

/** One resource as GET /requests/{id} (and, with fewer fields, the 202 of POST /requests) gives it. */
export interface ResourceView {
  kind: string;
  name: string;
  state: string;
  operation?: string | null;
  huaweiId?: string | null;
  reason?: string | null;
  message?: string | null;
  updatedAt?: string;
}

export interface RequestView {
  requestId: string;
  state: string;
  resources: ResourceView[];
}

export type Format = 'text' | 'json';

/** Remembers what was last said of each resource, so that a follower reports a change once and nothing else. */
export class ChangeTracker {
  private readonly seen = new Map<string, string>();

  /** The resources whose line differs from the one last seen (all of them, the first time). */
  changed(resources: readonly ResourceView[]): ResourceView[] {
    return resources.filter((r) => {
      const key = `${r.kind}/${r.name}`;
      const line = describe(r);
      if (this.seen.get(key) === line) return false;
      this.seen.set(key, line);
      return true;
    });
  }
}

/** `Kind/name  State (operation) id=... : message`, the line watch prints for a change. */
export function resourceLine(r: ResourceView): string {
  return `${r.kind}/${r.name}  ${describe(r)}`;
}

function describe(r: ResourceView): string {
  const operation = r.operation && r.operation !== 'create' ? ` (${r.operation})` : '';
  const id = r.huaweiId ? ` id=${r.huaweiId}` : '';
  return `${r.state}${operation}${id}${r.message ? `: ${r.message}` : ''}`;
}

/** Every resource terminal, or the request ended as a whole (rejected, expired). */
function isFinished(view: RequestView): boolean {
  return FINAL_REQUEST_STATES.has(view.state) || (view.resources.length > 0 && view.resources.every((r) => TERMINAL.has(r.state)));
}

/** 0 when every resource ended well, 1 otherwise (failed, timed out, cancelled, the request rejected or expired). */
function exitOf(view: RequestView): 0 | 1 {
  return view.resources.every((r) => GOOD.has(r.state)) && view.state !== 'Rejected' && view.state !== 'Expired' ? 0 : 1;
}

/** GET /requests/{id}; a request that is missing or not the caller's to read is an exit-2 error. */
export async function lookRequest(api: Api, id: string): Promise<RequestView> {
  const response = await api.request('GET', `/requests/${encodeURIComponent(id)}`);
  if (response.status === 404) throw new CliError('REQUEST_NOT_FOUND', `no request ${id} (or not yours to read)`, 2);
  if (!response.ok) throw await api.failure(response, `GET /requests/${id}`);
  return (await response.json()) as RequestView;
}

export interface FollowOptions {
  /** Waits between looks. */
  sleep: () => Promise<void>;
  /** Called after every look with the resources that changed since the one before. */
  onLook: (view: RequestView, changed: ResourceView[]) => void;
  tracker?: ChangeTracker;
  /** Ends the following early (the local stack stopping); the last view is returned. */
  signal?: AbortSignal;
}

/** Looks at a request until it is finished, reporting each change once; returns the last answer. */
export async function followRequest(look: () => Promise<RequestView>, options: FollowOptions): Promise<RequestView> {
  const tracker = options.tracker ?? new ChangeTracker();
  let view = await look();
  options.onLook(view, tracker.changed(view.resources));
  while (!isFinished(view) && !options.signal?.aborted) {
    await options.sleep();
    if (options.signal?.aborted) break;
    view = await look();
    options.onLook(view, tracker.changed(view.resources));
  }
  return view;
}

/**
 * watch's output and exit code: text prints a line per change and the request's state at the end; JSON prints
 * one line per change (the resource, with its requestId) and, last, the whole request as `status` prints it.
 */
export async function watchRequest(
  api: Api,
  id: string,
  io: Io,
  options: { format: Format; sleep: () => Promise<void>; tracker?: ChangeTracker },
): Promise<number> {
  const view = await followRequest(() => lookRequest(api, id), {
    sleep: options.sleep,
    ...(options.tracker ? { tracker: options.tracker } : {}),
    onLook: (look, changed) => {
      for (const r of changed) io.stdout(options.format === 'json' ? JSON.stringify({ requestId: look.requestId, ...r }) : resourceLine(r));
    },
  });
  io.stdout(options.format === 'json' ? JSON.stringify(view) : `request ${view.requestId}: ${view.state}`);
  return exitOf(view);
}

export interface CommandOptions {
  fetch?: typeof fetch;
  /** For tests: what happens between looks, overriding --interval. */
  sleep?: (ms: number) => Promise<void>;
}

export function parseFormat(value: string | undefined, usage: string): Format {
  const format = value ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not "${format}"`, usage);
  return format;
}

/** --interval in milliseconds, and the wait between looks it makes. */
export function intervalSleep(value: string | undefined, usage: string, sleep?: (ms: number) => Promise<void>): () => Promise<void> {
  const ms = Math.round(Number(value ?? '2') * 1000);
  if (!Number.isFinite(ms) || ms < 100) throw new UsageError('--interval must be at least 0.1 seconds', usage);
  const wait = sleep ?? ((delay: number) => new Promise<void>((r) => setTimeout(r, delay)));
  return () => wait(ms);
}

export async function followCommand(
  mode: 'status' | 'watch',
  args: string[],
  io: Io,
  env: ApiEnv = process.env,
  options: CommandOptions = {},
): Promise<number> {
  const parsed = commandArgs(
    {
      args,
      options: { 'api-url': { type: 'string' }, interval: { type: 'string' }, format: { type: 'string' } },
      allowPositionals: true,
    },
    FOLLOW_USAGE,
  );
  const { values, positionals } = parsed;
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new UsageError(`${mode} takes one request id`, FOLLOW_USAGE);
  const api = connect(values['api-url'], env, FOLLOW_USAGE, options.fetch);
  const format = parseFormat(values.format, FOLLOW_USAGE);
  const sleep = intervalSleep(values.interval, FOLLOW_USAGE, options.sleep);

  if (mode === 'watch') return watchRequest(api, id, io, { format, sleep });
  const view = await lookRequest(api, id);
  if (format === 'json') io.stdout(JSON.stringify(view));
  else {
    for (const r of view.resources) io.stdout(resourceLine(r));
    io.stdout(`request ${view.requestId}: ${view.state}`);
  }
  return isFinished(view) ? exitOf(view) : 0;
}

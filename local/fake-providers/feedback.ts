/**
 * Local fakes of where feedback goes: GitHub statuses and issue comments, GitLab statuses and merge
 * request notes, Jira v3 comments and transitions, and generic Standard Webhooks subscribers. Each
 * records what it received and refuses what the real service would: wrong auth, unknown states,
 * descriptions over GitHub's 140 characters, non-ADF Jira bodies, bad webhook signatures.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';

export interface RecordedStatus {
  provider: 'github' | 'gitlab';
  repository: string;
  sha: string;
  state: string;
  context: string;
  description?: string;
  target_url?: string;
}

export interface RecordedComment {
  provider: 'github' | 'gitlab';
  id: number;
  repository: string;
  number: number;
  body: string;
  edits: number;
}

export interface RecordedJira {
  key: string;
  kind: 'comment' | 'transition';
  body: unknown;
}

export interface RecordedDelivery {
  subscriber: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  verified: boolean;
}

/** Everything the fake records, in arrival order, for a caller that shows it live (the local stack's printer). */
export type FeedbackRecord =
  | { type: 'status'; status: RecordedStatus }
  | { type: 'comment'; action: 'created' | 'edited'; comment: RecordedComment }
  | { type: 'jira'; jira: RecordedJira }
  | { type: 'delivery'; delivery: RecordedDelivery }
  | { type: 'refused'; method: string; path: string; reason: string };

export interface FeedbackFakeState {
  statuses: RecordedStatus[];
  comments: Map<number, RecordedComment>;
  /** Every comment call (create and edit) in order, to prove edits instead of duplicates. */
  commentCalls: { method: string; id?: number }[];
  jira: RecordedJira[];
  deliveries: RecordedDelivery[];
  /** Calls refused for bad auth or shape, with why: tests assert this stays empty. */
  refused: { path: string; reason: string }[];
  /** Registers a subscriber: its signing secret and, optionally, statuses to answer in turn before 200. */
  subscriber(name: string, secret: string, answers?: number[]): void;
  /** Called after each Jira comment is stored (e.g. to send the issue_updated webhook Jira would send). */
  onJiraComment?: (key: string) => Promise<void> | void;
}

export interface FeedbackProviders extends FeedbackFakeState {
  url: string;
  githubUrl: string;
  gitlabUrl: string;
  jiraUrl: string;
  subscriberUrl(name: string): string;
  close(): Promise<void>;
}

export interface FeedbackOptions {
  githubToken: string;
  gitlabToken: string;
  jiraEmail: string;
  jiraToken: string;
  /** Called with each record as it is stored. */
  onRecord?: (record: FeedbackRecord) => void;
}

const GITHUB_STATES = new Set(['error', 'failure', 'pending', 'success']);
const GITLAB_STATES = new Set(['pending', 'running', 'success', 'failed', 'canceled', 'skipped']);
const ADF_TYPES = new Set([
  'doc',
  'paragraph',
  'text',
  'bulletList',
  'orderedList',
  'listItem',
  'codeBlock',
  'heading',
  'table',
  'tableRow',
  'tableHeader',
  'tableCell',
  'panel',
  'rule',
  'hardBreak',
]);

/** Checks the ADF rules Jira enforces on write: a versioned doc, known node types, no empty text nodes, tables of rows of cells. */
export function adfProblems(node: unknown, path = 'body'): string[] {
  if (!node || typeof node !== 'object') return [`${path} is not a node`];
  const n = node as { type?: unknown; version?: unknown; text?: unknown; content?: unknown };
  const problems: string[] = [];
  if (path === 'body' && (n.type !== 'doc' || n.version !== 1)) problems.push('body must be {type: "doc", version: 1}');
  if (typeof n.type !== 'string' || !ADF_TYPES.has(n.type)) problems.push(`${path}: unknown node type ${String(n.type)}`);
  if (n.type === 'text' && (typeof n.text !== 'string' || n.text.length === 0)) problems.push(`${path}: text nodes need non-empty text`);
  if (n.content !== undefined && !Array.isArray(n.content)) problems.push(`${path}.content must be an array`);
  const children = Array.isArray(n.content) ? n.content : [];
  if (n.type === 'table' && children.some((c) => (c as { type?: string }).type !== 'tableRow'))
    problems.push(`${path}: table holds only tableRow`);
  if (n.type === 'tableRow' && children.some((c) => !['tableHeader', 'tableCell'].includes((c as { type?: string }).type ?? '')))
    problems.push(`${path}: rows hold only cells`);
  children.forEach((child, i) => {
    problems.push(...adfProblems(child, `${path}.content[${i}]`));
  });
  return problems;
}

function verifyStandardWebhook(secret: string, headers: Record<string, string>, body: string): boolean {
  const id = headers['webhook-id'];
  const timestamp = Number(headers['webhook-timestamp']);
  const signatures = (headers['webhook-signature'] ?? '').split(' ');
  if (!id || !Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
    .update(`${id}.${timestamp}.${body}`)
    .digest();
  return signatures.some((entry) => {
    const [version, value] = entry.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * The fake as a Hono app under /github, /gitlab, /jira and /hooks, so local/fake-providers/index.ts can
 * serve it beside the git fake on one base URL.
 */
export function createFeedbackFake(opts: FeedbackOptions): { app: Hono; state: FeedbackFakeState } {
  const app = new Hono();
  let nextId = 1000;
  const subscribers = new Map<string, { secret: string; answers: number[] }>();
  const emit = (record: FeedbackRecord) => opts.onRecord?.(record);
  const fake: FeedbackFakeState = {
    statuses: [],
    comments: new Map(),
    commentCalls: [],
    jira: [],
    deliveries: [],
    refused: [],
    subscriber(name, secret, answers = []) {
      subscribers.set(name, { secret, answers: [...answers] });
    },
  };
  const refuse = (c: Context, status: 400 | 401 | 404 | 422, reason: string) => {
    fake.refused.push({ path: c.req.path, reason });
    emit({ type: 'refused', method: c.req.method, path: c.req.path, reason });
    return c.json({ message: reason }, status);
  };
  const json = async (c: Context): Promise<Record<string, unknown> | undefined> => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/json')) return undefined;
    try {
      return (await c.req.json()) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };

  // --- GitHub (REST, API version 2022-11-28)
  app.use('/github/*', async (c, next) => {
    if (c.req.header('authorization') !== `Bearer ${opts.githubToken}`) return refuse(c, 401, 'Bad credentials');
    if (c.req.header('accept') !== 'application/vnd.github+json') return refuse(c, 400, 'Accept must be application/vnd.github+json');
    await next();
  });
  app.post('/github/repos/:owner/:repo/statuses/:sha', async (c) => {
    const body = await json(c);
    if (!body) return refuse(c, 400, 'Problems parsing JSON');
    if (!GITHUB_STATES.has(String(body.state)))
      return refuse(c, 422, `state ${String(body.state)} is not one of error, failure, pending, success`);
    if (typeof body.description === 'string' && body.description.length > 140)
      return refuse(c, 422, 'description is too long (maximum is 140 characters)');
    if (body.target_url !== undefined && !/^https?:\/\//.test(String(body.target_url))) return refuse(c, 422, 'target_url must be a URL');
    const status: RecordedStatus = {
      provider: 'github',
      repository: `${c.req.param('owner')}/${c.req.param('repo')}`,
      sha: c.req.param('sha'),
      state: String(body.state),
      context: typeof body.context === 'string' ? body.context : 'default',
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      ...(typeof body.target_url === 'string' ? { target_url: body.target_url } : {}),
    };
    fake.statuses.push(status);
    emit({ type: 'status', status });
    return c.json(
      {
        id: nextId++,
        state: status.state,
        context: status.context,
        description: status.description ?? null,
        target_url: status.target_url ?? null,
      },
      201,
    );
  });
  const githubComments = (repository: string, number: number) =>
    [...fake.comments.values()].filter((x) => x.provider === 'github' && x.repository === repository && x.number === number);
  app.get('/github/repos/:owner/:repo/issues/:number/comments', (c) => {
    const perPage = Number(c.req.query('per_page') ?? 30);
    const page = Number(c.req.query('page') ?? 1);
    const all = githubComments(`${c.req.param('owner')}/${c.req.param('repo')}`, Number(c.req.param('number')));
    return c.json(
      all.slice((page - 1) * perPage, page * perPage).map((x) => ({ id: x.id, body: x.body, user: { login: 'hwc-provisioner[bot]' } })),
    );
  });
  app.post('/github/repos/:owner/:repo/issues/:number/comments', async (c) => {
    const body = await json(c);
    if (typeof body?.body !== 'string' || body.body.length === 0 || body.body.length > 65_536)
      return refuse(c, 422, 'body is required (at most 65536 characters)');
    const comment: RecordedComment = {
      provider: 'github',
      id: nextId++,
      repository: `${c.req.param('owner')}/${c.req.param('repo')}`,
      number: Number(c.req.param('number')),
      body: body.body,
      edits: 0,
    };
    fake.comments.set(comment.id, comment);
    fake.commentCalls.push({ method: 'POST' });
    emit({ type: 'comment', action: 'created', comment });
    return c.json(
      {
        id: comment.id,
        body: comment.body,
        html_url: `https://github.com/${comment.repository}/pull/${comment.number}#issuecomment-${comment.id}`,
      },
      201,
    );
  });
  app.patch('/github/repos/:owner/:repo/issues/comments/:id', async (c) => {
    const comment = fake.comments.get(Number(c.req.param('id')));
    if (comment?.provider !== 'github') return refuse(c, 404, 'Not Found');
    const body = await json(c);
    if (typeof body?.body !== 'string' || body.body.length === 0) return refuse(c, 422, 'body is required');
    comment.body = body.body;
    comment.edits++;
    fake.commentCalls.push({ method: 'PATCH', id: comment.id });
    emit({ type: 'comment', action: 'edited', comment });
    return c.json({ id: comment.id, body: comment.body });
  });

  // --- GitLab (REST v4)
  app.use('/gitlab/*', async (c, next) => {
    if (c.req.header('private-token') !== opts.gitlabToken) return refuse(c, 401, '401 Unauthorized');
    await next();
  });
  app.post('/gitlab/projects/:id/statuses/:sha', async (c) => {
    const body = await json(c);
    if (!body || !GITLAB_STATES.has(String(body.state))) return refuse(c, 400, 'state does not have a valid value');
    const repository = decodeURIComponent(c.req.param('id'));
    const name = typeof body.name === 'string' ? body.name : typeof body.context === 'string' ? body.context : 'default';
    const last = fake.statuses
      .filter((s) => s.provider === 'gitlab' && s.repository === repository && s.sha === c.req.param('sha') && s.context === name)
      .at(-1);
    // GitLab refuses to move a status to the state it already has.
    if (last && last.state === body.state)
      return c.json(
        { message: `Cannot transition status via :${body.state === 'pending' ? 'enqueue' : body.state} from :${last.state}` },
        400,
      );
    const status: RecordedStatus = {
      provider: 'gitlab',
      repository,
      sha: c.req.param('sha'),
      state: String(body.state),
      context: name,
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      ...(typeof body.target_url === 'string' ? { target_url: body.target_url } : {}),
    };
    fake.statuses.push(status);
    emit({ type: 'status', status });
    return c.json({ id: nextId++, status: body.state, name }, 201);
  });
  const gitlabNotes = (repository: string, iid: number) =>
    [...fake.comments.values()].filter((x) => x.provider === 'gitlab' && x.repository === repository && x.number === iid);
  app.get('/gitlab/projects/:id/merge_requests/:iid/notes', (c) => {
    const perPage = Number(c.req.query('per_page') ?? 20);
    const page = Number(c.req.query('page') ?? 1);
    const all = gitlabNotes(decodeURIComponent(c.req.param('id')), Number(c.req.param('iid')));
    return c.json(all.slice((page - 1) * perPage, page * perPage).map((x) => ({ id: x.id, body: x.body, system: false })));
  });
  app.post('/gitlab/projects/:id/merge_requests/:iid/notes', async (c) => {
    const body = await json(c);
    if (typeof body?.body !== 'string' || body.body.length === 0) return refuse(c, 400, 'body is missing');
    const note: RecordedComment = {
      provider: 'gitlab',
      id: nextId++,
      repository: decodeURIComponent(c.req.param('id')),
      number: Number(c.req.param('iid')),
      body: body.body,
      edits: 0,
    };
    fake.comments.set(note.id, note);
    fake.commentCalls.push({ method: 'POST' });
    emit({ type: 'comment', action: 'created', comment: note });
    return c.json({ id: note.id, body: note.body }, 201);
  });
  app.put('/gitlab/projects/:id/merge_requests/:iid/notes/:noteId', async (c) => {
    const note = fake.comments.get(Number(c.req.param('noteId')));
    if (note?.provider !== 'gitlab') return refuse(c, 404, '404 Not found');
    const body = await json(c);
    if (typeof body?.body !== 'string' || body.body.length === 0) return refuse(c, 400, 'body is missing');
    note.body = body.body;
    note.edits++;
    fake.commentCalls.push({ method: 'PUT', id: note.id });
    emit({ type: 'comment', action: 'edited', comment: note });
    return c.json({ id: note.id, body: note.body });
  });

  // --- Jira Cloud (REST v3, basic auth with an API token)
  app.use('/jira/*', async (c, next) => {
    const expected = `Basic ${Buffer.from(`${opts.jiraEmail}:${opts.jiraToken}`).toString('base64')}`;
    if (c.req.header('authorization') !== expected) return refuse(c, 401, 'Client must be authenticated to access this resource.');
    await next();
  });
  app.post('/jira/rest/api/3/issue/:key/comment', async (c) => {
    const body = await json(c);
    const problems = adfProblems(body?.body);
    if (problems.length > 0) return refuse(c, 400, `Comment body is not valid ADF: ${problems.join('; ')}`);
    const id = String(nextId++);
    const comment: RecordedJira = { key: c.req.param('key'), kind: 'comment', body: body!.body };
    fake.jira.push(comment);
    emit({ type: 'jira', jira: comment });
    await fake.onJiraComment?.(c.req.param('key'));
    return c.json({ id, self: `${c.req.url}/${id}`, body: body!.body }, 201);
  });
  app.post('/jira/rest/api/3/issue/:key/transitions', async (c) => {
    const body = await json(c);
    const id = (body?.transition as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || !/^\d+$/.test(id)) return refuse(c, 400, 'transition.id is required');
    const transition: RecordedJira = { key: c.req.param('key'), kind: 'transition', body: body };
    fake.jira.push(transition);
    emit({ type: 'jira', jira: transition });
    return c.body(null, 204);
  });

  // --- Generic subscribers (Standard Webhooks receivers)
  app.post('/hooks/:name', async (c) => {
    const subscriber = subscribers.get(c.req.param('name'));
    if (!subscriber) return refuse(c, 404, 'no such subscriber');
    const body = await c.req.text();
    const headers = Object.fromEntries([...c.req.raw.headers.entries()]);
    const verified = verifyStandardWebhook(subscriber.secret, headers, body);
    const status = !verified ? 401 : (subscriber.answers.shift() ?? 200);
    const delivery: RecordedDelivery = { subscriber: c.req.param('name'), status, headers, body, verified };
    fake.deliveries.push(delivery);
    emit({ type: 'delivery', delivery });
    return c.json({ ok: status < 300 }, status as 200);
  });

  return { app, state: fake };
}

/** The feedback fake alone on its own loopback port (tests). */
export async function startFeedbackProviders(opts: FeedbackOptions): Promise<FeedbackProviders> {
  const { app, state } = createFeedbackFake(opts);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url,
    githubUrl: `${url}/github`,
    gitlabUrl: `${url}/gitlab`,
    jiraUrl: `${url}/jira`,
    subscriberUrl: (name: string) => `${url}/hooks/${name}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as FeedbackProviders;
}

/** Local fakes of the GitHub and GitLab REST endpoints intake reads, serving real response shapes from in-memory commits. */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';

/** Files of a commit, by path. */
export type Commit = Record<string, string>;

export function blobSha(content: string): string {
  const bytes = Buffer.from(content);
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export interface GitFakeState {
  /** Commits by sha, shared by both fakes. */
  commits: Map<string, Commit>;
  /** Each request received: method, path, and whether it was authenticated. */
  calls: { method: string; path: string; authorized: boolean }[];
  /** Makes the next N calls answer this status (e.g. 502 to test retries). */
  failNext(count: number, status: number): void;
}

export interface FakeProviders extends GitFakeState {
  url: string;
  close(): Promise<void>;
}

/** The fake as a Hono app, so local/fake-providers/index.ts can serve it beside the feedback fake on one base URL. */
export function createGitFake(opts: { githubToken: string; gitlabToken: string }): { app: Hono; state: GitFakeState } {
  const commits = new Map<string, Commit>();
  const blobs = new Map<string, string>();
  const calls: GitFakeState['calls'] = [];
  let failures = { count: 0, status: 500 };
  const app = new Hono();

  const tree = (sha: string) => {
    const commit = commits.get(sha);
    if (!commit) return undefined;
    return Object.entries(commit).map(([path, content]) => {
      const id = blobSha(content);
      blobs.set(id, content);
      return { path, id };
    });
  };

  app.use('*', async (c, next) => {
    const authorized = c.req.header('authorization') === `Bearer ${opts.githubToken}` || c.req.header('private-token') === opts.gitlabToken;
    calls.push({ method: c.req.method, path: c.req.path, authorized });
    if (failures.count > 0) {
      failures.count--;
      return c.json({ message: 'injected failure' }, failures.status as 500);
    }
    if (!authorized) return c.json({ message: 'Bad credentials' }, 401);
    await next();
  });

  // GitHub: GET /repos/{owner}/{repo}/git/trees/{sha}?recursive=1 and /git/blobs/{sha} (raw media type).
  app.get('/github/repos/:owner/:repo/git/trees/:sha', (c) => {
    const entries = tree(c.req.param('sha'));
    if (!entries) return c.json({ message: 'Not Found' }, 404);
    return c.json({
      sha: c.req.param('sha'),
      url: `${c.req.url}`,
      truncated: false,
      tree: [
        ...new Set(
          entries.flatMap((e) =>
            e.path
              .split('/')
              .slice(0, -1)
              .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
          ),
        ),
      ]
        .map((path) => ({ path, mode: '040000', type: 'tree', sha: blobSha(`tree:${path}`) }))
        .concat(
          entries.map(
            (e) => ({ path: e.path, mode: '100644', type: 'blob', sha: e.id, size: Buffer.byteLength(blobs.get(e.id)!) }) as never,
          ),
        ),
    });
  });
  app.get('/github/repos/:owner/:repo/git/blobs/:sha', (c) => {
    const content = blobs.get(c.req.param('sha'));
    if (content === undefined) return c.json({ message: 'Not Found' }, 404);
    if (c.req.header('accept') !== 'application/vnd.github.raw+json') {
      return c.json({ sha: c.req.param('sha'), encoding: 'base64', content: Buffer.from(content).toString('base64') });
    }
    return c.body(content, 200, { 'content-type': 'application/vnd.github.raw' });
  });

  // GitLab: GET /projects/:id/repository/tree (paged, X-Next-Page) and /repository/blobs/:sha/raw.
  app.get('/gitlab/projects/:id/repository/tree', (c) => {
    const entries = tree(c.req.query('ref') ?? '');
    if (!entries) return c.json({ message: '404 Tree Not Found' }, 404);
    const perPage = Number(c.req.query('per_page') ?? 20);
    const page = Number(c.req.query('page') ?? 1);
    const items = entries.map((e) => ({ id: e.id, name: e.path.split('/').pop(), type: 'blob', path: e.path, mode: '100644' }));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const next = page * perPage < items.length ? String(page + 1) : '';
    return c.json(slice, 200, { 'x-next-page': next, 'x-page': String(page), 'x-per-page': String(perPage) });
  });
  app.get('/gitlab/projects/:id/repository/blobs/:sha/raw', (c) => {
    const content = blobs.get(c.req.param('sha'));
    if (content === undefined) return c.json({ message: '404 Blob Not Found' }, 404);
    return c.body(content, 200, { 'content-type': 'text/plain' });
  });

  return {
    app,
    state: {
      commits,
      calls,
      failNext: (count, status) => {
        failures = { count, status };
      },
    },
  };
}

/** The git fake alone on its own loopback port (tests); `url` + `/github` or `/gitlab` is the API base. */
export async function startFakeProviders(opts: { githubToken: string; gitlabToken: string }): Promise<FakeProviders> {
  const { app, state } = createGitFake(opts);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

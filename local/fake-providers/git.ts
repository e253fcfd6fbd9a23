/**
 * Local fakes of the GitHub and GitLab REST endpoints intake reads, serving real response shapes from in-memory commits,
 * and of the ones that tell who approved the pull or merge request that merged a commit.
 */
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

/** Review states as GitHub reports them; PENDING is a draft only its author sees. */
export type FakeReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';

/** A GitHub pull request or GitLab merge request, as the approval endpoints report it. Tests change it in place. */
export interface FakeMergeRequest {
  provider: 'github' | 'gitlab';
  /** owner/name on GitHub; group/project on GitLab, where projectId names it too. */
  repository: string;
  projectId?: number;
  number: number;
  title: string;
  author: string;
  state: 'open' | 'closed' | 'merged';
  baseRef: string;
  headRef: string;
  /** Its commits, oldest first: the last is the head. Listed for any of them, like for its merge commit. */
  commits: string[];
  /** What landed on the base branch: a merge or squash commit, or the head itself when fast-forwarded. */
  mergeCommit?: string;
  /** GitHub's reviews, oldest first. */
  reviews: { user: string; state: FakeReviewState }[];
  /** GitLab's approvals. */
  approvedBy: string[];
}

export type FakeMergeRequestInit = Pick<FakeMergeRequest, 'provider' | 'repository' | 'number' | 'author' | 'commits'> &
  Partial<FakeMergeRequest>;

export interface GitFakeState {
  /** Commits by sha, shared by both fakes. */
  commits: Map<string, Commit>;
  /** Pull and merge requests, for the approval endpoints. */
  requests: FakeMergeRequest[];
  /** Records a request (open, or merged when it has a mergeCommit) and returns it for the test to change. */
  addRequest(init: FakeMergeRequestInit): FakeMergeRequest;
  /** Each request received: method, path, and whether it was authenticated. */
  calls: { method: string; path: string; authorized: boolean }[];
  /** Makes the next N calls answer this status (e.g. 502 to test retries). */
  failNext(count: number, status: number): void;
  /** Each commit's parent, for the compare endpoints (a commit without one is a root). */
  parents: Map<string, string>;
  /** Repositories by `${provider}:${path}`, for the repository, branch and compare endpoints. */
  repositories: Map<string, FakeRepository>;
  /** Points `branch` at `sha`, registering the repository (id, default branch) on first use. */
  setBranch(repo: Pick<FakeRepository, 'provider' | 'repository' | 'id'> & { defaultBranch?: string }, branch: string, sha: string): void;
}

/** A repository as the repository and branch endpoints report it; GitLab's id is the project id. */
export interface FakeRepository {
  provider: 'github' | 'gitlab';
  repository: string;
  id: number;
  defaultBranch: string;
  branches: Map<string, string>;
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
  const requests: FakeMergeRequest[] = [];
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

  // Repositories, branch heads and comparisons: what the resync reads.
  const parents = new Map<string, string>();
  const repositories = new Map<string, FakeRepository>();
  const gitlabRepository = (id: string) =>
    [...repositories.values()].find((r) => r.provider === 'gitlab' && (r.repository === id || String(r.id) === id));
  /** The commits `head` has and `base` lacks, oldest first, by walking parents back from head. */
  const between = (base: string, head: string) => {
    const walked: string[] = [];
    for (let at: string | undefined = head; at && at !== base; at = parents.get(at)) walked.push(at);
    return walked.reverse();
  };
  app.get('/github/repos/:owner/:repo', (c) => {
    const repo = repositories.get(`github:${c.req.param('owner')}/${c.req.param('repo')}`);
    if (!repo) return c.json({ message: 'Not Found', status: '404' }, 404);
    const [owner] = repo.repository.split('/');
    return c.json({
      id: repo.id,
      name: repo.repository.split('/')[1],
      full_name: repo.repository,
      private: true,
      owner: { login: owner, id: numericId(`user:${owner}`), type: 'Organization' },
      html_url: `https://github.com/${repo.repository}`,
      default_branch: repo.defaultBranch,
    });
  });
  app.get('/github/repos/:owner/:repo/branches/:branch', (c) => {
    const repo = repositories.get(`github:${c.req.param('owner')}/${c.req.param('repo')}`);
    const sha = repo?.branches.get(c.req.param('branch'));
    if (!repo || !sha) return c.json({ message: 'Branch not found', status: '404' }, 404);
    const api = `${new URL(c.req.url).origin}/github/repos/${repo.repository}`;
    return c.json({
      name: c.req.param('branch'),
      commit: { sha, url: `${api}/commits/${sha}`, commit: { message: `commit ${sha.slice(0, 7)}` } },
      _links: {
        self: `${api}/branches/${c.req.param('branch')}`,
        html: `https://github.com/${repo.repository}/tree/${c.req.param('branch')}`,
      },
      protected: false,
    });
  });
  app.get('/github/repos/:owner/:repo/compare/:basehead', (c) => {
    const [base = '', head = ''] = c.req.param('basehead').split('...');
    if (!commits.has(base) || !commits.has(head)) return c.json({ message: 'Not Found', status: '404' }, 404);
    const all = between(base, head);
    const perPage = Math.min(Number(c.req.query('per_page') ?? 250), 250);
    const page = Number(c.req.query('page') ?? 1);
    return c.json({
      status: all.length === 0 ? 'identical' : 'ahead',
      ahead_by: all.length,
      behind_by: 0,
      total_commits: all.length,
      commits: all
        .slice((page - 1) * perPage, page * perPage)
        .map((sha) => ({ sha, parents: parents.has(sha) ? [{ sha: parents.get(sha) }] : [] })),
      files: [],
    });
  });
  app.get('/gitlab/projects/:id', (c) => {
    const repo = gitlabRepository(c.req.param('id'));
    if (!repo) return c.json({ message: '404 Project Not Found' }, 404);
    return c.json({
      id: repo.id,
      path_with_namespace: repo.repository,
      default_branch: repo.defaultBranch,
      web_url: `https://gitlab.example.com/${repo.repository}`,
    });
  });
  app.get('/gitlab/projects/:id/repository/branches/:branch', (c) => {
    const sha = gitlabRepository(c.req.param('id'))?.branches.get(c.req.param('branch'));
    if (!sha) return c.json({ message: '404 Branch Not Found' }, 404);
    return c.json({
      name: c.req.param('branch'),
      merged: false,
      protected: false,
      default: false,
      commit: { id: sha, short_id: sha.slice(0, 8) },
    });
  });
  app.get('/gitlab/projects/:id/repository/compare', (c) => {
    const from = c.req.query('from') ?? '';
    const to = c.req.query('to') ?? '';
    if (!gitlabRepository(c.req.param('id'))) return c.json({ message: '404 Project Not Found' }, 404);
    if (!commits.has(from) || !commits.has(to)) return c.json({ message: '404 Ref Not Found' }, 404);
    const all = between(from, to);
    return c.json({
      commit: all.length > 0 ? { id: to, short_id: to.slice(0, 8) } : null,
      commits: all.map((id) => ({ id, short_id: id.slice(0, 8), parent_ids: parents.has(id) ? [parents.get(id)] : [] })),
      diffs: [],
      compare_timeout: false,
      compare_same_ref: from === to,
    });
  });

  // Approvals. Both providers list the requests that carry a commit, and 4xx a commit that is unknown everywhere.
  const carrying = (provider: FakeMergeRequest['provider'], sameRepository: (r: FakeMergeRequest) => boolean, sha: string) =>
    requests.filter((r) => r.provider === provider && sameRepository(r) && (r.commits.includes(sha) || r.mergeCommit === sha));
  const knownCommit = (sha: string) => commits.has(sha) || requests.some((r) => r.commits.includes(sha) || r.mergeCommit === sha);
  const isGithub = (owner: string, repo: string) => (r: FakeMergeRequest) => r.repository === `${owner}/${repo}`;
  // GitLab takes the numeric id or the path; Hono hands the path over decoded.
  const isGitlab = (id: string) => (r: FakeMergeRequest) => r.repository === id || String(r.projectId) === id;
  const head = (r: FakeMergeRequest) => r.commits.at(-1) ?? null;

  // GitHub: GET /repos/{owner}/{repo}/commits/{sha}/pulls and /pulls/{n}/reviews (paged by per_page and page, with Link).
  app.get('/github/repos/:owner/:repo/commits/:sha/pulls', (c) => {
    const { owner, repo, sha } = c.req.param();
    if (!knownCommit(sha)) return c.json({ message: `No commit found for SHA: ${sha}`, status: '422' }, 422);
    const api = `${new URL(c.req.url).origin}/github/repos/${owner}/${repo}`;
    const now = new Date().toISOString();
    return c.json(
      carrying('github', isGithub(owner, repo), sha).map((r) => ({
        url: `${api}/pulls/${r.number}`,
        id: numericId(`pull:${r.repository}#${r.number}`),
        html_url: `https://github.com/${r.repository}/pull/${r.number}`,
        number: r.number,
        state: r.state === 'open' ? 'open' : 'closed',
        locked: false,
        title: r.title,
        user: githubUser(r.author),
        body: null,
        created_at: now,
        updated_at: now,
        closed_at: r.state === 'open' ? null : now,
        merged_at: r.state === 'merged' ? now : null,
        merge_commit_sha: r.mergeCommit ?? null,
        head: { label: `${owner}:${r.headRef}`, ref: r.headRef, sha: head(r) },
        base: { label: `${owner}:${r.baseRef}`, ref: r.baseRef },
        author_association: 'CONTRIBUTOR',
        draft: false,
      })),
    );
  });
  app.get('/github/repos/:owner/:repo/pulls/:number/reviews', (c) => {
    const { owner, repo } = c.req.param();
    const r = requests.find((q) => q.provider === 'github' && isGithub(owner, repo)(q) && q.number === Number(c.req.param('number')));
    if (!r) return c.json({ message: 'Not Found', status: '404' }, 404);
    const perPage = Math.min(Number(c.req.query('per_page') ?? 30), 100);
    const page = Number(c.req.query('page') ?? 1);
    const pull = `https://github.com/${r.repository}/pull/${r.number}`;
    const pullApi = `${new URL(c.req.url).origin}/github/repos/${owner}/${repo}/pulls/${r.number}`;
    const items = r.reviews.map((review, i) => {
      const id = numericId(`review:${r.repository}#${r.number}:${i}`);
      return {
        id,
        user: githubUser(review.user),
        body: '',
        state: review.state,
        html_url: `${pull}#pullrequestreview-${id}`,
        pull_request_url: pullApi,
        _links: { html: { href: `${pull}#pullrequestreview-${id}` }, pull_request: { href: pullApi } },
        ...(review.state === 'PENDING' ? {} : { submitted_at: new Date().toISOString() }),
        commit_id: head(r),
        author_association: 'COLLABORATOR',
      };
    });
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const at = (n: number) => {
      const url = new URL(c.req.url);
      url.searchParams.set('page', String(n));
      return url.toString();
    };
    const links = page < last ? [`<${at(page + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`] : [];
    return c.json(items.slice((page - 1) * perPage, page * perPage), 200, links.length > 0 ? { link: links.join(', ') } : {});
  });

  // GitLab: GET /projects/:id/repository/commits/:sha/merge_requests and /merge_requests/:iid/approvals.
  const gitlabRequest = (r: FakeMergeRequest, now: string) => ({
    id: numericId(`mr:${r.repository}!${r.number}`),
    iid: r.number,
    project_id: r.projectId ?? null,
    title: r.title,
    description: '',
    state: r.state === 'open' ? 'opened' : r.state,
    created_at: now,
    updated_at: now,
  });
  app.get('/gitlab/projects/:id/repository/commits/:sha/merge_requests', (c) => {
    const { id, sha } = c.req.param();
    if (!knownCommit(sha)) return c.json({ message: '404 Commit Not Found' }, 404);
    const now = new Date().toISOString();
    return c.json(
      carrying('gitlab', isGitlab(id), sha).map((r) => ({
        ...gitlabRequest(r, now),
        ...(r.state === 'merged' ? { merged_at: now } : {}),
        target_branch: r.baseRef,
        source_branch: r.headRef,
        author: gitlabUser(r.author),
        source_project_id: r.projectId ?? null,
        target_project_id: r.projectId ?? null,
        labels: [],
        draft: false,
        merge_status: 'can_be_merged',
        sha: head(r),
        merge_commit_sha: r.mergeCommit ?? null,
        squash_commit_sha: null,
        web_url: `https://gitlab.example.com/${r.repository}/-/merge_requests/${r.number}`,
      })),
    );
  });
  app.get('/gitlab/projects/:id/merge_requests/:iid/approvals', (c) => {
    const id = c.req.param('id');
    const r = requests.find((q) => q.provider === 'gitlab' && isGitlab(id)(q) && q.number === Number(c.req.param('iid')));
    if (!r) return c.json({ message: '404 Not found' }, 404);
    return c.json({
      ...gitlabRequest(r, new Date().toISOString()),
      merge_status: 'can_be_merged',
      approvals_required: 0,
      approvals_left: 0,
      approved_by: r.approvedBy.map((username) => ({ user: gitlabUser(username) })),
    });
  });

  return {
    app,
    state: {
      commits,
      requests,
      addRequest: (init) => {
        const request: FakeMergeRequest = {
          title: `Change ${init.number}`,
          state: init.mergeCommit ? 'merged' : 'open',
          baseRef: 'main',
          headRef: `change-${init.number}`,
          reviews: [],
          approvedBy: [],
          ...init,
        };
        requests.push(request);
        return request;
      },
      calls,
      failNext: (count, status) => {
        failures = { count, status };
      },
      parents,
      repositories,
      setBranch: (init, branch, sha) => {
        const key = `${init.provider}:${init.repository}`;
        let repo = repositories.get(key);
        if (!repo) {
          repo = {
            provider: init.provider,
            repository: init.repository,
            id: init.id,
            defaultBranch: init.defaultBranch ?? branch,
            branches: new Map(),
          };
          repositories.set(key, repo);
        }
        repo.branches.set(branch, sha);
      },
    },
  };
}

/** A stable number for a name, where the real APIs have database ids. */
function numericId(name: string): number {
  return Number.parseInt(createHash('sha1').update(name).digest('hex').slice(0, 8), 16);
}

function githubUser(login: string) {
  return {
    login,
    id: numericId(`user:${login}`),
    url: `https://api.github.com/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
    site_admin: false,
  };
}

function gitlabUser(username: string) {
  return {
    id: numericId(`user:${username}`),
    username,
    name: username,
    state: 'active',
    web_url: `https://gitlab.example.com/${username}`,
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

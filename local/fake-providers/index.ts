/**
 * The git and feedback fakes on ONE loopback server, because the product uses one GITHUB_API_URL (and one
 * GITLAB_API_URL) both to read manifests and to write statuses and comments. Adds repositories with branch
 * heads and pull requests on top of the fakes' bare commits, and a small admin API under /__fake/ that
 * `npm run local:send` uses to make commits before it sends the matching signed webhook.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { createFeedbackFake, type FeedbackFakeState, type FeedbackRecord } from './feedback';
import { createGitFake, type Commit, type FakeMergeRequest, type FakeReviewState, type GitFakeState } from './git';

/** A commit's changes: a path's new text, or null to remove the file. */
type Changes = Record<string, string | null>;

type GitProvider = 'github' | 'gitlab';

export interface LocalProvidersOptions {
  githubToken: string;
  gitlabToken: string;
  jiraEmail: string;
  jiraToken: string;
  onRecord?: (record: FeedbackRecord) => void;
}

interface RepositoryInfo {
  provider: GitProvider;
  /** owner/name on GitHub, path with namespace on GitLab. */
  repository: string;
  /** GitLab's numeric project id (GitHub has none in its payloads that intake reads). */
  projectId: number;
  defaultBranch: string;
  head: string;
  webUrl: string;
}

export interface PushResult {
  provider: GitProvider;
  repository: string;
  projectId: number;
  branch: string;
  before: string;
  after: string;
  /** Paths whose content differs from the parent commit: empty means intake will find nothing to do. */
  changed: string[];
}

export interface PullResult {
  provider: GitProvider;
  repository: string;
  projectId: number;
  number: number;
  action: 'opened' | 'synchronize';
  baseRef: string;
  headRef: string;
  base: string;
  head: string;
  /** The previous head on a synchronize (GitLab's oldrev). */
  previousHead?: string;
  changed: string[];
}

export interface LocalProviders {
  url: string;
  githubUrl: string;
  gitlabUrl: string;
  jiraUrl: string;
  subscriberUrl(name: string): string;
  git: GitFakeState;
  feedback: FeedbackFakeState;
  /** A repository whose default branch holds `files` in its first commit. */
  createRepository(
    provider: GitProvider,
    repository: string,
    files: Commit,
    opts?: { projectId?: number; defaultBranch?: string },
  ): RepositoryInfo;
  repositories(): RepositoryInfo[];
  /** A commit on the default branch: the parent's files with `files` added or replaced (null: removed). */
  push(provider: GitProvider, repository: string, files: Changes): PushResult;
  /** Opens a pull request off the default branch, or with `number`, adds a commit to its head branch. */
  pull(provider: GitProvider, repository: string, files: Changes, number?: number): PullResult;
  /** A review of pull request `number` (GitLab: APPROVED approves, any other state withdraws the approval). */
  review(provider: GitProvider, repository: string, number: number, user: string, state: FakeReviewState): void;
  /** Merges pull request `number`: one merge commit on the default branch with the request's changes, pushed as `push` is. */
  merge(provider: GitProvider, repository: string, number: number): PushResult;
  /**
   * Files a Jira ticket under the next key (OPS-1, OPS-2, ...), or with `key`, replaces its description. The fake
   * Jira only receives comments; it keeps a ticket's description, reporter and status so a transition can be sent
   * with the description the ticket was filed with.
   */
  fileIssue(ticket: { key?: string; summary: string; description: string; reporter: JiraUser }): FakeIssue;
  issue(key: string): FakeIssue | undefined;
  /** Moves a ticket to `status`; returns the status it had. */
  transitionIssue(key: string, status: string): string;
  close(): Promise<void>;
}

/** A user as Jira Cloud names one in webhooks. */
export interface JiraUser {
  accountId: string;
  displayName: string;
}

export interface FakeIssue {
  key: string;
  self: string;
  summary: string;
  description: string;
  reporter: JiraUser;
  status: string;
}

/** Where a new ticket starts, as in Jira's default workflow. */
const INITIAL_STATUS = 'To Do';

interface Repository extends RepositoryInfo {
  pulls: Map<number, { baseRef: string; headRef: string; base: string; head: string; request: FakeMergeRequest }>;
  nextPull: number;
}

/** Who opens the local pull requests: `npm run local:send` sends as this user. */
const LOCAL_AUTHOR = 'local-sender';
const ISSUE_KEY = /^[A-Z][A-Z0-9_]*-\d+$/;
const REVIEW_STATES: readonly FakeReviewState[] = ['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED'];

class AdminError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

export async function startLocalProviders(opts: LocalProvidersOptions): Promise<LocalProviders> {
  const git = createGitFake({ githubToken: opts.githubToken, gitlabToken: opts.gitlabToken });
  const feedback = createFeedbackFake(opts);
  const repos = new Map<string, Repository>();
  let commitCount = 0;
  let nextIssue = 1;
  const issues = new Map<string, FakeIssue>();
  let url = '';

  const keyOf = (provider: GitProvider, repository: string) => `${provider}:${repository}`;
  const find = (provider: GitProvider, repository: string): Repository => {
    const repo = repos.get(keyOf(provider, repository));
    if (!repo)
      throw new AdminError(
        404,
        `no ${provider} repository ${repository} (known: ${[...repos.values()].map((r) => `${r.provider}:${r.repository}`).join(', ')})`,
      );
    return repo;
  };
  const commit = (parent: string | undefined, files: Changes): { sha: string; changed: string[] } => {
    const before = parent ? (git.state.commits.get(parent) ?? {}) : {};
    const after: Commit = { ...before };
    for (const [path, text] of Object.entries(files)) {
      if (text === null) delete after[path];
      else after[path] = text;
    }
    const sha = createHash('sha1')
      .update(`${parent ?? ''}\0${++commitCount}\0${JSON.stringify(after)}`)
      .digest('hex');
    git.state.commits.set(sha, after);
    if (parent) git.state.parents.set(sha, parent);
    return {
      sha,
      changed: Object.keys(files)
        .filter((path) => before[path] !== files[path])
        .sort(),
    };
  };
  const info = ({ pulls: _pulls, nextPull: _next, ...repo }: Repository): RepositoryInfo => ({ ...repo });
  const findPull = (repo: Repository, number: number) => {
    const pull = repo.pulls.get(number);
    if (!pull) throw new AdminError(404, `${repo.repository} has no pull request ${number}`);
    return pull;
  };

  const providers: Omit<LocalProviders, 'url' | 'githubUrl' | 'gitlabUrl' | 'jiraUrl' | 'subscriberUrl' | 'close'> = {
    git: git.state,
    feedback: feedback.state,
    createRepository(provider, repository, files, more = {}) {
      const { sha } = commit(undefined, files);
      const projectId = more.projectId ?? repos.size + 1;
      const repo: Repository = {
        provider,
        repository,
        projectId,
        defaultBranch: more.defaultBranch ?? 'main',
        head: sha,
        webUrl: provider === 'github' ? `https://github.com/${repository}` : `https://gitlab.example.com/${repository}`,
        pulls: new Map(),
        nextPull: 1,
      };
      repos.set(keyOf(provider, repository), repo);
      git.state.setBranch({ provider, repository, id: projectId, defaultBranch: repo.defaultBranch }, repo.defaultBranch, sha);
      return info(repo);
    },
    repositories: () => [...repos.values()].map(info),
    push(provider, repository, files) {
      const repo = find(provider, repository);
      const before = repo.head;
      const { sha, changed } = commit(before, files);
      repo.head = sha;
      git.state.setBranch({ ...repo, id: repo.projectId }, repo.defaultBranch, sha);
      return { provider, repository, projectId: repo.projectId, branch: repo.defaultBranch, before, after: sha, changed };
    },
    pull(provider, repository, files, number) {
      const repo = find(provider, repository);
      const existing = number === undefined ? undefined : repo.pulls.get(number);
      if (number !== undefined && !existing) throw new AdminError(404, `${repository} has no pull request ${number}`);
      const id = number ?? repo.nextPull++;
      const headRef = existing?.headRef ?? `change-${id}`;
      if (existing && existing.request.state !== 'open')
        throw new AdminError(400, `${repository} pull request ${id} is ${existing.request.state}`);
      const { sha, changed } = commit(existing?.head ?? repo.head, files);
      const request =
        existing?.request ??
        git.state.addRequest({
          provider,
          repository,
          projectId: repo.projectId,
          number: id,
          title: `Change manifests (${headRef})`,
          author: LOCAL_AUTHOR,
          baseRef: repo.defaultBranch,
          headRef,
          commits: [],
        });
      request.commits.push(sha);
      const pull = { baseRef: repo.defaultBranch, headRef, base: repo.head, head: sha };
      repo.pulls.set(id, { ...pull, request });
      return {
        provider,
        repository,
        projectId: repo.projectId,
        number: id,
        action: existing ? 'synchronize' : 'opened',
        ...pull,
        ...(existing ? { previousHead: existing.head } : {}),
        changed,
      };
    },
    review(provider, repository, number, user, state) {
      const { request } = findPull(find(provider, repository), number);
      if (provider === 'github') request.reviews.push({ user, state });
      else request.approvedBy = [...request.approvedBy.filter((u) => u !== user), ...(state === 'APPROVED' ? [user] : [])];
    },
    merge(provider, repository, number) {
      const repo = find(provider, repository);
      const pull = findPull(repo, number);
      if (pull.request.state !== 'open') throw new AdminError(400, `${repository} pull request ${number} is ${pull.request.state}`);
      // The request's own changes (its head against where it branched off), applied to the default branch as it is now.
      const from = git.state.commits.get(pull.base) ?? {};
      const to = git.state.commits.get(pull.head) ?? {};
      const changes: Changes = Object.fromEntries([
        ...Object.entries(to).filter(([path, text]) => from[path] !== text),
        ...Object.keys(from)
          .filter((path) => !(path in to))
          .map((path) => [path, null]),
      ]);
      const result = providers.push(provider, repository, changes);
      pull.request.state = 'merged';
      pull.request.mergeCommit = result.after;
      return result;
    },
    fileIssue({ key, ...ticket }) {
      const known = key === undefined ? undefined : issues.get(key);
      const issueKey = key ?? `OPS-${nextIssue++}`;
      const filed: FakeIssue = {
        key: issueKey,
        self: `${url}/jira/rest/api/2/issue/${issueKey}`,
        status: known?.status ?? INITIAL_STATUS,
        ...ticket,
      };
      issues.set(issueKey, filed);
      return { ...filed };
    },
    issue: (key) => {
      const known = issues.get(key);
      return known ? { ...known } : undefined;
    },
    transitionIssue(key, status) {
      const known = issues.get(key);
      if (!known) throw new AdminError(404, `no Jira ticket ${key} (known: ${[...issues.keys()].join(', ') || 'none'})`);
      const from = known.status;
      known.status = status;
      return from;
    },
  };

  // Admin API for the send script; loopback only, like the simulator's /__sim/.
  const admin = new Hono();
  admin.onError((error, c) => c.json({ message: error.message }, error instanceof AdminError ? error.status : 500));
  const target = async (c: { req: { json(): Promise<unknown> } }) => {
    const body = (await c.req.json().catch(() => ({}))) as { provider?: unknown; repository?: unknown; files?: unknown; number?: unknown };
    if (body.provider !== 'github' && body.provider !== 'gitlab') throw new AdminError(400, 'provider must be github or gitlab');
    if (typeof body.repository !== 'string') throw new AdminError(400, 'repository is required');
    const files = (body.files ?? {}) as Changes;
    if (typeof files !== 'object' || Object.values(files).some((v) => typeof v !== 'string' && v !== null))
      throw new AdminError(400, 'files must map paths to text (or null to remove the file)');
    return {
      provider: body.provider as GitProvider,
      repository: body.repository,
      files,
      number: typeof body.number === 'number' ? body.number : undefined,
    };
  };
  admin.get('/repos', (c) => c.json(providers.repositories()));
  admin.post('/push', async (c) => {
    const t = await target(c);
    return c.json(providers.push(t.provider, t.repository, t.files), 201);
  });
  admin.post('/pull', async (c) => {
    const t = await target(c);
    return c.json(providers.pull(t.provider, t.repository, t.files, t.number), 201);
  });
  admin.post('/review', async (c) => {
    const t = await target(c);
    const { user, state } = (await c.req.json().catch(() => ({}))) as { user?: unknown; state?: unknown };
    if (t.number === undefined) throw new AdminError(400, 'number is required');
    if (typeof user !== 'string' || user === '') throw new AdminError(400, 'user is required');
    if (!REVIEW_STATES.includes(state as FakeReviewState)) throw new AdminError(400, `state must be one of ${REVIEW_STATES.join(', ')}`);
    providers.review(t.provider, t.repository, t.number, user, state as FakeReviewState);
    return c.json({ reviewed: t.number, user, state }, 201);
  });
  admin.post('/merge', async (c) => {
    const t = await target(c);
    if (t.number === undefined) throw new AdminError(400, 'number is required');
    return c.json(providers.merge(t.provider, t.repository, t.number), 201);
  });
  admin.post('/issue', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    const reporter = body.reporter as Partial<JiraUser> | undefined;
    if (body.key !== undefined && (typeof body.key !== 'string' || !ISSUE_KEY.test(body.key)))
      throw new AdminError(400, 'key must be a Jira issue key (OPS-1)');
    if (typeof body.description !== 'string') throw new AdminError(400, 'description is required');
    if (typeof reporter?.accountId !== 'string' || typeof reporter.displayName !== 'string')
      throw new AdminError(400, 'reporter must be { accountId, displayName }');
    const ticket = { summary: typeof body.summary === 'string' ? body.summary : '', description: body.description };
    const reporterUser = { accountId: reporter.accountId, displayName: reporter.displayName };
    return c.json(providers.fileIssue({ ...(body.key ? { key: body.key as string } : {}), ...ticket, reporter: reporterUser }), 201);
  });
  admin.get('/issue/:key', (c) => {
    const known = providers.issue(c.req.param('key'));
    if (!known) throw new AdminError(404, `no Jira ticket ${c.req.param('key')}`);
    return c.json(known);
  });
  admin.post('/issue/:key/transition', async (c) => {
    const { status } = (await c.req.json().catch(() => ({}))) as { status?: unknown };
    if (typeof status !== 'string' || status.trim() === '') throw new AdminError(400, 'status is required');
    const from = providers.transitionIssue(c.req.param('key'), status);
    return c.json({ key: c.req.param('key'), from, to: status });
  });
  // Everything recorded so far, for tests and for a look from curl.
  admin.get('/records', (c) =>
    c.json({
      statuses: feedback.state.statuses,
      comments: [...feedback.state.comments.values()],
      jira: feedback.state.jira,
      deliveries: feedback.state.deliveries.map(({ headers: _headers, ...d }) => d),
      refused: feedback.state.refused,
    }),
  );

  const app = new Hono();
  app.route('/__fake', admin);
  // The git fake answers the read endpoints intake and approvals use; the feedback fake takes everything else.
  app.all('/github/repos/:owner/:repo/git/*', (c) => git.app.fetch(c.req.raw));
  app.all('/github/repos/:owner/:repo/commits/:sha/pulls', (c) => git.app.fetch(c.req.raw));
  app.all('/github/repos/:owner/:repo/pulls/:number/reviews', (c) => git.app.fetch(c.req.raw));
  app.all('/gitlab/projects/:id/repository/*', (c) => git.app.fetch(c.req.raw));
  app.all('/gitlab/projects/:id/merge_requests/:iid/approvals', (c) => git.app.fetch(c.req.raw));
  app.all('*', (c) => feedback.app.fetch(c.req.raw));

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    s.once('error', reject);
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...providers,
    url,
    githubUrl: `${url}/github`,
    gitlabUrl: `${url}/gitlab`,
    jiraUrl: `${url}/jira`,
    subscriberUrl: (name) => `${url}/hooks/${name}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

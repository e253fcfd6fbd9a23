/**
 * The request page rendered through the HTTP app against DynamoDB Local, with records the product itself wrote:
 * intake's submit, then the real dispatcher and poller against the Huawei simulator.
 */
import type { Context } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { createWholeApp } from '../../shared/http/app';
import { randomRequestId } from '../../shared/intake/ids';
import type { RequestSource } from '../../shared/store/types';
import type { Viewer } from '../../shared/http/viewer';
import { createUiApp } from '../../shared/ui/app';
import { allKinds, startHarness, type Harness } from '../execution/harness';
import { memoryLogger, SECRETS } from '../http/helpers';

const LOGIN = 'https://issuer.example/login';
const PUSH: RequestSource = {
  provider: 'github',
  ref: 'octo/infra@4f2c9e1',
  repository: 'octo/infra',
  commit: '4f2c9e1',
  branch: 'main',
  url: 'https://github.com/octo/infra/commit/4f2c9e1',
  user: 'github:octocat',
};

const linkTo = (requestId: string): Viewer => ({ kind: 'link', requestId, expiresAt: '2027-01-01T00:00:00.000Z' });
const session = (roles: ('read-all' | 'approve' | 'submit')[], identities: string[] = []): Viewer => ({
  kind: 'session',
  subject: 'sub-1',
  name: 'Alice',
  roles,
  identities,
});

/** A viewer function as AUTH's: the `t` query names a link, unless the test fixes one viewer for every call. */
function viewerFrom(fixed?: Viewer) {
  return async (c: Context): Promise<Viewer | undefined> => {
    if (fixed) return fixed;
    const t = c.req.query('t');
    return t?.startsWith('link:') ? linkTo(t.slice(5)) : undefined;
  };
}

/** The rows of the resources table, as [kind, name, data-state]. */
function resourceRows(html: string): string[][] {
  const table = html.match(/<caption id="resources-caption">[\s\S]*?<\/table>/)?.[0] ?? '';
  return [...table.matchAll(/<tr data-kind="([^"]*)" data-name="([^"]*)">[\s\S]*?data-state="([^"]*)"/g)].map((m) => [m[1]!, m[2]!, m[3]!]);
}

describe('request page', () => {
  let h: Harness;
  let done: string;
  let pending: string;
  let failed: string;

  const ui = (viewer?: Viewer) =>
    createUiApp({ table: h.deps.table, viewer: viewerFrom(viewer), loginUrl: (to) => `${LOGIN}?returnTo=${encodeURIComponent(to)}` });
  const page = (path: string, viewer?: Viewer) => ui(viewer).request(path);

  beforeAll(async () => {
    h = await startHarness();
    done = await h.submitYaml(allKinds('uipage'), PUSH);
    await h.drive(done);
    const pool = parseAllDocuments(allKinds('uifail'))[0]!.toJS() as Record<string, any>;
    // The simulator fails a pool whose body carries this marker, part-way into its creation.
    pool.spec.body.metadata.annotations['os.modelarts/description'] = 'sim-fail';
    failed = await h.submitYaml(stringify(pool), PUSH);
    await h.drive(failed);
    // Submitted last and never driven: it stays where intake left it.
    pending = await h.submitYaml(allKinds('uiwait'), { provider: 'api', ref: 'api:ci', caller: 'ci', user: 'api:ci' });
  }, 60_000);
  afterAll(() => h.close());

  it('shows every resource of a finished request with its state, Huawei id and console link, and stops refreshing', async () => {
    const response = await page(`/ui/requests/${done}?t=link:${done}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const found = (await h.request(done))!.resources;
    expect(resourceRows(html).sort()).toEqual(found.map((r) => [r.kind, r.name, 'Succeeded']).sort());
    expect(html).toMatch(/<main [^>]*data-live="false"/);
    expect(html).toMatch(/<h1>Request <code>req_/);
    // Overall state, with its word beside the colour.
    expect(html).toMatch(/<dd data-state="Succeeded"><span class="state ok"><span aria-hidden="true">✓ <\/span>Succeeded<\/span>/);
    // Where it came from and who pushed it.
    expect(html).toContain('<a href="https://github.com/octo/infra/commit/4f2c9e1" rel="noreferrer noopener">commit</a>');
    expect(html).toContain('pushed by github:octocat');
    for (const r of found) {
      expect(r.huaweiId).toBeTruthy();
      expect(html).toContain(`<code>${r.huaweiId}</code>`);
    }
    expect(html).toContain('href="https://console.huaweicloud.com/modelarts/?region=cn-north-4#/dashboard"');
    // Conditions from the managed records, and a timeline with durations.
    expect(html).toMatch(/Ready: <span class="state ok">/);
    expect(html).toMatch(/<caption id="timeline-caption">/);
    expect(html).toMatch(/\(\+\d+ (ms|s)\)/);
    // Semantic tables: captions and scoped headers.
    expect(html).toMatch(/<th scope="col">Kind<\/th>/);
    expect(html).toMatch(/<th scope="row">/);
    // Never the manifest body: a field only the body holds does not appear.
    expect(html).not.toContain('os.modelarts/name');
  });

  it('sends headers that keep the link token and the page to itself', async () => {
    const response = await page(`/ui/requests/${done}?t=link:${done}`);
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    // The inline script runs only because its hash is allowed.
    const script = (await response.text()).match(/<script>([\s\S]*?)<\/script>/)![1]!;
    const { createHash } = await import('node:crypto');
    expect(csp).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
  });

  it('marks a request still in progress as live, with each resource in its current state', async () => {
    const html = await (await page(`/ui/requests/${pending}`, session(['read-all']))).text();
    expect(html).toMatch(/<main [^>]*data-live="true"/);
    expect(html).toMatch(/data-poll-ms="3000"/);
    const rows = resourceRows(html);
    expect(rows).toHaveLength(4);
    for (const [, , state] of rows) expect(['Queued', 'WaitingForDependency']).toContain(state);
    expect(html).toContain('<span class="muted">not yet</span>');
    expect(html).toMatch(/so far/);
    expect(html).toContain('sent by api:ci');
  });

  it("shows a failure with Huawei's reason and message, in red and in words", async () => {
    const html = await (await page(`/ui/requests/${failed}?t=link:${failed}`)).text();
    const [row] = resourceRows(html);
    expect(row![2]).toBe('Failed');
    expect(html).toContain('<span class="state bad"><span aria-hidden="true">✕ </span>Failed</span>');
    const resource = (await h.request(failed))!.resources[0]!;
    expect(resource.message).toBeTruthy();
    expect(html).toContain(resource.message!.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'));
    expect(html).toMatch(/<dd data-state="Failed">/);
  });

  it('escapes hostile text from the source and never links a non-http URL', async () => {
    const hostile: RequestSource = {
      provider: 'github',
      ref: 'octo/infra@<script>alert(1)</script>',
      repository: 'octo/infra',
      commit: 'abc',
      branch: '"><img src=x onerror=alert(2)>',
      url: 'javascript:alert(3)',
      user: 'github:<b>mallory</b>',
    };
    const id = await h.submitYaml(allKinds('uihostile'), hostile);
    const html = await (await page(`/ui/requests/${id}?t=link:${id}`)).text();
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('github:&lt;b&gt;mallory&lt;/b&gt;');
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain('>commit</a>');
  });

  it('answers 404 for an unknown, malformed or foreign request, as a page', async () => {
    const unknown = randomRequestId();
    for (const [path, viewer] of [
      [`/ui/requests/${unknown}`, linkTo(unknown)],
      [`/ui/requests/%3Cscript%3Ealert(1)%3C%2Fscript%3E`, session(['read-all'])],
      [`/ui/requests/req_not-an-id`, session(['read-all'])],
      // A link to another request, and a session that neither reads all nor owns it.
      [`/ui/requests/${done}`, linkTo(pending)],
      [`/ui/requests/${done}`, session(['submit'], ['github:someone-else'])],
    ] as const) {
      const response = await page(path, viewer);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await response.text();
      expect(html).toContain('<h1>Not found</h1>');
      expect(html).not.toContain('<script>alert(1)');
    }
  });

  it('lets the pusher and an approver see it only as the contract says', async () => {
    expect((await page(`/ui/requests/${done}`, session(['submit'], ['github:octocat']))).status).toBe(200);
    expect((await page(`/ui/requests/${pending}`, { kind: 'token', caller: { caller: 'ci', token: 'x', roles: ['submit'] } })).status).toBe(
      200,
    );
    expect((await page(`/ui/requests/${done}`, { kind: 'token', caller: { caller: 'ci', token: 'x', roles: ['submit'] } })).status).toBe(
      404,
    );
  });

  it('sends a stranger to sign in, and says so when a link no longer works', async () => {
    const response = await page(`/ui/requests/${done}`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${LOGIN}?returnTo=${encodeURIComponent(`/ui/requests/${done}`)}`);
    const expired = await page(`/ui/requests/${done}?t=expired&view=full`);
    expect(expired.status).toBe(401);
    const html = await expired.text();
    expect(html).toContain('This link is not valid any more');
    // The sign-in link does not carry the dead token along.
    expect(html).toContain(`href="${LOGIN}?returnTo=${encodeURIComponent(`/ui/requests/${done}?view=full`)}"`);
  });

  it('answers a failure to read the table with a 500 page, and logs why', async () => {
    const lines: string[] = [];
    const broken = createUiApp({
      table: { ddb: h.deps.table.ddb, tableName: 'no-such-table' },
      viewer: viewerFrom(session(['read-all'])),
      loginUrl: () => LOGIN,
      logger: { error: (message, extra) => lines.push(`${message} ${JSON.stringify(extra)}`) },
    });
    const response = await broken.request(`/ui/requests/${done}`);
    expect(response.status).toBe(500);
    const html = await response.text();
    expect(html).toContain('<h1>Something went wrong</h1>');
    expect(html).not.toContain('no-such-table');
    expect(lines).toEqual([expect.stringMatching(/^ui page failed .*ResourceNotFoundException/)]);
  });

  it('serves the stylesheet under its content hash with a long cache life', async () => {
    const html = await (await page(`/ui/requests/${done}?t=link:${done}`)).text();
    const href = html.match(/<link rel="stylesheet" href="([^"]+)"/)![1]!;
    expect(href).toMatch(/^\/ui\/style\.css\?v=[0-9a-f]{16}$/);
    const css = await page(href);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await css.text()).toContain(':focus-visible');
    expect((await page('/ui/style.css?v=old')).headers.get('cache-control')).toBe('public, max-age=300');
  });

  it('is mounted by the HTTP app at /ui, by default behind the sign-in', async () => {
    const services = () => ({
      intake: { table: h.deps.table, dispatch: h.deps.dispatch, defaults: { projectId: 'p', region: 'cn-north-4' } },
      intakeQueue: { sqs: h.stack.sqs, queueUrl: h.stack.queues.intake.url },
      trackedBranches: [],
    });
    const base = { logger: memoryLogger(), secrets: async () => SECRETS, services };
    const app = createWholeApp({ ...base, ui: { viewer: viewerFrom(), loginUrl: (to) => `${LOGIN}?returnTo=${encodeURIComponent(to)}` } });
    const response = await app.request(`/ui/requests/${done}?t=link:${done}`);
    expect(response.status).toBe(200);
    expect(resourceRows(await response.text())).toHaveLength(4);
    expect((await app.request('/ui/nothing-here')).status).toBe(404);
    const signIn = await createWholeApp(base).request(`/ui/requests/${done}`);
    expect(signIn.status).toBe(302);
    expect(signIn.headers.get('location')).toBe(`/ui/login?returnTo=${encodeURIComponent(`/ui/requests/${done}`)}`);
  });
});

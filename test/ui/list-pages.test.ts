/**
 * The requests list and the inventory rendered through app.request() against DynamoDB Local, over requests
 * intake recorded and the real dispatcher and poller carried through against the Huawei simulator.
 */
import type { Context } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestSource } from '../../shared/store/types';
import type { Viewer } from '../../shared/http/viewer';
import { createUiApp } from '../../shared/ui/app';
import { InventoryPage } from '../../shared/ui/list-pages';
import { notebook, startHarness, type Harness } from '../execution/harness';

const LOGIN = 'https://issuer.example/login';
const octocat: RequestSource = {
  provider: 'github',
  ref: 'octo/infra@4f2c9e1',
  repository: 'octo/infra',
  commit: '4f2c9e1',
  url: 'https://github.com/octo/infra/commit/4f2c9e1',
  user: 'github:octocat',
};
const ci: RequestSource = { provider: 'api', ref: 'api:ci', caller: 'ci', user: 'api:ci' };
const jira: RequestSource = {
  provider: 'jira',
  ref: 'OPS-7',
  ticket: 'OPS-7',
  url: 'https://jira.example/browse/OPS-7',
  user: 'jira:5b10a',
};
const hostile: RequestSource = { provider: 'api', ref: 'api:<script>alert(1)</script>', caller: 'evil', user: 'api:<img src=x>' };

const session = (roles: ('read-all' | 'approve' | 'submit')[], identities: string[] = []): Viewer => ({
  kind: 'session',
  subject: 'sub-1',
  name: 'Alice',
  roles,
  identities,
});
const token = (caller: string, roles: ('read-all' | 'submit')[] = ['submit']): Viewer => ({
  kind: 'token',
  caller: { caller, token: 'x', roles },
});

/** Request ids in the list's order. */
const listed = (html: string) => [...html.matchAll(/<tr data-request-id="([^"]+)">/g)].map((m) => m[1]!);
/** Inventory rows as [kind, name, data-state]. */
const inventory = (html: string) =>
  [...html.matchAll(/<tr data-kind="([^"]*)" data-name="([^"]*)">[\s\S]*?data-state="([^"]*)"/g)].map((m) => [m[1]!, m[2]!, m[3]!]);
const older = (html: string) => html.match(/<a href="([^"]+)">Older →<\/a>/)?.[1]?.replace(/&amp;/g, '&');

describe('requests list and inventory', () => {
  let h: Harness;
  const ids: Record<string, string> = {};

  const page = (path: string, viewer: Viewer | undefined) =>
    createUiApp({
      table: h.deps.table,
      viewer: async (_c: Context) => viewer,
      loginUrl: (to) => `${LOGIN}?returnTo=${encodeURIComponent(to)}`,
    }).request(path);
  const html = async (path: string, viewer: Viewer) => {
    const response = await page(path, viewer);
    expect(response.status, path).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    h = await startHarness();
    // Oldest first; each is carried to its end so its managed resource exists.
    for (const [name, source] of [
      ['octocat', octocat],
      ['ci', ci],
      ['jira', jira],
      ['hostile', hostile],
    ] as const) {
      ids[name] = await h.submitYaml(notebook(`ls${name}`), source);
      await h.drive(ids[name]!);
    }
  }, 60_000);
  afterAll(() => h.close());

  it('sends anyone who has not signed in, or holds only a link, to sign in', async () => {
    for (const viewer of [undefined, { kind: 'link', requestId: 'req_x', expiresAt: '2027-01-01T00:00:00Z' } as Viewer]) {
      for (const path of ['/ui?state=Failed', '/ui/resources']) {
        const response = await page(path, viewer);
        expect(response.status).toBe(302);
        expect(response.headers.get('location')).toBe(`${LOGIN}?returnTo=${encodeURIComponent(path)}`);
      }
    }
  });

  it('redirects a trailing slash to the page without one', async () => {
    const response = await page('/ui/resources/?kind=Notebook', session(['read-all']));
    expect(response.status).toBe(301);
    expect(new URL(response.headers.get('location')!).pathname + new URL(response.headers.get('location')!).search).toBe(
      '/ui/resources?kind=Notebook',
    );
  });

  it('lists every request newest first for a reader of all, each with its state in words and a link to its page', async () => {
    const text = await html('/ui', session(['read-all']));
    expect(listed(text)).toEqual([ids.hostile, ids.jira, ids.ci, ids.octocat]);
    expect(text).toMatch(/<main [^>]*data-live="false"/);
    expect(text).toContain(`<a href="/ui/requests/${ids.octocat}">`);
    expect(text).toMatch(new RegExp(`data-request-id="${ids.octocat}">[\\s\\S]*?<td data-state="Succeeded"><span class="state ok">`));
    expect(text).toContain('<a href="https://jira.example/browse/OPS-7" rel="noreferrer noopener">ticket</a>');
    expect(text).toContain('<caption id="requests-caption">');
    expect(text).toContain('Every request (you may read all).');
  });

  it('filters by source, state and "mine" from the GET form, and keeps the choice selected', async () => {
    const jiraOnly = await html('/ui?source=jira&state=&mine=', session(['read-all']));
    expect(listed(jiraOnly)).toEqual([ids.jira]);
    expect(jiraOnly).toContain('<option value="jira" selected="">jira</option>');
    expect(listed(await html('/ui?state=Failed', session(['read-all'])))).toEqual([]);
    expect(listed(await html('/ui?state=Succeeded', session(['read-all'])))).toHaveLength(4);
    const mine = await html('/ui?mine=true', session(['read-all'], ['github:octocat']));
    expect(listed(mine)).toEqual([ids.octocat]);
    expect(mine).toMatch(/<input type="checkbox" name="mine" value="true" checked=""/);
  });

  it('shows others only their own requests', async () => {
    expect(listed(await html('/ui', session(['submit'], ['github:octocat'])))).toEqual([ids.octocat]);
    expect(listed(await html('/ui', token('ci')))).toEqual([ids.ci]);
    const nobody = await html('/ui', session(['submit']));
    expect(listed(nobody)).toEqual([]);
    expect(nobody).toContain('No request matches.');
  });

  it('pages with "Older →", keeping the filters, without repeating or skipping a request', async () => {
    const first = await html('/ui?limit=3&source=', session(['read-all']));
    expect(listed(first)).toEqual([ids.hostile, ids.jira, ids.ci]);
    const next = older(first)!;
    expect(next).toMatch(/^\/ui\?limit=3&cursor=/);
    const second = await html(next, session(['read-all']));
    expect(listed(second)).toEqual([ids.octocat]);
    expect(second).toContain('↑ Newest');
    const filtered = older(await html('/ui?limit=1&source=api', session(['read-all'])))!;
    expect(filtered).toMatch(/source=api/);
    expect(listed(await html(filtered, session(['read-all'])))).toEqual([ids.ci]);
  });

  it('answers a filter it cannot apply with a 400 page, not a 500', async () => {
    for (const path of ['/ui?state=Nope', '/ui?cursor=not-a-cursor', '/ui?source=github&source=jira', '/ui/resources?kind=Teapot']) {
      const response = await page(path, session(['read-all']));
      expect(response.status, path).toBe(400);
      expect(await response.text()).toContain('This page cannot be shown');
    }
  });

  it('escapes hostile text in a list row', async () => {
    const text = await html('/ui', session(['read-all']));
    expect(text).not.toContain('<script>alert(1)');
    expect(text).toContain('api:&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).not.toContain('<img src=x>');
  });

  it('lists every managed resource with owner, conditions and last request for a reader of all', async () => {
    const text = await html('/ui/resources', session(['read-all']));
    const rows = inventory(text);
    expect(rows.map(([, name]) => name).sort()).toEqual(['nb-lsci', 'nb-lshostile', 'nb-lsjira', 'nb-lsoctocat']);
    for (const [, , state] of rows) expect(state).toBe('Succeeded');
    expect(text).toContain('<code>github:octo/infra</code>');
    expect(text).toMatch(/<td data-condition="True"><span class="state ok"><span aria-hidden="true">✓ <\/span>True<\/span>/);
    expect(text).toContain(`<a href="/ui/requests/${ids.jira}">`);
    expect(text).toContain('<caption id="inventory-caption">');
    // The owner can be chosen by a reader of all only.
    expect(text).toContain('name="owner"');
    const byOwner = await html(`/ui/resources?owner=${encodeURIComponent('jira:OPS')}`, session(['read-all']));
    expect(inventory(byOwner).map(([, name]) => name)).toEqual(['nb-lsjira']);
    expect(inventory(await html('/ui/resources?kind=ResourcePool', session(['read-all'])))).toEqual([]);
    const paged = await html('/ui/resources?limit=2', session(['read-all']));
    expect(inventory(paged)).toHaveLength(2);
    expect(inventory(await html(older(paged)!, session(['read-all'])))).toHaveLength(2);
  });

  it("shows an API caller its own namespace's resources only, whatever owner it asks for", async () => {
    const text = await html(`/ui/resources?owner=${encodeURIComponent('github:octo/infra')}`, token('ci'));
    expect(inventory(text).map(([, name]) => name)).toEqual(['nb-lsci']);
    expect(text).not.toContain('name="owner"');
    const unlinked = await html('/ui/resources', session(['submit'], ['github:octocat']));
    expect(inventory(unlinked)).toEqual([]);
    expect(unlinked).toContain('the inventory needs read-all');
  });

  it('shows a drift diff field by field, hiding values of secret-looking fields', () => {
    const condition = { status: 'True' as const, reason: 'Available', lastTransitionTime: '2026-12-04T10:00:00.000Z' };
    const text = InventoryPage({
      data: {
        items: [
          {
            projectId: 'p',
            kind: 'Notebook',
            name: 'nb-drift',
            region: 'cn-north-4',
            owner: 'api:ci',
            source: { provider: 'api', ref: 'api:ci' },
            generation: 1,
            requestId: 'req_0000000000000000000000000a',
            state: 'Succeeded',
            conditions: { Ready: condition, Synced: { ...condition, status: 'False', reason: 'Drifted' }, Healthy: condition },
            drift: [
              { path: 'spec.body.flavor', desired: 'modelarts.vm.cpu.2u', observed: '<b>modelarts.vm.cpu.8u</b>' },
              { path: 'spec.body.endpoints[0].password', desired: 'hunter2', observed: 'hunter3' },
            ],
            createdAt: '2026-12-04T10:00:00.000Z',
            updatedAt: '2026-12-04T10:00:00.000Z',
          },
        ],
        paged: false,
        filters: {},
        kinds: ['Notebook'],
        ownerChoice: false,
        scope: '',
        consoleUrl: () => undefined,
      },
    }).toString();
    expect(text).toContain('2 fields differ');
    expect(text).toContain('<code>spec.body.flavor</code>: manifest <code>&quot;modelarts.vm.cpu.2u&quot;</code>');
    expect(text).toContain('&lt;b&gt;modelarts.vm.cpu.8u&lt;/b&gt;');
    expect(text).not.toContain('hunter');
    expect(text).toContain('(hidden)');
    expect(text).toMatch(/<td data-condition="False"><span class="state bad">/);
  });
});

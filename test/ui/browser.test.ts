/**
 * The pages in a real browser (Debian's Chromium through playwright-core) on the local stack with its fake
 * providers and its OIDC issuer: a reviewer opens the link of a commit status and watches the request finish
 * without an account; the list and the inventory need signing in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium } from '../../local/chromium';
import { runSend } from '../../local/send';
import { startStack, type RunningStack } from '../../local/stack';

/** Long enough that the page is opened while both resources are still being created, so it must refresh itself. */
const CREATE_MS = 8_000;
const SETTLE = { timeout: 30_000 };

interface Row {
  cells: string[];
  state: string | undefined;
}

/** Every resource row of the page's tables: its first two cells (kind, name) and the state its state cell carries. */
const rows = (page: Page): Promise<Row[]> =>
  page.locator('main table tr:has([data-state])').evaluateAll((trs) =>
    trs.map((tr) => ({
      cells: [...tr.querySelectorAll('td, th')].slice(0, 2).map((cell) => cell.textContent?.trim() ?? ''),
      state: tr.querySelector('[data-state]')?.getAttribute('data-state') ?? undefined,
    })),
  );

/** What a row's state cell says, the label beside the colour. */
const stateLabels = (page: Page): Promise<string[]> =>
  page.locator('main table tr [data-state]').evaluateAll((cells) => cells.map((cell) => cell.textContent?.trim() ?? ''));

describe('the pages in Chromium on the local stack', () => {
  let stack: RunningStack;
  let dir: string;
  let browser: Browser;
  let reviewer: BrowserContext;
  let requestId: string;
  let sha: string;
  const names: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hwcp-ui-'));
    delete process.env.HUAWEICLOUD_SDK_AK;
    process.env.POLL_INTERVAL_SECONDS = '0.5';
    process.env.WAIT_RECHECK_SECONDS = '0.5';
    [stack, browser] = await Promise.all([
      startStack({
        stateDir: dir,
        port: 0,
        fakeProviders: true,
        prefix: `ui${process.pid}`,
        emulators: { sqsEndpoint: inject('sqsEndpoint'), dynamodbEndpoint: inject('dynamodbEndpoint') },
        print: () => undefined,
      }),
      launchChromium(),
    ]);
    const configured = await fetch(`${stack.simulatorUrl}/__sim/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ durations: { Notebook: CREATE_MS, EdgeDeployment: CREATE_MS } }),
    });
    expect(configured.status).toBe(200);
    reviewer = await browser.newContext();
    // The commit lives on github.com, which a test must not reach: the browser is answered by a stand-in.
    await reviewer.route(
      (url) => url.hostname !== '127.0.0.1',
      (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>commit</title><h1>the commit</h1>' }),
    );
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens the link of a commit status and sees every resource reach Succeeded without reloading, then the commit', async () => {
    const fake = stack.fake!.providers;
    const sent = await runSend(['github-push'], { env: { LOCAL_STATE_DIR: dir }, cwd: dir, print: () => undefined });
    expect(sent.status).toBe(202);
    requestId = sent.requestId!;
    sha = sent.push!.after;
    const statusLink = () => fake.feedback.statuses.find((s) => s.sha === sha && s.target_url)?.target_url;
    await expect.poll(statusLink, SETTLE).toBeDefined();
    const link = statusLink()!;
    expect(link).toMatch(new RegExp(`^${stack.apiUrl}/ui/requests/${requestId}\\?t=[^&]+$`));

    const page = await reviewer.newPage();
    let loads = 0;
    page.on('load', () => loads++);
    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    await page.locator('main h1').waitFor();
    // Opened while the simulator is still creating: the page says it is live, and no row is finished yet.
    expect(await page.locator('main').getAttribute('data-live')).toBe('true');

    await expect
      .poll(() => rows(page), SETTLE)
      .toEqual([expect.objectContaining({ state: 'Succeeded' }), expect.objectContaining({ state: 'Succeeded' })]);
    const settled = await rows(page);
    for (const row of settled) names.push(row.cells[1]!);
    expect(settled.map((r) => r.cells[0]).sort()).toEqual(['EdgeDeployment', 'Notebook']);
    expect(names.sort()).toEqual([expect.stringMatching(/^app-[0-9a-f]{4}$/), expect.stringMatching(/^notebooks-test-[0-9a-f]{4}$/)]);
    // The colour is never alone: each state cell says it in words.
    expect(await stateLabels(page)).toEqual([expect.stringMatching(/\bSucceeded$/), expect.stringMatching(/\bSucceeded$/)]);
    // Everything is terminal: the page stops polling, and it never reloaded itself to get here.
    await expect.poll(() => page.locator('main').getAttribute('data-live'), SETTLE).toBe('false');
    expect(loads).toBe(1);
    expect(page.url()).toBe(link);

    const commit = page.getByRole('link', { name: /commit/i });
    expect(await commit.getAttribute('href')).toContain(sha);
    const opened = (await commit.getAttribute('target')) === '_blank' ? reviewer.waitForEvent('page') : Promise.resolve(page);
    await commit.click();
    const target = await opened;
    await target.waitForURL((url) => url.href.includes(sha));
    expect(await target.locator('h1').textContent()).toBe('the commit');
  }, 60_000);

  it('refuses the list to the link and to nobody, and shows the list and inventory to alice once she signs in', async () => {
    // The link is for its one request: the reviewer's browser is not signed in for anything else.
    const refused = await fetch(`${stack.apiUrl}/ui`, { redirect: 'manual' });
    expect(refused.status).toBe(302);
    expect(refused.headers.get('location')).toMatch(/\/ui\/login\?returnTo=/);

    const page = await reviewer.newPage();
    const landed = await page.goto(`${stack.apiUrl}/ui`);
    const hops: string[] = [];
    for (let request = landed?.request() ?? null; request; request = request.redirectedFrom()) hops.unshift(request.url());
    expect(hops.slice(0, 2)).toEqual([`${stack.apiUrl}/ui`, `${stack.apiUrl}/ui/login?returnTo=%2Fui`]);
    // Sent on to the local issuer's sign-in form: no list, no table.
    expect(new URL(page.url()).origin).toBe(new URL(stack.oidcIssuer!.url).origin);
    const username = page.locator('input[name="username"]');
    await username.waitFor();
    expect(await page.locator('table').count()).toBe(0);

    await username.fill('alice');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.origin === stack.apiUrl && url.pathname === '/ui', SETTLE);
    expect(await page.locator('header').textContent()).toContain('alice');
    const listed = page.locator('main table tr', { hasText: requestId });
    await listed.waitFor();
    expect(await listed.count()).toBe(1);
    expect(await listed.textContent()).toContain('Succeeded');

    await page.goto(`${stack.apiUrl}/ui/resources`);
    await page.locator('main h1').waitFor();
    const inventory = (await rows(page)).filter((row) => names.includes(row.cells[1]!));
    expect(inventory.map((row) => [row.cells[0], row.state]).sort()).toEqual([
      ['EdgeDeployment', 'Succeeded'],
      ['Notebook', 'Succeeded'],
    ]);
  }, 60_000);
});

/**
 * `npm run screenshots`: the README's pictures of the pages, taken in Debian's Chromium from a throwaway local stack
 * (its own emulators, the simulator, the fake providers and the OIDC issuer). It provisions a mix people meet: a push
 * of every kind that succeeds, a push whose notebook fails, a ticket, a resource changed by hand in the simulator
 * (drift) and a request still creating; then signs in as alice and writes docs/screenshots/: request.png,
 * requests.png and resources.png 1280 wide, and request-phone.png at a phone's width.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SIMULATOR_DEFAULTS } from '../local/huaweicloud-simulator/index';
import { launchChromium } from '../local/chromium';
import { runSend } from '../local/send';
import { startStack, type RunningStack } from '../local/stack';
import { HuaweiCloudClient } from '../shared/huaweicloud/client';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'docs/screenshots');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const TERMINAL = new Set(['Succeeded', 'PartiallyFailed', 'Failed', 'Rejected', 'Expired']);

const say = (line: string) => process.stderr.write(`[screenshots] ${line}\n`);

async function until<T>(what: string, look: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await look();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface RequestView {
  state: string;
  resources: { kind: string; name: string; huaweiId?: string | null }[];
}

async function provision(stack: RunningStack, token: string, dir: string): Promise<{ link: string }> {
  const api = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as T };
  };
  const finished = (requestId: string) =>
    until(`request ${requestId}`, async () => {
      const { status, body } = await api<RequestView>(`/requests/${requestId}`);
      return status === 200 && TERMINAL.has(body.state) ? body : undefined;
    });
  const send = async (...argv: string[]) => {
    const result = await runSend(argv, { env: { LOCAL_STATE_DIR: dir }, cwd: ROOT, print: () => undefined });
    if (result.status !== 202 || !result.requestId) throw new Error(`local:send ${argv.join(' ')} answered ${result.status}`);
    return result;
  };

  say('a push of every kind (examples/all-kinds.yaml), a push whose notebook fails, a Jira ticket');
  const everyKind = await send('github-push', 'examples/all-kinds.yaml');
  const failing = await send('gitlab-push', '--fail');
  const ticket = await send('jira');
  const done = await finished(everyKind.requestId!);
  await Promise.all([finished(failing.requestId!), finished(ticket.requestId!)]);

  // Somebody changes the notebook in the console: the next look for drift reports it (driftPolicy Observe).
  const notebook = done.resources.find((r) => r.kind === 'Notebook')!;
  const projectId = process.env.HUAWEICLOUD_SDK_PROJECT_ID || SIMULATOR_DEFAULTS.projectId;
  const outside = new HuaweiCloudClient({
    credentials: { ak: SIMULATOR_DEFAULTS.ak, sk: SIMULATOR_DEFAULTS.sk },
    modelartsEndpoint: stack.simulatorUrl!,
    iefEndpoint: stack.simulatorUrl!,
  });
  await outside.send({
    operation: 'change by hand',
    callKind: 'update',
    method: 'PUT',
    service: 'modelarts',
    path: `/v1/${projectId}/notebooks/${notebook.huaweiId}`,
    target: { projectId, region: 'cn-north-4' },
    body: { description: 'resized by hand in the console' },
  });
  say(`changed ${notebook.name} in the simulator; waiting for the look that finds the drift`);
  await until(
    'the drift report',
    async () => {
      const { status, body } = await api<{ drift?: unknown[] }>(`/resources/Notebook/${notebook.name}`);
      return status === 200 && (body.drift?.length ?? 0) > 0 ? true : undefined;
    },
    120_000,
  );

  // Last, a push that stays in progress, so the list shows one still running.
  await fetch(`${stack.simulatorUrl}/__sim/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ durations: { Notebook: 3_600_000, EdgeDeployment: 3_600_000 } }),
  });
  const running = await send('github-push');
  await until('the running push to start creating', async () => {
    const { status, body } = await api<{ resources: { state: string }[] }>(`/requests/${running.requestId}`);
    return status === 200 && body.resources.some((r) => r.state === 'Creating') ? true : undefined;
  });

  const statuses = stack.fake!.providers.feedback.statuses;
  const link = statuses.find((s) => s.sha === everyKind.push!.after && s.target_url)?.target_url;
  if (!link) throw new Error('no commit status carried a link to the request page');
  return { link };
}

/** The page once it stopped refreshing itself (everything shown is terminal) or, for a live one, once it is drawn. */
async function settled(page: Page): Promise<void> {
  await page.locator('main h1').waitFor();
  await page.locator('main:not([data-live="true"])').waitFor({ timeout: 30_000 });
}

async function capture(browser: Browser, apiUrl: string, link: string): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const desktop = await browser.newContext({ viewport: DESKTOP });
  const page = await desktop.newPage();
  await page.goto(link);
  await settled(page);
  await page.screenshot({ path: join(OUT, 'request.png'), fullPage: true });

  const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const small = await phone.newPage();
  await small.goto(link);
  await settled(small);
  // One screen of it, as a phone shows it first.
  await small.screenshot({ path: join(OUT, 'request-phone.png') });

  say('signing in as alice through the local issuer');
  await page.goto(`${apiUrl}/ui`);
  await page.locator('input[name="username"]').fill('alice');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.origin === apiUrl && url.pathname === '/ui');
  await page.locator('main h1').waitFor();
  await page.screenshot({ path: join(OUT, 'requests.png'), fullPage: true });
  await page.goto(`${apiUrl}/ui/resources`);
  await page.locator('main h1').waitFor();
  await page.screenshot({ path: join(OUT, 'resources.png'), fullPage: true });
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Never real Huawei resources: the simulator, whatever the shell holds.
  delete process.env.HUAWEICLOUD_SDK_AK;
  const token = randomBytes(24).toString('base64url');
  Object.assign(process.env, {
    API_TOKENS: `screenshots:submit+read-all=${token}`,
    POLL_INTERVAL_SECONDS: '1',
    WAIT_RECHECK_SECONDS: '1',
    // Looks for drift every 15 s, so the changed notebook is reported within the run.
    DRIFT_INTERVAL_MINUTES: '0.25',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  const dir = mkdtempSync(join(tmpdir(), 'hwcp-screenshots-'));
  let stack: RunningStack | undefined;
  let browser: Browser | undefined;
  try {
    say('starting the local stack');
    stack = await startStack({ stateDir: dir, port: 0, fakeProviders: true, prefix: 'hwcp-shots', print: () => undefined });
    const { link } = await provision(stack, token, dir);
    browser = await launchChromium();
    await capture(browser, stack.apiUrl, link);
    say(`wrote ${['request.png', 'request-phone.png', 'requests.png', 'resources.png'].map((f) => `docs/screenshots/${f}`).join(', ')}`);
  } finally {
    await browser?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);

/**
 * `npm start -- --fake-providers` end to end: the stack's own startStack (on the run's shared emulators),
 * its fake GitHub/Jira/subscriber on one base URL, and `npm run local:send` making commits and signed
 * webhooks. What users see is what the fakes record and what the stack prints.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adfToText } from '../../local/fake-providers/printer';
import { sendStatePath } from '../../local/fake-providers/demo';
import { runSend } from '../../local/send';
import { startStack, type RunningStack } from '../../local/stack';
import { verifyLink } from '../../shared/http/links';
import { PLAN_MARKER } from '../../shared/notify/render';

async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm start -- --fake-providers with npm run local:send', () => {
  let stack: RunningStack;
  let dir: string;
  const printed: string[] = [];
  const sent: string[] = [];
  const send = (...argv: string[]) => runSend(argv, { env: { LOCAL_STATE_DIR: dir }, cwd: dir, print: (l) => sent.push(l) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hwcp-fake-providers-'));
    // The stack reads these as `npm start` would; this file's worker has its own process.env.
    delete process.env.HUAWEICLOUD_SDK_AK;
    process.env.POLL_INTERVAL_SECONDS = '0.5';
    process.env.WAIT_RECHECK_SECONDS = '0.5';
    stack = await startStack({
      stateDir: dir,
      port: 0,
      fakeProviders: true,
      prefix: `fp${process.pid}`,
      emulators: { sqsEndpoint: inject('sqsEndpoint'), dynamodbEndpoint: inject('dynamodbEndpoint') },
      print: (line) => printed.push(line),
    });
  });
  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('points every feedback variable at the fakes and leaves the send script a private state file', () => {
    const fake = stack.fake!.providers;
    expect(process.env.GITHUB_API_URL).toBe(fake.githubUrl);
    expect(process.env.GITLAB_API_URL).toBe(fake.gitlabUrl);
    expect(process.env.JIRA_BASE_URL).toBe(fake.jiraUrl);
    expect(JSON.parse(process.env.WEBHOOK_SUBSCRIBERS!)).toEqual([
      { url: fake.subscriberUrl('local'), secret: expect.stringMatching(/^whsec_/) },
    ]);
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(statSync(sendStatePath(dir)).mode & 0o777).toBe(0o600);
    const [github] = fake.repositories();
    expect(Object.keys(fake.git.commits.get(github!.head)!)).toContain('provisioning/examples/all-kinds.yaml');
  });

  it('a push gets pending then success statuses per resource, printed as they arrive, and signed webhooks', async () => {
    const fake = stack.fake!.providers;
    const result = await send('github-push');
    expect(result.status).toBe(202);
    const sha = result.push!.after;
    expect(result.push!.changed).toEqual([expect.stringMatching(/^provisioning\/demo-[0-9a-f]{4}\.yaml$/)]);
    const mine = () => fake.feedback.statuses.filter((s) => s.sha === sha);
    await waitFor('two success statuses', () => mine().filter((s) => s.state === 'success').length === 2 || undefined);
    const contexts = [...new Set(mine().map((s) => s.context))].sort();
    expect(contexts).toEqual([
      expect.stringMatching(/^hwc-provisioner\/EdgeDeployment\/app-/),
      expect.stringMatching(/^hwc-provisioner\/Notebook\/notebooks-test-/),
    ]);
    for (const context of contexts)
      expect(
        mine()
          .filter((s) => s.context === context)
          .map((s) => s.state),
      ).toEqual(['pending', 'success']);
    // "Details" opens the request's page with a read-only token signed with the stack's UI_SIGNING_KEY.
    const details = new URL(mine()[0]!.target_url!);
    expect(`${details.origin}${details.pathname}`).toBe(`${stack.apiUrl}/ui/requests/${result.requestId}`);
    expect(verifyLink(details.searchParams.get('t')!, stack.generated.UI_SIGNING_KEY!, new Date(), result.requestId!).requestId).toBe(
      result.requestId,
    );
    expect(printed.filter((l) => l.startsWith(`[github] status pending on acme/infra@${sha.slice(0, 8)}`))).toHaveLength(2);
    await waitFor(
      'the completed webhook',
      () => fake.feedback.deliveries.some((d) => JSON.parse(d.body).type === 'hwc-provisioner.request.completed') || undefined,
    );
    expect(fake.feedback.deliveries.every((d) => d.verified && d.status === 200)).toBe(true);
    expect(printed.some((l) => l.startsWith('[webhook] local received hwc-provisioner.request.accepted'))).toBe(true);
    expect(fake.feedback.refused).toEqual([]);
  });

  it('a pull request gets one plan comment, edited in place by a second commit', async () => {
    const fake = stack.fake!.providers;
    const opened = await send('github-pr');
    expect(opened).toMatchObject({ status: 202, pull: { number: 1, action: 'opened' } });
    const plans = () => [...fake.feedback.comments.values()].filter((c) => c.body.includes(PLAN_MARKER));
    await waitFor('a plan comment', () => plans().length === 1 || undefined);
    expect(plans()[0]!.body).toContain('**2 to create.**');
    expect(
      printed.some(
        (l) => l.startsWith('[github] comment') && l.includes('created on pull request acme/infra#1') && l.includes('➕ will be created'),
      ),
    ).toBe(true);

    writeFileSync(join(dir, 'broken.yaml'), 'apiVersion: hwc-provisioner/v1\nkind: Notebook\nmetadata: {name: Broken}\nspec: {}\n');
    const updated = await send('github-pr', '--pr', '1', 'broken.yaml');
    expect(updated).toMatchObject({ status: 202, pull: { number: 1, action: 'synchronize', changed: ['provisioning/broken.yaml'] } });
    await waitFor('the edited plan', () => plans()[0]!.edits === 1 || undefined);
    expect(plans()).toHaveLength(1);
    expect(plans()[0]!.body).toContain('❌ invalid');
    expect(fake.feedback.commentCalls.map((c) => c.method)).toEqual(['POST', 'PATCH']);
    // The status follows the comment: one per head commit.
    const planStatuses = () => fake.feedback.statuses.filter((s) => s.context === 'hwc-provisioner/plan');
    await waitFor('the second plan status', () => planStatuses().length === 2 || undefined);
    expect(planStatuses().map((s) => [s.sha, s.state])).toEqual([
      [opened.pull!.head, 'success'],
      [updated.pull!.head, 'failure'],
    ]);
    expect(fake.feedback.refused).toEqual([]);
  });

  it('a Jira ticket gets the acceptance and results comments, printed as text', async () => {
    const fake = stack.fake!.providers;
    const result = await send('jira', '--fail');
    expect(result).toMatchObject({ status: 202, issue: 'OPS-1' });
    await waitFor('two Jira comments', () => fake.feedback.jira.filter((j) => j.key === 'OPS-1').length === 2 || undefined);
    const results = adfToText(fake.feedback.jira[1]!.body);
    expect(results).toContain('partially failed');
    expect(results).toMatch(/`Notebook\/notebooks-test-[0-9a-f]{4}` \| Failed +\| \S+ +\| CREATE_FAILED: /);
    expect(printed.some((l) => l.startsWith('[jira] comment on OPS-1:\n') && l.includes('queued for creation'))).toBe(true);
  });

  it('refuses to send without a running stack, saying how to start one', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hwcp-no-stack-'));
    await expect(runSend(['github-push'], { env: { LOCAL_STATE_DIR: empty }, cwd: empty, print: () => undefined })).rejects.toThrow(
      /npm start -- --fake-providers/,
    );
    rmSync(empty, { recursive: true, force: true });
  });
});

describe('adfToText', () => {
  it('renders lists, code marks, links and tables as a Jira reader sees them', () => {
    const doc = {
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'see ' },
            { type: 'text', text: 'req_1', marks: [{ type: 'link', attrs: { href: 'https://x/requests/req_1' } }] },
          ],
        },
        {
          type: 'bulletList',
          content: [
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'A/b', marks: [{ type: 'code' }] }] }] },
          ],
        },
        {
          type: 'table',
          content: [
            {
              type: 'tableRow',
              content: [
                { type: 'tableHeader', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Resource' }] }] },
                { type: 'tableHeader', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'State' }] }] },
              ],
            },
            {
              type: 'tableRow',
              content: [
                { type: 'tableCell', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'A/b' }] }] },
                { type: 'tableCell', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Succeeded' }] }] },
              ],
            },
          ],
        },
      ],
    };
    expect(adfToText(doc)).toBe(
      ['see req_1 (https://x/requests/req_1)', '• `A/b`', 'Resource | State', '---------+----------', 'A/b      | Succeeded'].join('\n'),
    );
  });
});

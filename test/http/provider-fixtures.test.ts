/**
 * The providers' documented sample payloads (test/fixtures/README.md says where each came from), posted
 * through the app exactly as the providers send them: if a schema tightening ever refuses what GitLab or
 * Atlassian document, this fails before a real hook does.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalResources, type LocalStack } from '../setup/stack';
import { appFor, hubSignature, SECRETS } from './helpers';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const NOTEBOOK = readFileSync('examples/notebook.yaml', 'utf8');

describe('documented provider payloads through the app', () => {
  let stack: LocalStack;
  let app: ReturnType<typeof appFor>;

  beforeAll(async () => {
    stack = await useLocalResources();
    app = appFor(stack);
  });
  afterAll(() => stack.close());

  /** What the app queued for intake: the proof that a 202 was more than a status code. */
  const queued = async () => (await stack.drainQueue(stack.queues.intake.url, { waitMs: 300 })).map((body) => JSON.parse(body));

  const gitlab = (event: string, body: string) =>
    app.request('/webhooks/gitlab', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-gitlab-token': SECRETS.GITLAB_WEBHOOK_TOKEN!, 'x-gitlab-event': event },
    });

  const jira = (body: string) =>
    app.request('/webhooks/jira', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature': hubSignature(SECRETS.JIRA_WEBHOOK_SECRET!, body),
        'x-atlassian-webhook-identifier': 'fixture-delivery',
      },
    });

  it("GitLab's Push Hook example is accepted as a push of mike/diaspora at the documented commits", async () => {
    const response = await gitlab('Push Hook', fixture('gitlab/push.json'));
    expect(response.status).toBe(202);
    const { requestId } = (await response.json()) as { requestId: string };
    expect(requestId).toEqual(expect.any(String));
    expect(await queued()).toEqual([
      expect.objectContaining({
        type: 'gitlab.push',
        requestId,
        projectId: 15,
        repository: 'mike/diaspora',
        branch: 'master',
        before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
        after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      }),
    ]);
  });

  it("GitLab's Merge Request Hook example (action open, same-project source) is queued for a plan", async () => {
    const response = await gitlab('Merge Request Hook', fixture('gitlab/merge-request.json'));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ plan: true });
    expect(await queued()).toEqual([
      expect.objectContaining({
        type: 'gitlab.plan',
        projectId: 1,
        repository: 'gitlabhq/gitlab-test',
        iid: 1,
        baseRef: 'master',
        head: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      }),
    ]);
  });

  it(
    "Atlassian's jira:issue_created example is read: ignored as it " + 'stands (no yaml), a request once its description holds a manifest',
    async () => {
      // As documented, the description is prose: a 200 that says why, nothing queued.
      const asDocumented = await jira(fixture('jira/issue-created.json'));
      expect(asDocumented.status).toBe(200);
      expect(await asDocumented.json()).toMatchObject({ ignored: true, reason: expect.stringContaining('no yaml') });
      expect(await queued()).toEqual([]);

      // The same documented envelope with a manifest in the description: accepted and keyed to the ticket.
      const payload = JSON.parse(fixture('jira/issue-created.json'));
      payload.issue.fields.description = `Please provision:\n\`\`\`yaml\n${NOTEBOOK}\`\`\`\n`;
      const response = await jira(JSON.stringify(payload));
      expect(response.status).toBe(202);
      const { requestId } = (await response.json()) as { requestId: string };
      expect(await queued()).toEqual([
        expect.objectContaining({
          type: 'jira.issue',
          requestId,
          ticket: 'JRA-20002',
          url: 'https://your-domain.atlassian.net/browse/JRA-20002',
        }),
      ]);
    },
  );
});

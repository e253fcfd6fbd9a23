import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EVENT_TYPES } from '../../shared/events/cloudevents';
import { PLAN_MARKER } from '../../shared/notify/render';
import { allKinds } from '../execution/harness';
import { verifyLink } from '../../shared/http/links';
import { LINK_KEY, PUBLIC_BASE_URL, startRig, type Rig } from './rig';

/** Two manifests: a notebook the simulator fails (sim-fail flavor) and an edge deployment it creates. */
function manifests(suffix: string) {
  const docs = allKinds(suffix).split('---\n');
  const notebook = parse(docs[2]!);
  delete notebook.spec.poolRef;
  notebook.spec.body.flavor = 'modelarts.vm.cpu.sim-fail';
  return {
    notebook: stringify(notebook),
    edge: docs[3]!,
    notebookName: notebook.metadata.name as string,
    edgeName: parse(docs[3]!).metadata.name as string,
  };
}

const SECRET = `whsec_${Buffer.from('a-32-byte-secret-for-the-tests!!').toString('base64')}`;
const sha = (c: string) => c.repeat(40);

function pushPayload(after: string, before = '0'.repeat(40)) {
  return {
    ref: 'refs/heads/main',
    before,
    after,
    repository: { id: 1296269, full_name: 'acme/infra', default_branch: 'main' },
    pusher: { name: 'octocat' },
    commits: [],
  };
}

function prPayload(action: string, number: number, base: string, head: string, updatedAt: string) {
  return {
    action,
    number,
    pull_request: {
      number,
      html_url: `https://github.com/acme/infra/pull/${number}`,
      updated_at: updatedAt,
      base: { ref: 'main', sha: base, repo: { id: 1, full_name: 'acme/infra' } },
      head: { ref: 'feature', sha: head, repo: { id: 1, full_name: 'acme/infra' } },
    },
    repository: { id: 1, full_name: 'acme/infra', default_branch: 'main' },
  };
}

describe('feedback to GitHub and generic subscribers', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig.close());
  // Whatever the test, the notifier stayed within its own NOTIFY# items.
  afterEach(() => expect(rig.deniedTableCalls).toEqual([]));

  it(
    'a push of two manifests, one failing in Huawei, ends with ' + 'pending then success and failure statuses, and signed webhooks',
    async () => {
      rig.feedback.subscriber('audit', SECRET);
      rig.notifyDeps.subscribers.push({ url: rig.feedback.subscriberUrl('audit'), secret: SECRET });
      const m = manifests('gh1');
      const after = sha('a');
      rig.git.commits.set(after, { 'provisioning/notebook.yaml': m.notebook, 'provisioning/edge.yaml': m.edge, 'README.md': '# infra' });
      const response = await rig.github('push', 'push-delivery-1', pushPayload(after));
      expect(response.status).toBe(202);
      const { requestId } = (await response.json()) as { requestId: string };
      const [outcome] = await rig.runIntake();
      expect(outcome).toMatchObject({ status: 'accepted', requestId });

      // Acceptance alone: both statuses pending.
      expect(await rig.runNotifier()).toEqual({ handled: 1, failed: 0 });
      expect(rig.feedback.statuses.map((s) => [s.context, s.state])).toEqual([
        [`hwc-provisioner/EdgeDeployment/${m.edgeName}`, 'pending'],
        [`hwc-provisioner/Notebook/${m.notebookName}`, 'pending'],
      ]);

      await rig.h.drive(requestId);
      await rig.runNotifier();
      const mine = rig.feedback.statuses.filter((s) => s.sha === after);
      const byContext = (context: string) => mine.filter((s) => s.context === context).map((s) => s.state);
      expect(byContext(`hwc-provisioner/Notebook/${m.notebookName}`)).toEqual(['pending', 'failure']);
      expect(byContext(`hwc-provisioner/EdgeDeployment/${m.edgeName}`)).toEqual(['pending', 'success']);
      const failure = mine.find((s) => s.state === 'failure')!;
      expect(failure.description).toMatch(/^Failed: CREATE_FAILED: \S/);
      expect(failure.description!.length).toBeLessThanOrEqual(140);
      expect(mine.find((s) => s.state === 'success')!.description).toMatch(/^Created \(id \S+\)$/);
      // Each "Details" link opens the request's page with a read-only token for that request.
      for (const status of mine) {
        expect(status.repository).toBe('acme/infra');
        const link = new URL(status.target_url!);
        expect(`${link.origin}${link.pathname}`).toBe(`${PUBLIC_BASE_URL}/ui/requests/${requestId}`);
        expect(verifyLink(link.searchParams.get('t')!, LINK_KEY, new Date(), requestId).requestId).toBe(requestId);
      }
      expect(rig.feedback.refused).toEqual([]);

      // The subscriber got accepted, both resource events and completed, each once and each correctly signed.
      const deliveries = rig.feedback.deliveries.filter((d) => d.subscriber === 'audit');
      expect(deliveries.map((d) => JSON.parse(d.body).type).sort()).toEqual(
        [EVENT_TYPES.requestAccepted, EVENT_TYPES.requestCompleted, EVENT_TYPES.resourceFailed, EVENT_TYPES.resourceSucceeded].sort(),
      );
      for (const d of deliveries) {
        expect(d).toMatchObject({ verified: true, status: 200 });
        // Verified again by the reference library, not by our own formula: a subscriber using it must accept what we send.
        // It throws on a bad signature and returns the parsed body when the signature holds.
        expect(new Webhook(SECRET).verify(d.body, d.headers)).toEqual(JSON.parse(d.body));
        expect(d.headers['webhook-id']).toBe(JSON.parse(d.body).id);
      }
      // What intake now publishes matches the published event schema, like everything else on the topic.
      const { EventSchema } = await import('../../shared/events/schema');
      for (const d of deliveries) expect(EventSchema.safeParse(JSON.parse(d.body)).error).toBeUndefined();
      expect(JSON.parse(deliveries.find((d) => JSON.parse(d.body).type === EVENT_TYPES.requestAccepted)!.body).data).toMatchObject({
        requestId,
        source: { provider: 'github', repository: 'acme/infra', commit: after },
        resources: [
          { kind: 'EdgeDeployment', name: m.edgeName, state: 'Queued' },
          { kind: 'Notebook', name: m.notebookName, state: 'Queued' },
        ],
      });
    },
  );

  it('writes nothing twice: redelivered events and the completion event change no status and re-send no webhook', async () => {
    const statuses = rig.feedback.statuses.length;
    const deliveries = rig.feedback.deliveries.length;
    // Replays every event the topic carried for that request, as an SNS redelivery would.
    const events = rig.feedback.deliveries.filter((d) => d.subscriber === 'audit').map((d) => JSON.parse(d.body));
    await rig.h.stack.sns.send(
      new (await import('@aws-sdk/client-sns')).PublishBatchCommand({
        TopicArn: rig.h.stack.topicArn,
        PublishBatchRequestEntries: events.map((e, i) => ({ Id: String(i), Message: JSON.stringify(e) })),
      }),
    );
    expect((await rig.runNotifier()).failed).toBe(0);
    expect(rig.feedback.statuses.length).toBe(statuses);
    expect(rig.feedback.deliveries.length).toBe(deliveries);
  });

  it('retries a subscriber that answers 500 three times, then delivers the event once', async () => {
    rig.feedback.subscriber('flaky', SECRET, [500, 500, 500]);
    rig.notifyDeps.subscribers.splice(0, rig.notifyDeps.subscribers.length, {
      url: rig.feedback.subscriberUrl('flaky'),
      secret: SECRET,
      types: [EVENT_TYPES.requestAccepted],
    });
    const requestId = await rig.submitYaml(manifests('flaky').edge);
    // Three attempts inside the invocation all fail: the record is reported failed and stays on the queue.
    expect(await rig.runNotifier({ visibilityTimeout: 1 })).toEqual({ handled: 1, failed: 1 });
    expect(rig.logger.lines.some((l) => l.includes('feedback failed; the message will be retried') && l.includes('HTTP 500'))).toBe(true);
    await new Promise((r) => setTimeout(r, 1_100));
    // SQS redelivers it after the visibility timeout; this time the subscriber answers 200.
    expect(await rig.runNotifier({ visibilityTimeout: 1 })).toEqual({ handled: 1, failed: 0 });
    const flaky = rig.feedback.deliveries.filter((d) => d.subscriber === 'flaky');
    expect(flaky.map((d) => d.status)).toEqual([500, 500, 500, 200]);
    expect(new Set(flaky.map((d) => d.headers['webhook-id'])).size).toBe(1);
    expect(JSON.parse(flaky[3]!.body).data.requestId).toBe(requestId);
    await rig.h.drive(requestId);
    await rig.runNotifier();
    expect(rig.feedback.deliveries.filter((d) => d.subscriber === 'flaky' && d.status === 200)).toHaveLength(1);
    rig.notifyDeps.subscribers.length = 0;
  });

  it('plans a pull request in one comment that is edited, not duplicated, on the next push', async () => {
    const base = sha('b');
    const head1 = sha('c');
    const head2 = sha('d');
    const existing = manifests('gh1').edge; // created by the push above
    const fresh = manifests('pr1').edge;
    const broken = fresh.replace(/name: app-pr1\n/, 'name: app-pr2\n').replace('replicas: 1', 'replicas: "many"');
    rig.git.commits.set(base, { 'provisioning/readme.md': 'x' });
    rig.git.commits.set(head1, { 'provisioning/edge.yaml': existing, 'provisioning/new.yaml': fresh, 'provisioning/broken.yaml': broken });
    rig.git.commits.set(head2, { 'provisioning/edge.yaml': existing, 'provisioning/new.yaml': fresh });

    const first = await rig.github('pull_request', 'pr-1', prPayload('opened', 7, base, head1, '2026-11-23T10:00:00Z'));
    expect(first.status).toBe(202);
    expect(await rig.runIntake()).toEqual([expect.objectContaining({ status: 'planned', comment: 'created' })]);
    const comments = () => [...rig.feedback.comments.values()].filter((c) => c.repository === 'acme/infra' && c.number === 7);
    expect(comments()).toHaveLength(1);
    const body1 = comments()[0]!.body;
    expect(body1.startsWith(PLAN_MARKER)).toBe(true);
    expect(body1).toContain('| `EdgeDeployment/app-gh1` | `provisioning/edge.yaml` | ✅ already exists: unchanged (id ');
    expect(body1).toContain('| `EdgeDeployment/app-pr1` | `provisioning/new.yaml` | ➕ will be created: in cn-north-4 |');
    expect(body1).toContain('| `EdgeDeployment/app-pr2` | `provisioning/broken.yaml` | ❌ invalid: 1 error |');
    expect(body1).toMatch(/provisioning\/broken\.yaml:\d+:\d+ spec\.body\.deployment\.replicas: /);
    const plan1 = rig.feedback.statuses.filter((s) => s.context === 'hwc-provisioner/plan');
    expect(plan1).toEqual([
      expect.objectContaining({ sha: head1, state: 'failure', description: '1 to create, 1 already exist, 1 invalid' }),
    ]);

    // The same delivery again (a redelivery) and a label change make no new comment or status.
    await rig.github('pull_request', 'pr-1', prPayload('opened', 7, base, head1, '2026-11-23T10:00:00Z'));
    expect(
      (await (await rig.github('pull_request', 'pr-2', prPayload('labeled', 7, base, head1, '2026-11-23T10:00:30Z'))).json()) as object,
    ).toMatchObject({ ignored: true });
    await rig.runIntake();

    await rig.github('pull_request', 'pr-3', prPayload('synchronize', 7, base, head2, '2026-11-23T10:05:00Z'));
    expect(await rig.runIntake()).toEqual([expect.objectContaining({ status: 'planned', comment: 'updated' })]);
    expect(comments()).toHaveLength(1);
    expect(rig.feedback.commentCalls.filter((c) => c.method === 'POST')).toHaveLength(1);
    const body2 = comments()[0]!.body;
    expect(body2).not.toContain('app-pr2');
    expect(body2).toContain(`Updated for ${head2}`);
    expect(rig.feedback.statuses.filter((s) => s.context === 'hwc-provisioner/plan').at(-1)).toMatchObject({
      sha: head2,
      state: 'success',
      description: '1 to create, 1 already exist',
    });

    // A late, older run (its job was delayed) does not overwrite the newer plan.
    await rig.github('pull_request', 'pr-4', prPayload('opened', 7, base, head1, '2026-11-23T10:00:00Z'));
    expect(await rig.runIntake()).toEqual([expect.objectContaining({ status: 'planned', comment: 'stale' })]);
    expect(comments()[0]!.body).toBe(body2);
    // Nothing was created for the plan.
    expect((await rig.h.simResources()).filter((r) => r.name === 'app-pr1')).toEqual([]);
    expect(rig.feedback.refused).toEqual([]);
  });
});

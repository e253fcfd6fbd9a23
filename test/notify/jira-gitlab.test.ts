import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EVENT_TYPES, requestEvent } from '../../shared/events/cloudevents';
import { parseEventMessage } from '../../shared/notify/events';
import { notify } from '../../shared/notify/notifier';
import { PLAN_MARKER } from '../../shared/notify/render';
import { allKinds } from '../execution/harness';
import { verifyLink } from '../../shared/http/links';
import { JIRA, LINK_KEY, PUBLIC_BASE_URL, startRig, type Rig } from './rig';

const SECRET = `whsec_${Buffer.from('a-32-byte-secret-for-the-tests!!').toString('base64')}`;

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

/** Plain text of an ADF document, to assert on what people read. */
function adfText(node: any): string {
  if (!node || typeof node !== 'object') return '';
  if (node.type === 'text') return node.text;
  const inner = (node.content ?? [])
    .map(adfText)
    .join(node.type === 'tableRow' ? ' | ' : node.type === 'doc' || node.type === 'table' || node.type === 'bulletList' ? '\n' : '');
  return inner;
}

describe('feedback to Jira and GitLab', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig.close());
  // Whatever the test, the notifier stayed within its own NOTIFY# items.
  afterEach(() => expect(rig.deniedTableCalls).toEqual([]));

  describe('Jira', () => {
    const m = manifests('jira1');
    const description = `Please provision:\n\`\`\`yaml\n${m.notebook}\`\`\`\nand\n\`\`\`yaml\n${m.edge}\`\`\`\n`;
    const issue = (event: string, typeName: string) => ({
      timestamp: Date.now(),
      webhookEvent: event,
      issue_event_type_name: typeName,
      issue: {
        id: '10001',
        key: 'OPS-42',
        self: 'https://example.atlassian.net/rest/api/2/issue/10001',
        fields: { summary: 'Need a notebook', description },
      },
    });

    it(
      'comments on acceptance with the resources and on completion ' + 'with an ADF table of results, then transitions the ticket',
      async () => {
        // Jira sends issue_updated (issue_commented) for each comment we add: record what our webhook answers.
        const echoes: unknown[] = [];
        rig.feedback.onJiraComment = async () => {
          echoes.push(await (await rig.jira(issue('jira:issue_updated', 'issue_commented'), `echo-${echoes.length}`)).json());
        };
        const response = await rig.jira(issue('jira:issue_created', 'issue_created'), 'jira-1');
        expect(response.status).toBe(202);
        const { requestId } = (await response.json()) as { requestId: string };
        expect(await rig.runIntake()).toEqual([expect.objectContaining({ status: 'accepted', requestId })]);
        await rig.runNotifier();
        const comments = () => rig.feedback.jira.filter((j) => j.key === 'OPS-42' && j.kind === 'comment');
        expect(comments()).toHaveLength(1);
        const accepted = adfText(comments()[0]!.body);
        expect(accepted).toContain(`hwc-provisioner accepted request ${requestId}: 2 resources queued for creation.`);
        expect(accepted).toContain(`Notebook/${m.notebookName}`);
        expect(accepted).toContain(`EdgeDeployment/${m.edgeName}`);
        // The request id links to its page with a read-only token for it.
        const href = JSON.stringify(comments()[0]!.body).match(/"href":"([^"]+)"/)?.[1];
        expect(href?.startsWith(`${PUBLIC_BASE_URL}/ui/requests/${requestId}?t=`)).toBe(true);
        expect(verifyLink(new URL(href!).searchParams.get('t')!, LINK_KEY, new Date(), requestId).requestId).toBe(requestId);

        await rig.h.drive(requestId);
        await rig.runNotifier();
        expect(comments()).toHaveLength(2);
        const completed = comments()[1]!.body as any;
        expect(adfText(completed)).toContain(`hwc-provisioner finished request ${requestId}: partially failed.`);
        const table = completed.content.find((n: any) => n.type === 'table');
        const rows = table.content.map(adfText);
        expect(rows[0]).toBe('Resource | State | Huawei id | Reason');
        expect(rows.find((r: string) => r.startsWith(`Notebook/${m.notebookName}`))).toMatch(
          /^Notebook\/train-notebook-jira1 \| Failed \| \S+ \| CREATE_FAILED: \S/,
        );
        expect(rows.find((r: string) => r.startsWith(`EdgeDeployment/${m.edgeName}`))).toMatch(
          /^EdgeDeployment\/app-jira1 \| Succeeded \| \S+ \| /,
        );
        expect(rig.feedback.jira.filter((j) => j.kind === 'transition')).toEqual([
          { key: 'OPS-42', kind: 'transition', body: { transition: { id: JIRA.onFailure } } },
        ]);
        expect(rig.feedback.refused).toEqual([]);
        // Each of our comments came back as an update, and was ignored at the door.
        expect(echoes).toEqual([expect.objectContaining({ ignored: true }), expect.objectContaining({ ignored: true })]);
        rig.feedback.onJiraComment = undefined;
      },
    );

    it('makes no new request when a comment or transition triggers jira:issue_updated with the same manifests', async () => {
      // The transition above changed the status field: Jira sends issue_updated (issue_generic) with the same description.
      const response = await rig.jira(issue('jira:issue_updated', 'issue_generic'), 'jira-2');
      const { requestId } = (await response.json()) as { requestId: string };
      expect(await rig.runIntake()).toEqual([expect.objectContaining({ status: 'accepted', duplicate: true, requestId })]);
      expect(await rig.h.stack.drainQueue(rig.h.stack.queues.dispatch.url, { waitMs: 300 })).toEqual([]);
      // No new request.accepted was published, so no new comment either.
      expect(await rig.runNotifier()).toEqual({ handled: 0, failed: 0 });
      expect(rig.feedback.jira.filter((j) => j.kind === 'comment')).toHaveLength(2);
    });

    it('tells the ticket why its manifests were rejected', async () => {
      rig.feedback.subscriber('rejections', SECRET);
      rig.notifyDeps.subscribers.push({
        url: rig.feedback.subscriberUrl('rejections'),
        secret: SECRET,
        types: [EVENT_TYPES.requestRejected],
      });
      const bad = { ...issue('jira:issue_created', 'issue_created') };
      bad.issue = {
        ...bad.issue,
        key: 'OPS-43',
        fields: {
          summary: 'typo',
          description: '```yaml\napiVersion: hwc-provisioner/v1\nkind: Notebok\nmetadata: {name: x}\nspec: {}\n```\n',
        },
      };
      await rig.jira(bad, 'jira-3');
      expect(await rig.runIntake()).toEqual([expect.objectContaining({ status: 'rejected' })]);
      await rig.runNotifier();
      const [comment] = rig.feedback.jira.filter((j) => j.key === 'OPS-43');
      expect(adfText(comment!.body)).toMatch(/rejected request req_\w+: nothing was created/);
      expect(adfText(comment!.body)).toContain('OPS-43#yaml-1:2:7 kind: unknown kind "Notebok"; did you mean "Notebook"?');
      // request.rejected carries the errors and matches the published event schema.
      const [delivery] = rig.feedback.deliveries.filter((d) => d.subscriber === 'rejections');
      const rejected = JSON.parse(delivery!.body);
      expect(rejected.data).toMatchObject({
        state: 'Rejected',
        resources: [{ kind: 'Notebok', name: 'x', state: 'Rejected' }],
        errors: [{ file: 'OPS-43#yaml-1', errors: [expect.objectContaining({ path: 'kind', line: 2 })] }],
      });
      const { EventSchema } = await import('../../shared/events/schema');
      expect(EventSchema.safeParse(rejected).error).toBeUndefined();
      rig.notifyDeps.subscribers.length = 0;
    });
  });

  describe('GitLab', () => {
    const project = {
      id: 42,
      path_with_namespace: 'group/infra',
      default_branch: 'main',
      web_url: 'https://gitlab.example.com/group/infra',
    };

    it(
      'writes pending, then success and failed commit statuses ' + 'for a Push Hook, and takes "Cannot transition status" as done',
      async () => {
        const m = manifests('gl1');
        const after = '9'.repeat(40);
        rig.git.commits.set(after, { 'provisioning/notebook.yaml': m.notebook, 'provisioning/edge.yaml': m.edge });
        const response = await rig.gitlab(
          'Push Hook',
          { object_kind: 'push', ref: 'refs/heads/main', before: '0'.repeat(40), after, project_id: 42, project },
          'gl-idem-1',
        );
        const { requestId } = (await response.json()) as { requestId: string };
        await rig.runIntake();
        await rig.h.drive(requestId);
        await rig.runNotifier();
        const statuses = rig.feedback.statuses.filter((s) => s.provider === 'gitlab' && s.sha === after);
        const states = (context: string) => statuses.filter((s) => s.context === context).map((s) => s.state);
        expect(statuses.every((s) => s.repository === 'group/infra')).toBe(true);
        expect(states(`hwc-provisioner/Notebook/${m.notebookName}`)).toEqual(['pending', 'failed']);
        expect(states(`hwc-provisioner/EdgeDeployment/${m.edgeName}`)).toEqual(['pending', 'success']);

        // Our record of the edge status is lost (e.g. a crash after the call): the repeat gets GitLab's 400, which counts as done.
        await rig.h.deps.table.ddb.send(
          new DeleteCommand({
            TableName: rig.h.stack.tableName,
            Key: { pk: `NOTIFY#${requestId}`, sk: `STATUS#gitlab#EdgeDeployment/${m.edgeName}` },
          }),
        );
        const completed = requestEvent(EVENT_TYPES.requestCompleted, 'partially_failed', new Date().toISOString(), {
          requestId,
          source: { provider: 'gitlab', ref: `group/infra@${after}`, repository: 'group/infra', commit: after },
          state: 'PartiallyFailed',
          resources: [{ kind: 'EdgeDeployment', name: m.edgeName, state: 'Succeeded', huaweiId: 'x', reason: null, message: null }],
        });
        await expect(notify(rig.notifyDeps, parseEventMessage(JSON.stringify(completed.event)))).resolves.toBeDefined();
        expect(rig.feedback.statuses.filter((s) => s.provider === 'gitlab' && s.sha === after)).toHaveLength(4);
        expect(rig.feedback.refused).toEqual([]);
      },
    );

    it('plans a merge request in one note, edited in place when new commits arrive', async () => {
      const base = '7'.repeat(40);
      const head1 = '5'.repeat(40);
      const head2 = '6'.repeat(40);
      rig.git.commits.set(base, {});
      rig.git.commits.set(head1, { 'provisioning/edge.yaml': manifests('mr1').edge });
      rig.git.commits.set(head2, { 'provisioning/edge.yaml': manifests('mr1').edge, 'provisioning/edge2.yaml': manifests('mr2').edge });
      const hook = (action: string, head: string, updatedAt: string, oldrev?: string) => ({
        object_kind: 'merge_request',
        project,
        object_attributes: {
          iid: 3,
          action,
          source_project_id: 42,
          target_project_id: 42,
          target_branch: 'main',
          updated_at: updatedAt,
          last_commit: { id: head },
          diff_refs: { base_sha: base, head_sha: head },
          ...(oldrev ? { oldrev } : {}),
        },
      });
      expect((await rig.gitlab('Merge Request Hook', hook('open', head1, '2026-11-23 10:00:00 UTC'), 'mr-1')).status).toBe(202);
      expect(await rig.runIntake()).toEqual([expect.objectContaining({ status: 'planned', comment: 'created' })]);
      // A title edit (update without oldrev) plans nothing.
      expect(
        (await (await rig.gitlab('Merge Request Hook', hook('update', head1, '2026-11-23 10:01:00 UTC'), 'mr-2')).json()) as object,
      ).toMatchObject({ ignored: true });
      await rig.gitlab('Merge Request Hook', hook('update', head2, '2026-11-23 10:02:00 UTC', head1), 'mr-3');
      expect(await rig.runIntake()).toEqual([expect.objectContaining({ status: 'planned', comment: 'updated' })]);
      const notes = [...rig.feedback.comments.values()].filter((c) => c.provider === 'gitlab');
      expect(notes).toHaveLength(1);
      expect(notes[0]!.body.startsWith(PLAN_MARKER)).toBe(true);
      expect(notes[0]!.body).toContain('**2 to create.**');
      expect(
        rig.feedback.statuses.filter((s) => s.provider === 'gitlab' && s.context === 'hwc-provisioner/plan').map((s) => [s.sha, s.state]),
      ).toEqual([
        [head1, 'success'],
        [head2, 'success'],
      ]);
    });
  });

  describe('noise control', () => {
    const source = { provider: 'github' as const, ref: `acme/infra@${'e'.repeat(40)}`, repository: 'acme/infra', commit: 'e'.repeat(40) };
    const event = (
      type: (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES],
      state: string,
      resources: { kind: string; name: string; state: string; reason?: string; message?: string }[],
    ) =>
      parseEventMessage(
        JSON.stringify(
          requestEvent(type, 'failed', new Date().toISOString(), {
            requestId: 'req_noise00000000000000000000',
            source,
            state,
            resources: resources.map((r) => ({ huaweiId: null, reason: null, message: null, ...r })),
          }).event,
        ),
      );

    it('never leaves a pending status behind when the resource events were lost: completion writes the final states', async () => {
      const resources = [
        { kind: 'Notebook', name: 'a', state: 'Queued' },
        { kind: 'Notebook', name: 'b', state: 'Queued' },
      ];
      await notify(rig.notifyDeps, event(EVENT_TYPES.requestAccepted, 'InProgress', resources));
      await notify(rig.notifyDeps, event(EVENT_TYPES.requestAccepted, 'InProgress', resources));
      await notify(
        rig.notifyDeps,
        event(EVENT_TYPES.requestCompleted, 'Failed', [
          { kind: 'Notebook', name: 'a', state: 'Failed', reason: 'CREATE_FAILED', message: 'flavor sold out' },
          { kind: 'Notebook', name: 'b', state: 'TimedOut', reason: 'Timeout' },
        ]),
      );
      const mine = rig.feedback.statuses.filter((s) => s.sha === source.commit);
      expect(mine.map((s) => [s.context, s.state])).toEqual([
        ['hwc-provisioner/Notebook/a', 'pending'],
        ['hwc-provisioner/Notebook/b', 'pending'],
        ['hwc-provisioner/Notebook/a', 'failure'],
        ['hwc-provisioner/Notebook/b', 'error'],
      ]);
      // Huawei's words come from the event itself: the table holds nothing for this request.
      expect(mine[2]!.description).toBe('Failed: CREATE_FAILED: flavor sold out');
      // A late accepted (SNS does not keep order) cannot move a finished status back to pending.
      await notify(rig.notifyDeps, event(EVENT_TYPES.requestAccepted, 'InProgress', resources));
      expect(rig.feedback.statuses.filter((s) => s.sha === source.commit)).toHaveLength(4);
    });

    it('reports a rejected push as one failed status with the first error', async () => {
      const after = 'f'.repeat(40);
      rig.git.commits.set(after, {
        'provisioning/bad.yaml': 'apiVersion: hwc-provisioner/v1\nkind: Notebook\nmetadata: {name: x}\nspec: {}\n',
      });
      await rig.github('push', 'push-rejected', {
        ref: 'refs/heads/main',
        before: '0'.repeat(40),
        after,
        repository: { id: 1296269, full_name: 'acme/infra', default_branch: 'main' },
      });
      expect(await rig.runIntake()).toEqual([expect.objectContaining({ status: 'rejected' })]);
      await rig.runNotifier();
      const [status] = rig.feedback.statuses.filter((s) => s.sha === after);
      expect(status).toMatchObject({
        context: 'hwc-provisioner/manifests',
        state: 'failure',
        description: expect.stringMatching(/^Rejected, nothing created: .*provisioning\/bad\.yaml:4:7 spec/),
      });
      expect(status!.description!.length).toBeLessThanOrEqual(140);
    });
  });
});

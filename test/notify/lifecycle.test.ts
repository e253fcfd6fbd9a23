/**
 * What people read about updates, replacements, deletes and orphans: commit statuses and Jira, written by the
 * real notifier from events as the topic carries them (built by the publisher's own functions, parsed with the
 * published schema), and end to end from pushes that change and then remove a manifest.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EVENT_TYPES, requestEvent, resourceEvent, type ResourceEventData } from '../../shared/events/cloudevents';
import { parseEventMessage } from '../../shared/notify/events';
import { notify } from '../../shared/notify/notifier';
import type { Operation, RequestSource } from '../../shared/store/types';
import { notebook, PROJECT_ID } from '../execution/harness';
import { JIRA, startRig, type Rig } from './rig';

const sha = (c: string) => c.repeat(40);
let serial = 0;

function github(commit: string): RequestSource {
  return { provider: 'github', ref: `acme/infra@${commit}`, repository: 'acme/infra', commit, branch: 'main' };
}

/** A terminal resource event as the finisher publishes it. */
function resourceOutcome(
  source: RequestSource,
  outcome: { kind?: string; name: string; state: string; operation: Operation | null } & Partial<ResourceEventData>,
) {
  const finishedAt = '2026-11-23T10:02:45.310Z';
  const data: ResourceEventData = {
    requestId: `req_lifecycle${String(++serial).padStart(16, '0')}`,
    source,
    kind: 'Notebook',
    region: 'cn-north-4',
    projectId: PROJECT_ID,
    huaweiId: null,
    reason: null,
    message: null,
    timings: { acceptedAt: finishedAt, createStartedAt: null, finishedAt, durationSeconds: 0 },
    ...outcome,
  };
  return resourceEvent(data).event;
}

describe('feedback on updates, replacements, deletes and orphans', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig.close());
  afterEach(() => expect(rig.deniedTableCalls).toEqual([]));

  /** Publishes `event` as the topic would carry it and returns the statuses written on its commit. */
  async function statusesFor(event: ReturnType<typeof resourceOutcome>) {
    await notify(rig.notifyDeps, parseEventMessage(JSON.stringify(event)));
    const commit = (event.data as { source: RequestSource }).source.commit;
    return rig.feedback.statuses.filter((s) => s.sha === commit).map((s) => [s.state, s.description]);
  }

  it('says what each outcome did, with the operation named when it failed', async () => {
    const flavor = {
      path: 'spec.body.flavor',
      observed: 'modelarts.vm.cpu.2u',
      desired: 'modelarts.vm.cpu.8u',
      effect: 'restarts the notebook (stop, update, start)',
    };
    const updated = resourceOutcome(github(sha('1')), {
      name: 'nb-up',
      state: 'Succeeded',
      operation: 'update',
      huaweiId: 'nb-0001',
      changes: [flavor, { path: 'spec.body.volume.capacity', observed: 50, desired: 100, effect: 'grows the storage to 100 GB' }],
    });
    expect(updated.type).toBe(EVENT_TYPES.resourceUpdated);
    expect(await statusesFor(updated)).toEqual([
      ['success', 'Updated (flavor, capacity changed; the notebook restarted; the storage grew to 100 GB)'],
    ]);

    const replaced = resourceOutcome(github(sha('2')), {
      kind: 'NodePool',
      name: 'np-up',
      state: 'Succeeded',
      operation: 'recreate',
      huaweiId: 'np-0002',
      changes: [{ path: 'spec.body.spec.resources.flavor', observed: 'modelarts.vm.gpu.t4', desired: 'modelarts.vm.gpu.v100' }],
    });
    expect(await statusesFor(replaced)).toEqual([['success', 'Replaced (flavor changed; new id np-0002)']]);

    const deleted = resourceOutcome(github(sha('3')), { name: 'nb-del', state: 'Deleted', operation: 'delete', message: 'deleted' });
    expect(deleted.type).toBe(EVENT_TYPES.resourceDeleted);
    expect(await statusesFor(deleted)).toEqual([['success', 'Deleted']]);

    const orphaned = resourceOutcome(github(sha('4')), { name: 'nb-orph', state: 'Orphaned', operation: 'orphan', huaweiId: 'nb-0004' });
    expect(orphaned.type).toBe(EVENT_TYPES.resourceOrphaned);
    expect(await statusesFor(orphaned)).toEqual([['success', 'Orphaned: left running, no longer managed']]);

    const updateFailed = resourceOutcome(github(sha('5')), {
      name: 'nb-bad',
      state: 'Failed',
      operation: 'update',
      reason: 'ModelArts.6404',
      message: 'flavor modelarts.vm.cpu.8u is sold out',
    });
    expect(await statusesFor(updateFailed)).toEqual([['failure', 'Update failed: ModelArts.6404: flavor modelarts.vm.cpu.8u is sold out']]);

    const deleteTimedOut = resourceOutcome(github(sha('6')), {
      kind: 'ResourcePool',
      name: 'pool-slow',
      state: 'TimedOut',
      operation: 'delete',
      reason: 'Timeout',
      message: 'still there after 60 minutes (last status: Deleting)',
    });
    expect(await statusesFor(deleteTimedOut)).toEqual([
      ['error', 'Delete timed out: still there after 60 minutes (last status: Deleting)'],
    ]);

    const created = resourceOutcome(github(sha('7')), { name: 'nb-new', state: 'Succeeded', operation: 'create', huaweiId: 'nb-0007' });
    expect(await statusesFor(created)).toEqual([['success', 'Created (id nb-0007)']]);
    const createFailed = resourceOutcome(github(sha('8')), { name: 'nb-f', state: 'Failed', operation: 'create', reason: 'CREATE_FAILED' });
    expect(await statusesFor(createFailed)).toEqual([['failure', 'Failed: CREATE_FAILED']]);
  });

  it('keeps an update of many fields within GitHub 140 characters, fields first', async () => {
    const changes = ['flavor', 'image_id', 'description', 'name', 'endpoints'].map((field) => ({
      path: `spec.body.${field}`,
      observed: 'a',
      desired: 'b',
      effect: 'restarts the notebook (stop, update, start)',
    }));
    const [[, description]] = (await statusesFor(
      resourceOutcome(github(sha('9')), { name: 'nb-many', state: 'Succeeded', operation: 'update', changes }),
    )) as [[string, string]];
    expect(description).toBe('Updated (flavor, image_id, description and 2 more changed; the notebook restarted)');
    expect(description.length).toBeLessThanOrEqual(140);
  });

  it('writes pending texts for queued removals and for resources being updated or deleted', async () => {
    const source = github(sha('a'));
    const accepted = requestEvent(EVENT_TYPES.requestAccepted, 'accepted', '2026-11-23T10:00:00.000Z', {
      requestId: 'req_lifecycleaccepted000000000',
      source,
      state: 'InProgress',
      resources: [
        { kind: 'Notebook', name: 'nb-a', state: 'Queued', huaweiId: null, reason: null, message: null },
        { kind: 'Notebook', name: 'nb-b', state: 'Queued', huaweiId: null, reason: null, message: 'to be deleted' },
        {
          kind: 'Notebook',
          name: 'nb-c',
          state: 'Queued',
          huaweiId: null,
          reason: null,
          message: 'to be orphaned: left running, no longer managed',
        },
        { kind: 'Notebook', name: 'nb-d', state: 'Updating', huaweiId: null, reason: null, message: null },
        { kind: 'Notebook', name: 'nb-e', state: 'Deleting', huaweiId: null, reason: null, message: null },
      ],
    }).event;
    await notify(rig.notifyDeps, parseEventMessage(JSON.stringify(accepted)));
    expect(rig.feedback.statuses.filter((s) => s.sha === source.commit).map((s) => [s.context, s.state, s.description])).toEqual([
      ['hwc-provisioner/Notebook/nb-a', 'pending', 'Queued, to be applied in Huawei Cloud'],
      ['hwc-provisioner/Notebook/nb-b', 'pending', 'Queued, to be deleted'],
      ['hwc-provisioner/Notebook/nb-c', 'pending', 'Queued, to be orphaned: left running, no longer managed'],
      ['hwc-provisioner/Notebook/nb-d', 'pending', 'Updating in Huawei Cloud'],
      ['hwc-provisioner/Notebook/nb-e', 'pending', 'Deleting from Huawei Cloud'],
    ]);
  });

  it('moves a Jira ticket on success when its request only deleted and orphaned, with one comment', async () => {
    const source: RequestSource = { provider: 'jira', ref: 'OPS-77', ticket: 'OPS-77' };
    const removed = resourceOutcome(source, { name: 'nb-gone', state: 'Deleted', operation: 'delete' });
    await notify(rig.notifyDeps, parseEventMessage(JSON.stringify(removed)));
    const completed = requestEvent(EVENT_TYPES.requestCompleted, 'succeeded', '2026-11-23T10:05:00.000Z', {
      requestId: 'req_lifecyclejira0000000000000',
      source,
      state: 'Succeeded',
      resources: [
        { kind: 'Notebook', name: 'nb-gone', state: 'Deleted', huaweiId: 'nb-0010', reason: null, message: 'deleted' },
        {
          kind: 'Notebook',
          name: 'nb-kept',
          state: 'Orphaned',
          huaweiId: 'nb-0011',
          reason: null,
          message: 'left running; no longer managed',
        },
      ],
    }).event;
    await notify(rig.notifyDeps, parseEventMessage(JSON.stringify(completed)));
    const ticket = rig.feedback.jira.filter((j) => j.key === 'OPS-77');
    expect(ticket.map((j) => j.kind)).toEqual(['comment', 'transition']);
    expect(ticket[1]).toMatchObject({ body: { transition: { id: JIRA.onSuccess } } });
    expect(JSON.stringify(ticket[0]!.body)).toContain('succeeded.');
    expect(JSON.stringify(ticket[0]!.body)).toContain('"text":"Orphaned"');
  });

  it('end to end: a push that changes the flavor reports Updated, a push that removes the file reports Orphaned', async () => {
    const path = 'provisioning/notebook.yaml';
    const first = notebook('life1');
    const changed = stringify({
      ...parse(first),
      spec: { ...parse(first).spec, body: { ...parse(first).spec.body, flavor: 'modelarts.vm.cpu.8u' } },
    });
    const context = 'hwc-provisioner/Notebook/nb-life1';
    const push = async (after: string, before: string, files: Record<string, string>) => {
      rig.git.commits.set(after, files);
      const payload = {
        ref: 'refs/heads/main',
        before,
        after,
        repository: { id: 1296269, full_name: 'acme/infra', default_branch: 'main' },
        pusher: { name: 'octocat' },
        commits: [],
      };
      const response = await rig.github('push', `push-life-${after.slice(0, 4)}`, payload);
      expect(response.status).toBe(202);
      const [outcome] = await rig.runIntake();
      expect(outcome).toMatchObject({ status: 'accepted' });
      await rig.runNotifier();
      await rig.h.drive((outcome as { requestId: string }).requestId);
      await rig.runNotifier();
      return rig.feedback.statuses.filter((s) => s.sha === after && s.context === context).map((s) => [s.state, s.description]);
    };

    const created = await push(sha('b'), sha('0'), { [path]: first });
    expect(created).toEqual([
      ['pending', 'Queued, to be applied in Huawei Cloud'],
      ['success', expect.stringMatching(/^Created \(id \S+\)$/)],
    ]);
    expect(await push(sha('c'), sha('b'), { [path]: changed })).toEqual([
      ['pending', 'Queued, to be applied in Huawei Cloud'],
      ['success', 'Updated (flavor changed; the notebook restarted)'],
    ]);
    expect(await push(sha('d'), sha('c'), { 'README.md': '# infra' })).toEqual([
      ['pending', 'Queued, to be orphaned: left running, no longer managed'],
      ['success', 'Orphaned: left running, no longer managed'],
    ]);
  });
});

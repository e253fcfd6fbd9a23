import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startFakeProviders, type FakeProviders } from '../../local/fake-providers/git';
import { pruneEnabled, type PruneSettings } from '../../shared/intake/removal';
import { randomRequestId } from '../../shared/intake/ids';
import { processIntakeMessage } from '../../shared/intake/service';
import type { IntakeDeps, SubmitOutcome } from '../../shared/intake/submit';
import { getManaged } from '../../shared/store/managed';
import { PROJECT_ID, startHarness, type Harness } from '../execution/harness';
import { fakeProviderSettings, SECRETS } from '../http/helpers';

const sha = (n: number) => n.toString(16).padStart(40, 'a');

/** A notebook manifest with its own names, and the deletion policy given (none: the default, Orphan). */
function notebook(name: string, deletionPolicy?: 'Delete' | 'Orphan'): string {
  const doc = parse(readFileSync('examples/notebook.yaml', 'utf8'));
  doc.metadata.name = name;
  if (deletionPolicy) doc.metadata.deletionPolicy = deletionPolicy;
  doc.spec.body.name = name.replaceAll('-', '_');
  return stringify(doc);
}

describe('a push that removes manifest files', () => {
  let h: Harness;
  let providers: FakeProviders;
  let commit = 0;
  beforeAll(async () => {
    h = await startHarness();
    providers = await startFakeProviders({ githubToken: SECRETS.GITHUB_TOKEN!, gitlabToken: SECRETS.GITLAB_TOKEN! });
  });
  afterAll(async () => {
    await h.close();
    await providers.close();
  });

  async function push(repository: string, before: string, files: Record<string, string>, prune?: PruneSettings) {
    const after = sha(++commit);
    providers.commits.set(after, files);
    const deps: IntakeDeps = {
      table: h.deps.table,
      dispatch: h.deps.dispatch,
      defaults: { projectId: PROJECT_ID, region: 'cn-north-4' },
      now: h.deps.now,
      ...(prune ? { prune } : {}),
    };
    const body = JSON.stringify({
      type: 'github.push',
      requestId: randomRequestId(),
      deliveryId: `d-${commit}`,
      repository,
      branch: 'main',
      before,
      after,
    });
    const outcome = (await processIntakeMessage(deps, fakeProviderSettings(providers), {
      messageId: `m-${commit}`,
      body,
    })) as SubmitOutcome;
    return { after, outcome };
  }
  const live = async (name: string) =>
    (await h.simResources()).filter((r) => r.name === name && (r as { outcome?: string }).outcome !== 'deleted');

  it('deletes what asked for it where pruning is on, orphans the rest, and says which', async () => {
    const first = await push('acme/infra', '0'.repeat(40), {
      'provisioning/doomed.yaml': notebook('nb-doomed', 'Delete'),
      'provisioning/kept.yaml': notebook('nb-kept'),
      'provisioning/stays.yaml': notebook('nb-stays', 'Delete'),
    });
    expect(first.outcome.status).toBe('accepted');
    await h.drive(first.outcome.status === 'accepted' ? first.outcome.requestId : '');

    const second = await push(
      'acme/infra',
      first.after,
      { 'provisioning/stays.yaml': notebook('nb-stays', 'Delete') },
      { all: true, repositories: [] },
    );
    expect(second.outcome).toMatchObject({
      status: 'accepted',
      resources: [
        { kind: 'Notebook', name: 'nb-doomed', state: 'Queued' },
        { kind: 'Notebook', name: 'nb-kept', state: 'Queued' },
      ],
    });
    const requestId = second.outcome.status === 'accepted' ? second.outcome.requestId : '';
    await h.drive(requestId);
    const resources = (await h.request(requestId))!.resources;
    expect(resources.map((r) => [r.name, r.state, r.operation])).toEqual([
      ['nb-doomed', 'Deleted', 'delete'],
      ['nb-kept', 'Orphaned', 'orphan'],
    ]);
    expect(await live('nb_doomed')).toHaveLength(0);
    expect(await live('nb_kept')).toHaveLength(1);
    expect(await live('nb_stays')).toHaveLength(1);
    const types = (await h.events()).filter((e) => e.data.requestId === requestId).map((e) => `${e.subject} ${e.type}`);
    expect(types).toEqual(
      expect.arrayContaining([
        'Notebook/nb-doomed hwc-provisioner.resource.deleted',
        'Notebook/nb-kept hwc-provisioner.resource.orphaned',
        `Request/${requestId} hwc-provisioner.request.completed`,
      ]),
    );
  });

  it('orphans even what asked for deletion when pruning is off for the repository', async () => {
    const first = await push('acme/other', '0'.repeat(40), { 'provisioning/a.yaml': notebook('nb-noprune', 'Delete') });
    await h.drive(first.outcome.status === 'accepted' ? first.outcome.requestId : '');
    const second = await push('acme/other', first.after, {}, { all: false, repositories: ['acme/infra'] });
    const requestId = second.outcome.status === 'accepted' ? second.outcome.requestId : '';
    await h.drive(requestId);
    expect((await h.request(requestId))!.resources.map((r) => r.state)).toEqual(['Orphaned']);
    expect(await live('nb_noprune')).toHaveLength(1);
    expect((await getManaged(h.deps.table, PROJECT_ID, 'Notebook', 'nb-noprune'))?.state).toBe('Orphaned');
  });

  it('removes nothing when a manifest only moves to another file', async () => {
    const first = await push('acme/moves', '0'.repeat(40), { 'provisioning/old.yaml': notebook('nb-moved', 'Delete') });
    await h.drive(first.outcome.status === 'accepted' ? first.outcome.requestId : '');
    const second = await push(
      'acme/moves',
      first.after,
      { 'provisioning/new.yaml': notebook('nb-moved', 'Delete') },
      { all: true, repositories: [] },
    );
    expect(second.outcome).toMatchObject({ status: 'accepted', resources: [{ name: 'nb-moved', state: 'Queued' }] });
    const requestId = second.outcome.status === 'accepted' ? second.outcome.requestId : '';
    await h.drive(requestId);
    expect((await h.request(requestId))!.resources.map((r) => r.state)).toEqual(['Unchanged']);
    expect(await live('nb_moved')).toHaveLength(1);
  });
});

describe('pruneEnabled', () => {
  it('matches repositories by glob and optional branch, case-insensitively', () => {
    const settings: PruneSettings = { all: false, repositories: ['acme/*', 'other/infra@release'] };
    expect(pruneEnabled(settings, 'Acme/Infra', 'main')).toBe(true);
    expect(pruneEnabled(settings, 'other/infra', 'release')).toBe(true);
    expect(pruneEnabled(settings, 'other/infra', 'main')).toBe(false);
    expect(pruneEnabled(undefined, 'acme/infra', 'main')).toBe(false);
    expect(pruneEnabled({ all: true, repositories: [] }, 'x/y', 'z')).toBe(true);
  });
});

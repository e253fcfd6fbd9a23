/**
 * The plan is the reconciler's dry run: for a resource whose last attempt failed in Huawei, a pull request
 * with the fixed file must say it will be created (not that Huawei holds a same-named resource
 * hwc-provisioner did not create, which failed the plan status of a change that then merged and worked);
 * once created, a pull request touching the file must say it exists, unchanged. A changed spec shows each
 * field as merging applies it (in place, replaced, or refused), and a removed file what its push removes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitReader } from '../../shared/intake/git';
import { planFiles, planGithubPullRequest, type PlanServices } from '../../shared/intake/plan-jobs';
import { planMarkdown, planSummary } from '../../shared/notify/render';
import type { RequestSource } from '../../shared/store/types';
import { notebook, PROJECT_ID, startHarness, type Harness } from '../execution/harness';

const REPOSITORY = 'acme/infra';
const WORKSPACE = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const push = (commit: string): RequestSource => ({
  provider: 'github',
  ref: `${REPOSITORY}@${commit}`,
  repository: REPOSITORY,
  commit,
  branch: 'main',
});

describe('a pull-request plan after a failed create', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const plan = (text: string) =>
    planFiles(
      { store: { table: h.deps.table, now: h.deps.now }, cloud: h.deps.cloud, defaults: { projectId: PROJECT_ID, region: 'cn-north-4' } },
      [{ file: 'provisioning/notebook.yaml', text }],
      { provider: 'github', repository: REPOSITORY },
    );

  it('says what merging does: create again after the failure, then exists unchanged once created', async () => {
    // The simulator fails any create whose body says sim-fail: the notebook is created, then ends CREATE_FAILED.
    const broken = notebook('pv1', (doc) => (doc.spec.body.description = 'sim-fail on purpose'));
    const first = await h.submitYaml(broken, push('a'.repeat(40)));
    await h.drive(first);
    expect((await h.request(first))!.resources[0]).toMatchObject({ state: 'Failed', reason: 'CREATE_FAILED' });
    expect((await h.simResources()).filter((r) => r.name === 'nb_pv1')).toHaveLength(1);

    const fixed = notebook('pv1');
    const before = await plan(fixed);
    expect(before).toEqual([expect.objectContaining({ kind: 'Notebook', name: 'nb-pv1', verdict: 'create' })]);
    expect(before[0]!.detail).not.toContain('did not create');
    expect(before[0]!.detail).toContain('the last attempt failed');
    expect(planSummary(before).state).toBe('success');

    const merged = await h.submitYaml(fixed, push('b'.repeat(40)));
    await h.drive(merged);
    const [created] = (await h.request(merged))!.resources;
    expect(created).toMatchObject({ state: 'Succeeded' });
    // The failed notebook is left alone and a new one is created, as the plan said.
    expect((await h.simResources()).filter((r) => r.name === 'nb_pv1')).toHaveLength(2);

    const after = await plan(fixed);
    expect(after).toEqual([expect.objectContaining({ verdict: 'exists', detail: `unchanged (id ${created!.huaweiId})` })]);
    expect(planSummary(after).state).toBe('success');
  });
});

describe('a pull-request plan for a resource that exists', () => {
  let h: Harness;
  let huaweiId: string;
  const created = notebook('pv2');
  beforeAll(async () => {
    h = await startHarness();
    // Declared in test.yaml (the harness's file name), by a push of acme/infra: what a later pull request changes or removes.
    const requestId = await h.submitYaml(created, push('c'.repeat(40)));
    await h.drive(requestId);
    const [resource] = (await h.request(requestId))!.resources;
    expect(resource).toMatchObject({ state: 'Succeeded' });
    huaweiId = resource!.huaweiId!;
  });
  afterAll(() => h.close());

  const services = (prune?: PlanServices['prune']): PlanServices => ({
    store: { table: h.deps.table, now: h.deps.now },
    cloud: h.deps.cloud,
    defaults: { projectId: PROJECT_ID, region: 'cn-north-4' },
    ...(prune ? { prune } : {}),
  });
  const plan = (text: string) => planFiles(services(), [{ file: 'test.yaml', text }], { provider: 'github', repository: REPOSITORY });

  /** Two commits as trees: the base holds `before`, the head `after` (path -> text). */
  function reader(before: Record<string, string>, after: Record<string, string>): GitReader {
    const trees: Record<string, Record<string, string>> = { ['1'.repeat(40)]: before, ['2'.repeat(40)]: after };
    return {
      listTree: async (commit) => Object.entries(trees[commit]!).map(([path, text]) => ({ path, id: `${commit}:${text.length}:${text}` })),
      readBlob: async (entry) => entry.id.split(':').slice(2).join(':'),
    };
  }
  const pullRequest = (prune: PlanServices['prune'], before: Record<string, string>, after: Record<string, string>) =>
    planGithubPullRequest(
      services(prune),
      reader(before, after),
      { repository: REPOSITORY, number: 7, base: '1'.repeat(40), head: '2'.repeat(40), baseRef: 'main', updatedAt: '2026-01-01T00:00:00Z' },
      ['**/*.yaml'],
    );

  it('shows a changed flavor as one line with both values and the restart, an update that keeps the Huawei id', async () => {
    const entries = await plan(notebook('pv2', (doc) => (doc.spec.body.flavor = 'modelarts.vm.cpu.8u')));
    expect(entries).toEqual([
      expect.objectContaining({
        verdict: 'update',
        changes: ['~ spec.body.flavor: modelarts.vm.cpu.2u → modelarts.vm.cpu.8u (restarts the notebook (stop, update, start))'],
      }),
    ]);
    expect(entries[0]!.detail).toBe(`spec.body.flavor (id ${huaweiId}); restarts the notebook (stop, update, start)`);
    expect(planSummary(entries)).toEqual({ state: 'success', description: '1 to update' });
    const body = planMarkdown(entries, { head: '2'.repeat(40), baseRef: 'main' });
    expect(body).toContain('| `Notebook/nb-pv2` | `test.yaml` | ✏️ will be updated in place: spec.body.flavor');
    expect(body).toContain(
      '```diff\n@@ Notebook/nb-pv2 · test.yaml @@\n~ spec.body.flavor: modelarts.vm.cpu.2u → modelarts.vm.cpu.8u (restarts the notebook',
    );
  });

  it('refuses a field that cannot change in place, as intake does, and shows it replaced under updatePolicy: Recreate', async () => {
    const moved = (recreate: boolean) =>
      notebook('pv2', (doc) => {
        doc.spec.body.workspace_id = WORKSPACE;
        if (recreate) doc.spec.updatePolicy = 'Recreate';
      });
    const refused = await plan(moved(false));
    expect(refused).toEqual([expect.objectContaining({ verdict: 'invalid', detail: '1 error' })]);
    expect(refused[0]!.errors).toEqual([
      expect.stringMatching(
        /^test\.yaml:\d+:\d+ spec\.body\.workspace_id: a notebook cannot move to another workspace; set spec\.updatePolicy/,
      ),
    ]);
    expect(refused[0]!.changes).toEqual([
      `! cannot change in place: spec.body.workspace_id: 0 → ${WORKSPACE} ` +
        '(a notebook cannot move to another workspace; set spec.updatePolicy: Recreate to replace it)',
    ]);
    expect(planSummary(refused).state).toBe('failure');

    const replaced = await plan(moved(true));
    expect(replaced).toEqual([expect.objectContaining({ verdict: 'replace' })]);
    expect(replaced[0]!.changes).toEqual([
      '-/+ will be replaced: spec.body.workspace_id cannot change in place (deleted, then created again with a new id)',
      `~ spec.body.workspace_id: 0 → ${WORKSPACE} (forces replacement)`,
    ]);
    expect(planSummary(replaced)).toEqual({ state: 'success', description: '1 to replace' });
    expect(planMarkdown(replaced, { head: '2'.repeat(40), baseRef: 'main' })).toContain(
      `♻️ will be replaced: spec.body.workspace\\_id cannot change in place: deleted, then created again with a new id ` +
        `(replacing id ${huaweiId}) |`,
    );
  });

  it('shows a removed file as orphaned, or deleted where the manifest says Delete and pruning is on for the base branch', async () => {
    const deletable = notebook('pv2', (doc) => (doc.metadata.deletionPolicy = 'Delete'));
    const orphaned = await pullRequest(undefined, { 'test.yaml': deletable }, {});
    expect(orphaned).toMatchObject({ comment: 'skipped' });
    expect(orphaned.entries).toEqual([
      {
        file: 'test.yaml',
        kind: 'Notebook',
        name: 'nb-pv2',
        verdict: 'orphan',
        detail: 'file removed; pruning is off for main: left running, no longer managed',
        errors: [],
        changes: ['- will be orphaned (left running, no longer managed)'],
      },
    ]);
    expect(planSummary(orphaned.entries)).toEqual({ state: 'success', description: '1 to orphan' });

    const pruned = { all: false, repositories: ['acme/infra@main'] };
    const deleted = await pullRequest(pruned, { 'test.yaml': deletable }, {});
    expect(deleted.entries).toEqual([expect.objectContaining({ verdict: 'delete', changes: ['- will be deleted'] })]);
    expect(planMarkdown(deleted.entries, { head: '2'.repeat(40), baseRef: 'main' })).toContain(
      '```diff\n@@ Notebook/nb-pv2 · test.yaml @@\n- will be deleted\n```',
    );
    // The default policy is Orphan, pruning or not; pruning on another branch does not count.
    expect((await pullRequest(pruned, { 'test.yaml': created }, {})).entries).toEqual([expect.objectContaining({ verdict: 'orphan' })]);
    const elsewhere = await pullRequest({ all: false, repositories: ['acme/infra@release'] }, { 'test.yaml': deletable }, {});
    expect(elsewhere.entries).toEqual([expect.objectContaining({ verdict: 'orphan' })]);
    // Moved to another file: declared, not removed, and unchanged.
    const moved = await pullRequest(pruned, { 'test.yaml': deletable }, { 'other.yaml': created });
    expect(moved.entries.map((e) => [e.file, e.verdict])).toEqual([['other.yaml', 'exists']]);

    // A plan is a dry run: the resource is still managed and still in Huawei Cloud.
    expect((await h.simResources()).filter((r) => r.id === huaweiId)).toHaveLength(1);
    expect(await plan(created)).toEqual([expect.objectContaining({ verdict: 'exists' })]);
  });
});

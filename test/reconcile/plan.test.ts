/**
 * The plan is the reconciler's dry run: for a resource whose last attempt failed in Huawei, a pull request
 * with the fixed file must say it will be created (not that Huawei holds a same-named resource
 * hwc-provisioner did not create, which failed the plan status of a change that then merged and worked);
 * once created, a pull request touching the file must say it exists, unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFiles } from '../../shared/intake/plan-jobs';
import { planSummary } from '../../shared/notify/render';
import type { RequestSource } from '../../shared/store/types';
import { notebook, PROJECT_ID, startHarness, type Harness } from '../execution/harness';

const REPOSITORY = 'acme/infra';
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

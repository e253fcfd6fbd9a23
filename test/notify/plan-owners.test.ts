/**
 * A plan is shown to whoever opened the pull request. A resource another namespace (another repository, a
 * ticket's project, an API caller) owns is refused, as merging would refuse it, naming the owner but never
 * its Huawei id; a fork's author sees no ids at all.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { GitReader } from '../../shared/intake/git';
import { randomRequestId } from '../../shared/intake/ids';
import { submit } from '../../shared/intake/submit';
import type { Kind } from '../../shared/kinds/registry';
import { planGithubPullRequest, planGitlabMergeRequest, type PlanServices } from '../../shared/intake/plan-jobs';
import { planMarkdown } from '../../shared/notify/render';
import { getResource } from '../../shared/store/resources';
import type { RequestSource } from '../../shared/store/types';
import { intakeDepsFor, PROJECT_ID } from '../http/helpers';
import { markCreated } from '../setup/managed';
import { useLocalResources, type LocalStack } from '../setup/stack';

const NOTEBOOK = readFileSync('examples/notebook.yaml', 'utf8');
const POOL = readFileSync('examples/resource-pool.yaml', 'utf8');
const NODE_POOL = readFileSync('examples/node-pool.yaml', 'utf8');

const suffix = randomBytes(3).toString('hex');
const notebook = (name: string, flavor?: string) => {
  const doc = parse(NOTEBOOK);
  doc.metadata.name = `${name}-${suffix}`;
  doc.spec.body.name = `${name}_${suffix}`.replace(/-/g, '_');
  if (flavor) doc.spec.body.flavor = flavor;
  return stringify(doc);
};

/** A git reader over one commit's files; the base commit is empty. */
function reader(files: Record<string, string>): GitReader {
  return {
    async listTree(commit) {
      return commit === HEAD ? Object.keys(files).map((path) => ({ path, id: `${path}@${HEAD}` })) : [];
    },
    async readBlob(entry) {
      return files[entry.path]!;
    },
  };
}
const BASE = 'b'.repeat(40);
const HEAD = 'c'.repeat(40);
const GLOBS = ['provisioning/**/*.{yaml,yml,json}'];

describe('plans and ownership', () => {
  let stack: LocalStack;
  let services: PlanServices;

  /** Records a request from `source` and marks its resource created, as the dispatcher would. */
  async function created(source: RequestSource, yaml: string, huaweiId: string) {
    const intake = intakeDepsFor(stack);
    const requestId = randomRequestId();
    const outcome = await submit(intake, { requestId, source, files: [{ file: 'provisioning/x.yaml', text: yaml }] });
    expect(outcome.status).toBe('accepted');
    const { kind, metadata } = parse(yaml) as { kind: Kind; metadata: { name: string } };
    await markCreated(intake.table, (await getResource(intake.table, requestId, kind, metadata.name))!, huaweiId);
    return requestId;
  }

  beforeAll(async () => {
    stack = await useLocalResources();
    const intake = intakeDepsFor(stack);
    services = { store: { table: intake.table, now: () => new Date() }, defaults: intake.defaults };
  });
  afterAll(() => stack.close());

  it('shows the id of what the same repository created, and refuses what other repositories, tickets and callers own', async () => {
    const github = (repository: string): RequestSource => ({
      provider: 'github',
      ref: `${repository}@${'e'.repeat(40)}`,
      repository,
      commit: 'e'.repeat(40),
      branch: 'main',
    });
    await created(github('acme/infra'), notebook('ours'), 'id-ours-0001');
    await created(github('other/repo'), notebook('repo'), 'id-secret-repo');
    await created({ provider: 'jira', ref: 'OPS-7', ticket: 'OPS-7' }, notebook('ticket'), 'id-secret-ticket');
    const apiRequest = await created({ provider: 'api', ref: 'api:ci', caller: 'ci' }, notebook('api'), 'id-secret-api');
    await created(
      { provider: 'gitlab', ref: 'acme/infra@x', repository: 'acme/infra', commit: 'e'.repeat(40) },
      notebook('lab'),
      'id-secret-gitlab',
    );

    const files = {
      'provisioning/ours.yaml': notebook('ours'),
      'provisioning/repo.yaml': notebook('repo'),
      'provisioning/ticket.yaml': notebook('ticket'),
      // Owned elsewhere whatever the spec: refused, naming the owner but not its request.
      'provisioning/api.yaml': notebook('api', 'modelarts.vm.cpu.8u'),
      'provisioning/lab.yaml': notebook('lab'),
    };
    const job = { repository: 'Acme/Infra', number: 5, base: BASE, head: HEAD, baseRef: 'main', updatedAt: '2026-11-23T10:00:00Z' };
    const { entries } = await planGithubPullRequest(services, reader(files), job, GLOBS);
    const byFile = Object.fromEntries(entries.map((e) => [e.file, e]));
    expect(byFile['provisioning/ours.yaml']).toMatchObject({ verdict: 'exists', detail: 'unchanged (id id-ours-0001)' });
    const owners = {
      'provisioning/repo.yaml': 'github:other/repo',
      'provisioning/ticket.yaml': 'jira:OPS',
      'provisioning/lab.yaml': 'gitlab:acme/infra',
      'provisioning/api.yaml': 'api:ci',
    };
    for (const [file, owner] of Object.entries(owners)) {
      expect(byFile[file]).toMatchObject({ verdict: 'invalid' });
      expect(byFile[file]!.errors.join('\n')).toContain(`is managed by ${owner}; only that owner may change it`);
    }
    const body = planMarkdown(entries, { head: HEAD, baseRef: 'main' });
    expect(body).toContain('id-ours-0001');
    expect(body).not.toMatch(/id-secret/);
    expect(body).not.toContain(apiRequest);

    // A pull request from a fork (planned only when configured) owns nothing in the base repository.
    const fork = await planGithubPullRequest(services, reader(files), { ...job, number: 8, fork: true }, GLOBS);
    expect(planMarkdown(fork.entries, { head: HEAD, baseRef: 'main' })).not.toMatch(/id-ours|id-secret/);

    // The same GitLab project sees its own id; the GitHub repository of the same name does not.
    const lab = await planGitlabMergeRequest(
      services,
      reader(files),
      { projectId: 9, repository: 'acme/infra', iid: 2, base: BASE, head: HEAD, baseRef: 'main', updatedAt: '2026-11-23 10:00:00 UTC' },
      GLOBS,
    );
    const labBody = planMarkdown(lab.entries, { head: HEAD, baseRef: 'main' });
    expect(labBody).toContain('id-secret-gitlab');
    expect(labBody).not.toContain('id-ours-0001');
  });

  it('does not leak the id of a pool owned elsewhere through a failed Huawei look-up', async () => {
    const pool = parse(POOL);
    pool.metadata.name = `pool-${suffix}`;
    await created({ provider: 'api', ref: 'api:ci', caller: 'ci' }, stringify(pool), `poolid-secret-${suffix}`);
    const nodePool = parse(NODE_POOL);
    nodePool.metadata.name = `np-${suffix}`;
    delete nodePool.spec.poolName;
    nodePool.spec.poolRef = pool.metadata.name;
    const cloud = {
      async findByName(_kind: Kind, target: { poolName?: string }): Promise<unknown[]> {
        throw new Error(`GET /v2/${PROJECT_ID}/pools/${target.poolName}/nodepools: HTTP 503 pool ${target.poolName} busy`);
      },
    };
    const job = { repository: 'acme/infra', number: 6, base: BASE, head: HEAD, baseRef: 'main', updatedAt: '2026-11-23T10:00:00Z' };
    const { entries } = await planGithubPullRequest(
      { ...services, cloud },
      reader({ 'provisioning/np.yaml': stringify(nodePool) }),
      job,
      GLOBS,
    );
    expect(entries).toEqual([expect.objectContaining({ verdict: 'create' })]);
    expect(entries[0]!.detail).toContain('could not check Huawei Cloud');
    expect(JSON.stringify(entries)).not.toContain('poolid-secret');
  });
});

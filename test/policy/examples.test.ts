/**
 * The example policies (examples/policies/, docs/policy.md) and the local stack's (local/policy.yaml) parse, and
 * decide what their comments say, on the manifests of examples/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSource } from '../../shared/manifests/validate';
import { parsePolicy, type Policy } from '../../shared/policy/document';
import { evaluatePolicy, type PolicyResource, type PolicySubject } from '../../shared/policy/evaluate';

const DIR = 'examples/policies';
const load = (file: string): Promise<Policy> => parsePolicy(readFileSync(file, 'utf8'), file);

const PRODUCTION = '0a6f2c31b3d84e58a9c1f4e7d2b05c96';
const ML = '5d3e8b7a90c14f26b1e0a4c7f8d2e613';
const SANDBOX = 'c41b7e9d2a8f4036b5e1d9c0a7f3e824';

/** Each kind's example manifest, placed in `projectId`. */
function example(name: string, projectId: string, edit: (manifest: any) => void = () => {}): PolicyResource {
  const [doc] = validateSource(readFileSync(join('examples', name), 'utf8'), name);
  const manifest = structuredClone(doc!.manifest!) as any;
  edit(manifest);
  return { kind: manifest.kind, name: manifest.metadata.name, projectId, region: 'cn-north-4', manifest };
}

const github = (repository: string, branch = 'main'): PolicySubject => ({
  provider: 'github',
  repository,
  branch,
  owner: `github:${repository}`,
});

describe('examples/policies', () => {
  it('holds the three documented policies, and each parses', async () => {
    const files = readdirSync(DIR).sort();
    expect(files).toEqual(['gpu-approval.yaml', 'pool-size-limit.yaml', 'repository-allowlist.yaml']);
    for (const file of files) expect((await load(join(DIR, file))).rules.length).toBeGreaterThan(0);
  });

  it('repository-allowlist: each source provisions in its own project only', async () => {
    const policy = await load(join(DIR, 'repository-allowlist.yaml'));
    const notebook = (projectId: string) => example('notebook.yaml', projectId);
    expect(evaluatePolicy(policy, github('acme/infra'), example('resource-pool.yaml', PRODUCTION))).toMatchObject({
      allowed: true,
      rule: 'infra-production',
    });
    expect(evaluatePolicy(policy, github('acme/infra', 'dev'), notebook(PRODUCTION))).toEqual({
      allowed: false,
      message:
        `no policy rule lets github acme/infra@dev provision Notebook in project ${PRODUCTION} (region cn-north-4); ` +
        'ask #platform for access',
    });
    const gitlab: PolicySubject = {
      provider: 'gitlab',
      repository: 'ml-team/vision/train',
      branch: 'release/2',
      owner: 'gitlab:ml-team/vision/train',
    };
    expect(evaluatePolicy(policy, gitlab, notebook(ML))).toMatchObject({ allowed: true, rule: 'ml-team-repositories' });
    expect(evaluatePolicy(policy, gitlab, example('edge-deployment.yaml', ML))).toMatchObject({ allowed: false });
    expect(evaluatePolicy(policy, { provider: 'jira', ticket: 'OPS-12', owner: 'jira:OPS' }, notebook(SANDBOX))).toMatchObject({
      allowed: true,
      rule: 'ops-tickets',
    });
    expect(evaluatePolicy(policy, { provider: 'api', caller: 'ci-nightly', owner: 'api:ci-nightly' }, notebook(SANDBOX))).toMatchObject({
      allowed: true,
      rule: 'ci-callers',
    });
    expect(evaluatePolicy(policy, { provider: 'api', caller: 'alice', owner: 'api:alice' }, notebook(SANDBOX))).toMatchObject({
      allowed: false,
    });
  });

  it('pool-size-limit: the examples fit; bigger pools, node pools and disks are refused with their limit', async () => {
    const policy = await load(join(DIR, 'pool-size-limit.yaml'));
    const team: PolicySubject = { ...github('acme/ml'), owner: 'group:ml-team' };
    for (const name of ['resource-pool.yaml', 'node-pool.yaml', 'notebook.yaml']) {
      expect(evaluatePolicy(policy, team, example(name, ML)), name).toEqual({ allowed: true, rule: 'ml-team' });
    }
    const refusal = (name: string, edit: (m: any) => void) => {
      const verdict = evaluatePolicy(policy, team, example(name, ML, edit));
      return verdict.allowed ? 'allowed' : verdict.message;
    };
    expect(refusal('resource-pool.yaml', (m) => (m.spec.body.spec.resources[0].count = 6))).toMatch(
      /refuses ResourcePool train-pool: a pool may have at most 4 nodes of each flavor \(limit nodes-per-flavor\); larger requests/,
    );
    expect(
      refusal('resource-pool.yaml', (m) =>
        m.spec.body.spec.resources.push({ flavor: 'modelarts.vm.cpu.8u', count: 1 }, { flavor: 'modelarts.vm.cpu.16u', count: 1 }),
      ),
    ).toMatch(/\(limit flavors-per-pool\)/);
    expect(refusal('node-pool.yaml', (m) => (m.spec.body.spec.resources.maxCount = 8))).toMatch(/\(limit node-pool-size\)/);
    expect(refusal('notebook.yaml', (m) => (m.spec.body.volume.capacity = 500))).toMatch(/\(limit notebook-disk\)/);
    expect(evaluatePolicy(policy, github('acme/ml'), example('notebook.yaml', ML))).toMatchObject({ allowed: false });
  });

  it('gpu-approval: the GPU pool of the examples waits for an approver; a CPU pool and notebooks do not', async () => {
    const policy = await load(join(DIR, 'gpu-approval.yaml'));
    const ml = github('acme/ml-train');
    expect(evaluatePolicy(policy, ml, example('resource-pool.yaml', ML))).toEqual({
      allowed: true,
      rule: 'gpu-capacity',
      approval: {
        rule: 'gpu-capacity',
        approvers: ['jira:platform-lead', 'api:platform-bot'],
        reason: 'GPU capacity is shared; a platform lead approves each GPU pool',
      },
    });
    const cpu = example('resource-pool.yaml', ML, (m) => (m.spec.body.spec.resources[0].flavor = 'modelarts.vm.cpu.8u'));
    expect(evaluatePolicy(policy, ml, cpu)).toEqual({ allowed: true, rule: 'gpu-capacity' });
    // The node pool example's flavor is a CPU one.
    expect(evaluatePolicy(policy, ml, example('node-pool.yaml', ML))).toEqual({ allowed: true, rule: 'gpu-capacity' });
    expect(evaluatePolicy(policy, ml, example('notebook.yaml', ML))).toEqual({ allowed: true, rule: 'ml-notebooks' });
    expect(evaluatePolicy(policy, github('acme/web'), example('notebook.yaml', ML))).toMatchObject({ allowed: false });
  });
});

describe('local/policy.yaml', async () => {
  const subjects: PolicySubject[] = [
    github('acme/infra'),
    { provider: 'gitlab', repository: 'g/p', owner: 'gitlab:g/p' },
    { provider: 'jira', ticket: 'OPS-1', owner: 'jira:OPS' },
    { provider: 'api', caller: 'local', owner: 'api:local' },
    { provider: 'queue', caller: 'system', owner: 'queue:system' },
  ];
  const policy = await load('local/policy.yaml');

  it('lets every source provision every kind anywhere', async () => {
    for (const subject of subjects) {
      for (const name of ['resource-pool.yaml', 'node-pool.yaml', 'notebook.yaml', 'edge-deployment.yaml']) {
        expect(evaluatePolicy(policy, subject, { ...example(name, 'any-project'), region: 'ap-southeast-1' })).toMatchObject({
          allowed: true,
        });
      }
    }
  });

  it('holds only a GPU pool filed in a ticket for approval, to show that flow', async () => {
    const jira = subjects[2]!;
    expect(evaluatePolicy(policy, jira, example('resource-pool.yaml', 'p'))).toMatchObject({
      allowed: true,
      rule: 'jira-gpu-pools',
      approval: { rule: 'jira-gpu-pools', reason: 'pools with GPUs need an approval' },
    });
    const cpuPool = example('resource-pool.yaml', 'p', (m) => {
      for (const r of m.spec.body.spec.resources) r.flavor = 'modelarts.vm.cpu.8u';
    });
    expect(evaluatePolicy(policy, jira, cpuPool)).toEqual({ allowed: true, rule: 'jira-gpu-pools' });
    for (const subject of subjects.filter((s) => s.provider !== 'jira'))
      expect(evaluatePolicy(policy, subject, example('resource-pool.yaml', 'p'))).toEqual({ allowed: true, rule: 'everyone' });
  });
});

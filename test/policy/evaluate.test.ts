/**
 * Verdicts: which rule decides, what its limits and approval make of a resource, and that no failure of an
 * expression escapes as an exception. Resources are built from Huawei's request examples.
 */
import { describe, expect, it } from 'vitest';
import { ownerOf } from '../../shared/reconcile/owner';
import { parsePolicy } from '../../shared/policy/document';
import { evaluatePolicy, sourceHasAnyRule, subjectOf, type PolicyResource, type PolicySubject } from '../../shared/policy/evaluate';
import type { RequestSource } from '../../shared/store/types';
import { nodePoolExample, notebookExample, poolExample } from '../kinds/request-examples';

const P = '0a1b2c3d4e5f';
const Q = '9f8e7d6c5b4a';

const policyOf = (rules: string, head = '') =>
  parsePolicy(`apiVersion: hwc-provisioner.io/v1\nkind: Policy\n${head}rules:\n${rules}`, 'p.yaml');

function resource(kind: string, body: Record<string, unknown>, over: Partial<PolicyResource> = {}): PolicyResource {
  const name = over.name ?? `${kind.toLowerCase()}-1`;
  return {
    kind,
    name,
    projectId: P,
    region: 'cn-north-4',
    manifest: { apiVersion: 'hwc-provisioner/v1', kind, metadata: { name }, spec: { body } },
    ...over,
  };
}
const pool = (edit: (body: Record<string, any>) => void = () => {}) => {
  const body = poolExample();
  edit(body);
  return resource('ResourcePool', body);
};
const notebook = (over: Partial<PolicyResource> = {}) => resource('Notebook', notebookExample(), over);

const github = (repository: string, branch = 'main', owner = `github:${repository.toLowerCase()}`): PolicySubject => ({
  provider: 'github',
  repository,
  branch,
  owner,
});
const jira = (ticket: string): PolicySubject => ({ provider: 'jira', ticket, owner: `jira:${ticket.split('-')[0]}` });
const api = (caller: string): PolicySubject => ({ provider: 'api', caller, owner: `api:${caller}`, user: caller });

describe('subjectOf', () => {
  it('reads each provider’s source as intake and the HTTP API record it', async () => {
    const push: RequestSource = {
      provider: 'github',
      ref: 'acme/infra@6113728f',
      repository: 'acme/infra',
      commit: '6113728f',
      branch: 'main',
    };
    expect(subjectOf(push, ownerOf(push))).toEqual({
      provider: 'github',
      repository: 'acme/infra',
      branch: 'main',
      owner: 'github:acme/infra',
    });
    const ticket: RequestSource = { provider: 'jira', ref: 'OPS-12', ticket: 'OPS-12' };
    expect(subjectOf(ticket, ownerOf(ticket))).toEqual({ provider: 'jira', ticket: 'OPS-12', owner: 'jira:OPS' });
    const call: RequestSource = { provider: 'api', ref: 'api:alice', caller: 'alice' };
    expect(subjectOf(call, ownerOf(call))).toEqual({ provider: 'api', caller: 'alice', owner: 'api:alice', user: 'alice' });
    const queued: RequestSource = { provider: 'queue', ref: 'queue:billing:inv-7', caller: 'billing' };
    expect(subjectOf(queued, 'group:finance')).toEqual({ provider: 'queue', caller: 'billing', owner: 'group:finance' });
  });

  it('falls back on the reference where a field is missing, and takes a user the source carries', async () => {
    expect(subjectOf({ provider: 'gitlab', ref: 'ml/sub/proj@abc' }, 'gitlab:ml/sub/proj')).toMatchObject({ repository: 'ml/sub/proj' });
    expect(subjectOf({ provider: 'queue', ref: 'queue:billing:inv-7' }, 'queue:billing')).toMatchObject({ caller: 'billing' });
    expect(subjectOf({ provider: 'api', ref: 'api:bob' }, 'api:bob')).toMatchObject({ caller: 'bob', user: 'bob' });
    expect(subjectOf({ provider: 'jira', ref: 'OPS-3', ticket: 'OPS-3', user: 'ops-lead' }, 'jira:OPS')).toMatchObject({
      user: 'ops-lead',
    });
  });
});

describe('matching', async () => {
  const policy = await policyOf(`
  - name: infra
    match: { provider: github, repository: "acme/*", branch: [main, "release/*"] }
    grant: { projects: ["${P}"] }
  - name: gitlab-group
    match: { provider: gitlab, repository: "ml/**" }
    grant: { projects: ["${P}"] }
  - name: ops
    match: { jiraProject: [OPS, "DATA*"] }
    grant: { projects: ["${P}"] }
  - name: ci
    match: { provider: [api, queue], caller: "ci-*" }
    grant: { projects: ["${P}"] }
  - name: team
    match: { owner: "group:ml-team" }
    grant: { projects: ["${P}"] }
`);
  const decided = (subject: PolicySubject) => {
    const verdict = evaluatePolicy(policy, subject, notebook());
    return verdict.allowed ? verdict.rule : undefined;
  };

  it('matches repositories and branches by glob, repositories in any case', async () => {
    expect(decided(github('acme/infra'))).toBe('infra');
    expect(decided(github('ACME/Infra'))).toBe('infra');
    expect(decided(github('acme/infra', 'release/1.2'))).toBe('infra');
    expect(decided(github('acme/infra', 'feature/x'))).toBeUndefined();
    expect(decided(github('acme/infra', 'Main'))).toBeUndefined();
    expect(decided(github('other/infra'))).toBeUndefined();
    // A single * stays within one path segment; ** crosses them (GitLab subgroups).
    expect(decided({ provider: 'gitlab', repository: 'ml/vision/train', owner: 'gitlab:ml/vision/train' })).toBe('gitlab-group');
    expect(decided({ provider: 'github', repository: 'ml/vision', branch: 'main', owner: 'github:ml/vision' })).toBeUndefined();
  });

  it('matches the Jira project of a ticket', async () => {
    expect(decided(jira('OPS-12'))).toBe('ops');
    expect(decided(jira('DATAENG-7'))).toBe('ops');
    expect(decided(jira('OPSX-1'))).toBeUndefined();
    expect(decided(jira('SEC-1'))).toBeUndefined();
  });

  it('matches API callers and queue systems by name, and any listed provider', async () => {
    expect(decided(api('ci-nightly'))).toBe('ci');
    expect(decided({ provider: 'queue', caller: 'ci-feed', owner: 'queue:ci-feed' })).toBe('ci');
    expect(decided(api('alice'))).toBeUndefined();
  });

  it('matches the owner namespace: a group takes its repositories and tickets alike', async () => {
    expect(decided(github('lab/models', 'dev', 'group:ml-team'))).toBe('team');
    expect(decided({ ...jira('SEC-1'), owner: 'group:ml-team' })).toBe('team');
  });

  it('tells whether any rule speaks for a source, whatever it grants', async () => {
    expect(sourceHasAnyRule(policy, api('ci-nightly'))).toBe(true);
    expect(sourceHasAnyRule(policy, api('alice'))).toBe(false);
    expect(sourceHasAnyRule(await policyOf(`  - name: all\n    grant: { projects: "*" }\n`), api('alice'))).toBe(true);
    expect(sourceHasAnyRule(await policyOf(' []\n'), api('alice'))).toBe(false);
  });
});

describe('grants and rule order', async () => {
  const policy = await policyOf(
    `
  - name: notebooks-in-p
    match: { provider: api }
    grant: { projects: ["${P}"], regions: [cn-north-4], kinds: [Notebook] }
  - name: anything-in-q
    match: { provider: api }
    grant: { projects: ["${Q}"] }
  - name: pools-anywhere
    match: { provider: api, caller: alice }
    grant: { projects: "*", kinds: [ResourcePool] }
`,
    'denyMessage: "ask #platform for access"\n',
  );

  it('the first rule that matches and grants project, region and kind decides', async () => {
    expect(evaluatePolicy(policy, api('bob'), notebook())).toEqual({ allowed: true, rule: 'notebooks-in-p' });
    expect(evaluatePolicy(policy, api('bob'), notebook({ projectId: Q }))).toEqual({ allowed: true, rule: 'anything-in-q' });
    expect(evaluatePolicy(policy, api('alice'), pool())).toEqual({ allowed: true, rule: 'pools-anywhere' });
  });

  it('refuses what no rule grants, naming source, kind, project and region, with the deny message', async () => {
    expect(evaluatePolicy(policy, api('bob'), notebook({ region: 'cn-east-3' }))).toEqual({
      allowed: false,
      message: `no policy rule lets api bob provision Notebook in project ${P} (region cn-east-3); ask #platform for access`,
    });
    const place = `project ${P} (region cn-north-4)`;
    expect(evaluatePolicy(policy, github('acme/other'), notebook())).toEqual({
      allowed: false,
      message: `no policy rule lets github acme/other@main provision Notebook in ${place}; ask #platform for access`,
    });
    expect(evaluatePolicy(policy, jira('OPS-12'), pool())).toMatchObject({
      message: expect.stringMatching(/^no policy rule lets jira OPS-12 provision ResourcePool in project /),
    });
  });
});

describe('limits', async () => {
  const policy = await policyOf(`
  - name: infra-repo
    match: { provider: github, repository: acme/infra }
    grant: { projects: ["${P}"] }
    limits:
      - name: pool-size
        expression: "object.kind != 'ResourcePool' || object.spec.body.spec.resources.all(r, r.count <= 4)"
        message: pools are limited to 4 nodes per flavor
      - name: no-shrink
        expression: >-
          oldObject == null || object.kind != 'ResourcePool' ||
          size(object.spec.body.spec.resources) >= size(oldObject.spec.body.spec.resources)
        message: a pool keeps its flavors
`);

  it('allows Huawei’s CreatePool example (2 nodes) and refuses it with 5, with the limit’s message', async () => {
    expect(evaluatePolicy(policy, github('acme/infra'), pool())).toEqual({ allowed: true, rule: 'infra-repo' });
    expect(
      evaluatePolicy(
        policy,
        github('acme/infra'),
        pool((b) => (b.spec.resources[0].count = 5)),
      ),
    ).toEqual({
      allowed: false,
      rule: 'infra-repo',
      message: 'rule infra-repo refuses ResourcePool resourcepool-1: pools are limited to 4 nodes per flavor (limit pool-size)',
    });
  });

  it('compares a change with the managed resource’s manifest (oldObject)', async () => {
    const before = pool((b) => b.spec.resources.push({ flavor: 'modelarts.vm.cpu.8u', count: 1 }));
    const after = { ...pool(), oldManifest: before.manifest };
    expect(evaluatePolicy(policy, github('acme/infra'), after)).toMatchObject({
      allowed: false,
      message: expect.stringMatching(/keeps its flavors \(limit no-shrink\)$/),
    });
    expect(evaluatePolicy(policy, github('acme/infra'), { ...before, oldManifest: pool().manifest })).toMatchObject({ allowed: true });
  });

  it('refuses, naming the rule and the error, when an expression errs or is not a boolean; never throws', async () => {
    const strict = await policyOf(`
  - name: strict
    grant: { projects: "*" }
    limits:
      - name: pool-only
        expression: "object.spec.body.spec.resources.all(r, r.count <= 4)"
        message: small
      - name: odd
        expression: "object.kind"
        message: never
`);
    expect(evaluatePolicy(strict, api('bob'), notebook())).toEqual({
      allowed: false,
      rule: 'strict',
      message: 'rule strict could not evaluate limit pool-only for Notebook notebook-1: No such key: spec',
    });
    expect(evaluatePolicy(strict, api('bob'), pool())).toEqual({
      allowed: false,
      rule: 'strict',
      message: 'rule strict could not evaluate limit odd for ResourcePool resourcepool-1: it evaluated to a string, not a boolean',
    });
  });

  it('bounds an expensive expression over a big list: refused at the budget, not hung', async () => {
    const heavy = await policyOf(`
  - name: heavy
    grant: { projects: "*" }
    limits:
      - name: pairs
        expression: >-
          object.spec.body.spec.resources.all(a, object.spec.body.spec.resources.all(b,
          object.spec.body.spec.resources.all(c, a.count + b.count >= c.count - 10)))
        message: never
`);
    const big = pool((b) => (b.spec.resources = Array.from({ length: 2_000 }, (_, i) => ({ flavor: `f${i}`, count: 1 }))));
    const started = performance.now();
    expect(evaluatePolicy(heavy, api('bob'), big)).toEqual({
      allowed: false,
      rule: 'heavy',
      message: 'rule heavy could not evaluate limit pairs for ResourcePool resourcepool-1: it ran past the 50 ms evaluation budget',
    });
    expect(performance.now() - started).toBeLessThan(1_500);
    // The same expression over the example's one flavor is cheap and holds.
    expect(evaluatePolicy(heavy, api('bob'), pool())).toEqual({ allowed: true, rule: 'heavy' });
  });

  it('refuses a manifest the variables cannot hold rather than throwing', async () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) deep = { d: deep };
    const verdict = evaluatePolicy(policy, github('acme/infra'), resource('ResourcePool', deep));
    expect(verdict).toMatchObject({
      allowed: false,
      rule: 'infra-repo',
      message: expect.stringMatching(/could not evaluate the variables .*nests deeper/),
    });
  });
});

describe('approval', async () => {
  const gpu = "object.kind == 'ResourcePool' && object.spec.body.spec.resources.exists(r, r.flavor.contains('gpu'))";
  const policy = await policyOf(`
  - name: by-kind
    match: { caller: kind }
    grant: { projects: "*" }
    approval: { kinds: [NodePool], approvers: ["api:alice", "jira:ops-lead"] }
  - name: by-project
    match: { caller: project }
    grant: { projects: "*" }
    approval: { projects: ["${Q}"] }
  - name: by-condition
    match: { caller: condition }
    grant: { projects: "*" }
    approval:
      when: "${gpu}"
      message: GPU pools wait for a platform lead
  - name: always
    match: { caller: always }
    grant: { projects: "*" }
    approval: {}
  - name: broken-condition
    match: { caller: broken }
    grant: { projects: "*" }
    approval: { kinds: [NodePool], when: "object.spec.body.spec.resources.exists(r, r.flavor.contains('gpu'))" }
`);
  const nodePool = resource('NodePool', nodePoolExample());

  it('is triggered by the kind, with the approvers listed', async () => {
    expect(evaluatePolicy(policy, api('kind'), nodePool)).toEqual({
      allowed: true,
      rule: 'by-kind',
      approval: { rule: 'by-kind', approvers: ['api:alice', 'jira:ops-lead'], reason: 'NodePool needs approval' },
    });
    expect(evaluatePolicy(policy, api('kind'), notebook())).toEqual({ allowed: true, rule: 'by-kind' });
  });

  it('is triggered by the project; no approvers means anyone with the approve role', async () => {
    expect(evaluatePolicy(policy, api('project'), notebook({ projectId: Q }))).toEqual({
      allowed: true,
      rule: 'by-project',
      approval: { rule: 'by-project', approvers: [], reason: `project ${Q} needs approval` },
    });
    expect(evaluatePolicy(policy, api('project'), notebook())).toEqual({ allowed: true, rule: 'by-project' });
  });

  it('is triggered by a condition: the CreatePool example asks for a GPU flavor, a CPU pool does not', async () => {
    expect(evaluatePolicy(policy, api('condition'), pool())).toEqual({
      allowed: true,
      rule: 'by-condition',
      approval: { rule: 'by-condition', approvers: [], reason: 'GPU pools wait for a platform lead' },
    });
    const cpu = pool((b) => (b.spec.resources[0].flavor = 'modelarts.vm.cpu.8u'));
    expect(evaluatePolicy(policy, api('condition'), cpu)).toEqual({ allowed: true, rule: 'by-condition' });
    expect(evaluatePolicy(policy, api('condition'), notebook())).toEqual({ allowed: true, rule: 'by-condition' });
  });

  it('is always required when the approval names no trigger', async () => {
    expect(evaluatePolicy(policy, api('always'), notebook())).toMatchObject({
      allowed: true,
      approval: { rule: 'always', reason: 'rule always requires approval for all it grants' },
    });
  });

  it('refuses when its condition errs, and does not evaluate it when the kind already triggers', async () => {
    expect(evaluatePolicy(policy, api('broken'), notebook())).toEqual({
      allowed: false,
      rule: 'broken-condition',
      message: 'rule broken-condition could not evaluate approval.when for Notebook notebook-1: No such key: spec',
    });
    expect(evaluatePolicy(policy, api('broken'), nodePool)).toMatchObject({
      allowed: true,
      approval: { reason: 'NodePool needs approval' },
    });
  });

  it('is not reached when a limit refuses', async () => {
    const limited = await policyOf(`
  - name: limited
    grant: { projects: "*" }
    limits: [{ name: none, expression: "false", message: closed }]
    approval: {}
`);
    expect(evaluatePolicy(limited, api('x'), notebook())).toEqual({
      allowed: false,
      rule: 'limited',
      message: 'rule limited refuses Notebook notebook-1: closed (limit none)',
    });
  });
});

describe('CEL variables', () => {
  it('exposes the source, with the Jira project and without absent fields', async () => {
    const policy = await policyOf(`
  - name: vars
    grant: { projects: "*" }
    limits:
      - name: source
        expression: >-
          source.provider == 'jira' && source.jiraProject == 'OPS' && source.ticket == 'OPS-12' &&
          source.owner == 'jira:OPS' && !has(source.branch)
        message: wrong source
`);
    expect(evaluatePolicy(policy, jira('OPS-12'), notebook())).toEqual({ allowed: true, rule: 'vars' });
    expect(evaluatePolicy(policy, jira('SEC-1'), notebook())).toMatchObject({
      allowed: false,
      message: expect.stringMatching(/wrong source/),
    });
  });
});

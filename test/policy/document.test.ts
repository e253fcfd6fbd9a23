/**
 * The policy document: what parses, what it compiles to, and every kind of error with its rule and line:column.
 */
import { describe, expect, it } from 'vitest';
import { formatPolicyIssue, parsePolicy, PolicyDocumentError, type PolicyIssue } from '../../shared/policy/document';

/** The document of the task's example, line for line: positions below count from its first line. */
const EXAMPLE = `apiVersion: hwc-provisioner.io/v1
kind: Policy
denyMessage: "ask #platform for access"
rules:
  - name: infra-repo
    description: the infra repository provisions project P
    match:
      provider: github
      repository: "acme/infra"
      branch: main
    grant:
      projects: ["0a1b2c3d"]
      regions: ["cn-north-4"]
      kinds: [Notebook, ResourcePool]
    limits:
      - name: pool-size
        expression: "object.kind != 'ResourcePool' || object.spec.body.spec.resources.all(r, r.count <= 4)"
        message: pools are limited to 4 nodes per flavor
    approval:
      kinds: [ResourcePool]
      projects: []
      when: "object.spec.body.spec.resources.exists(r, r.flavor.contains('gpu'))"
      approvers: ["api:alice", "jira:ops-lead"]
`;

async function issuesOf(text: string): Promise<PolicyIssue[]> {
  try {
    await parsePolicy(text, 'policy.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyDocumentError);
    expect((error as PolicyDocumentError).code).toBe('POLICY_INVALID');
    return [...(error as PolicyDocumentError).issues];
  }
  throw new Error('the document parsed');
}

const edit = (from: string, to: string) => {
  expect(EXAMPLE).toContain(from);
  return EXAMPLE.replace(from, to);
};

describe('parsePolicy', () => {
  it('compiles the example: rules in order, match, grant, limits and approval', async () => {
    const policy = await parsePolicy(EXAMPLE, 'policy.yaml');
    expect(policy.file).toBe('policy.yaml');
    expect(policy.denyMessage).toBe('ask #platform for access');
    expect(policy.rules).toHaveLength(1);
    const [rule] = policy.rules;
    expect(rule!.name).toBe('infra-repo');
    expect(rule!.match.providers).toEqual(new Set(['github']));
    expect(rule!.match.repository?.('acme/infra')).toBe(true);
    expect(rule!.match.repository?.('acme/other')).toBe(false);
    expect(rule!.grant).toEqual({
      projects: new Set(['0a1b2c3d']),
      regions: new Set(['cn-north-4']),
      kinds: new Set(['Notebook', 'ResourcePool']),
    });
    expect(rule!.limits.map((l) => [l.name, l.message])).toEqual([['pool-size', 'pools are limited to 4 nodes per flavor']]);
    expect(rule!.approval).toMatchObject({
      kinds: new Set(['ResourcePool']),
      projects: new Set(),
      approvers: ['api:alice', 'jira:ops-lead'],
    });
    expect(rule!.approval?.when?.source).toContain("r.flavor.contains('gpu')");
  });

  it('takes "*" and absent keys as any, and a single value for a list', async () => {
    const policy = await parsePolicy(
      'apiVersion: hwc-provisioner.io/v1\nkind: Policy\nrules:\n  - name: all\n    match: { provider: api }\n' +
        '    grant: { projects: "*", regions: cn-north-4 }\n',
      'p.yaml',
    );
    expect(policy.rules[0]!.grant).toEqual({ projects: 'any', regions: new Set(['cn-north-4']), kinds: 'any' });
    expect(policy.rules[0]!.match.providers).toEqual(new Set(['api']));
    expect(policy.denyMessage).toBeUndefined();
  });

  it('accepts an empty rule list: a policy that refuses everything', async () => {
    expect((await parsePolicy('apiVersion: hwc-provisioner.io/v1\nkind: Policy\nrules: []\n', 'p.yaml')).rules).toEqual([]);
  });

  it('refuses unknown keys at every level, naming the closest known one, at the key', async () => {
    expect(await issuesOf(edit('    match:', '    mach:'))).toEqual([
      { path: 'rules.0', rule: 'infra-repo', message: 'unknown field "mach"; did you mean "match"?', line: 7, column: 5 },
    ]);
    expect(await issuesOf(edit('      branch: main', '      branches: main'))).toEqual([
      { path: 'rules.0.match', rule: 'infra-repo', message: 'unknown field "branches"; did you mean "branch"?', line: 10, column: 7 },
    ]);
    // The missing key is reported at the mapping that lacks it, the unknown one at itself.
    expect(await issuesOf(edit('        message: pools', '        mesage: pools'))).toEqual([
      { path: 'rules.0.limits.0.message', rule: 'infra-repo', message: 'is required', line: 16, column: 9 },
      { path: 'rules.0.limits.0', rule: 'infra-repo', message: 'unknown field "mesage"; did you mean "message"?', line: 18, column: 9 },
    ]);
    expect((await issuesOf(edit('denyMessage:', 'denyMesage:')))[0]).toEqual({
      path: '',
      message: 'unknown field "denyMesage"; did you mean "denyMessage"?',
      line: 3,
      column: 1,
    });
  });

  it('checks apiVersion, kind and the required keys', async () => {
    expect(await issuesOf(edit('hwc-provisioner.io/v1', 'hwc-provisioner/v1'))).toEqual([
      { path: 'apiVersion', message: 'must be hwc-provisioner.io/v1', line: 1, column: 13 },
    ]);
    expect(await issuesOf(edit('kind: Policy', 'kind: Notebook'))).toEqual([
      { path: 'kind', message: 'must be Policy', line: 2, column: 7 },
    ]);
    expect(await issuesOf(edit('    grant:\n      projects: ["0a1b2c3d"]\n', '    grant:\n'))).toEqual([
      { path: 'rules.0.grant.projects', rule: 'infra-repo', message: 'is required', line: 12, column: 7 },
    ]);
    expect(await issuesOf('apiVersion: hwc-provisioner.io/v1\nkind: Policy\n')).toEqual([
      { path: 'rules', message: 'is required', line: 1, column: 1 },
    ]);
  });

  it('checks values: providers, names, project ids, regions, approvers', async () => {
    expect(await issuesOf(edit('provider: github', 'provider: githib'))).toEqual([
      {
        path: 'rules.0.match.provider.0',
        rule: 'infra-repo',
        message: 'must be one of: github, gitlab, jira, api, queue',
        line: 8,
        column: 17,
      },
    ]);
    expect(await issuesOf(edit('name: infra-repo', 'name: Infra_Repo'))).toEqual([
      expect.objectContaining({ path: 'rules.0.name', rule: '#1', line: 5, column: 11 }),
    ]);
    expect(await issuesOf(edit('["0a1b2c3d"]', '["0a1b 2c3d"]'))).toEqual([
      expect.objectContaining({ path: 'rules.0.grant.projects.0', message: expect.stringMatching(/project id/), line: 12, column: 18 }),
    ]);
    expect(await issuesOf(edit('["cn-north-4"]', '["north"]'))).toEqual([
      expect.objectContaining({ path: 'rules.0.grant.regions.0', message: expect.stringMatching(/region like cn-north-4/), line: 13 }),
    ]);
    expect(await issuesOf(edit('"jira:ops-lead"', '"ops-lead"'))).toEqual([
      expect.objectContaining({
        path: 'rules.0.approval.approvers.1',
        message: expect.stringMatching(/provider:user/),
        line: 23,
        column: 32,
      }),
    ]);
  });

  it('refuses unknown kinds, in grants and approvals, with the closest kind', async () => {
    expect(await issuesOf(edit('kinds: [Notebook, ResourcePool]', 'kinds: [Notebok, ResourcePool]'))).toEqual([
      {
        path: 'rules.0.grant.kinds.0',
        rule: 'infra-repo',
        message: 'unknown kind "Notebok"; did you mean "Notebook"?; expected one of Notebook, ResourcePool, NodePool, EdgeDeployment',
        line: 14,
        column: 15,
      },
    ]);
    expect(await issuesOf(edit('kinds: [ResourcePool]', 'kinds: [Bucket]'))).toEqual([
      expect.objectContaining({
        path: 'rules.0.approval.kinds.0',
        message: expect.stringMatching(/^unknown kind "Bucket"; expected one of/),
      }),
    ]);
  });

  it('refuses a rule name used twice, pointing at the second and naming the first', async () => {
    const twice = `${EXAMPLE}  - name: infra-repo\n    grant: { projects: "*" }\n`;
    expect(await issuesOf(twice)).toEqual([
      {
        path: 'rules.1.name',
        rule: 'infra-repo',
        message: 'rule name infra-repo is already used by rules.0 (line 5)',
        line: 24,
        column: 11,
      },
    ]);
  });

  it('refuses a limit name used twice in one rule', async () => {
    const text = edit(
      '        message: pools are limited to 4 nodes per flavor\n',
      '        message: pools are limited to 4 nodes per flavor\n' +
        '      - name: pool-size\n        expression: "true"\n        message: again\n',
    );
    expect(await issuesOf(text)).toEqual([
      expect.objectContaining({ path: 'rules.0.limits.1.name', message: 'limit name pool-size is used twice in this rule', line: 19 }),
    ]);
  });

  it('compiles expressions at load: a syntax error names the rule, the place in the expression and in the file', async () => {
    const [issue] = await issuesOf(edit('r.count <= 4)"', 'r.count <= )"'));
    expect(issue).toEqual({
      path: 'rules.0.limits.0.expression',
      rule: 'infra-repo',
      message: 'does not compile (at character 84 of the expression): Unexpected token: RPAREN',
      // The quote opens at column 21; the expression's character 84 is 84 columns further.
      line: 17,
      column: 105,
    });
    expect(formatPolicyIssue('policy.yaml', issue!)).toBe(
      'policy.yaml:17:105 rules.0.limits.0.expression (rule infra-repo): does not compile (at character 84 of the expression): ' +
        'Unexpected token: RPAREN',
    );
  });

  it('points at a block scalar expression itself when the place inside it cannot be told', async () => {
    const text = edit(
      `      when: "object.spec.body.spec.resources.exists(r, r.flavor.contains('gpu'))"`,
      "      when: >-\n        object.spec.body.spec.resources.exists(r,\n        r.flavor.contains('gpu')",
    );
    expect(await issuesOf(text)).toEqual([
      expect.objectContaining({
        path: 'rules.0.approval.when',
        message: expect.stringMatching(/^does not compile \(at character \d+/),
        line: 22,
      }),
    ]);
  });

  it('type-checks expressions at load: unknown variables, impossible operators, non-boolean results', async () => {
    const limit = (expression: string) =>
      issuesOf(edit(`"object.kind != 'ResourcePool' || object.spec.body.spec.resources.all(r, r.count <= 4)"`, expression));
    expect((await limit('"request.size < 4"'))[0]!.message).toBe(
      'does not compile (at character 1 of the expression): Unknown variable: request',
    );
    expect((await limit('"1 + \'a\' == 2"'))[0]!.message).toMatch(
      /^does not compile \(at character 1 of the expression\): no such overload: int \+ string/,
    );
    expect((await limit('"\'text\'"'))[0]!.message).toBe(
      'does not compile (at character 1 of the expression): must evaluate to a boolean, not string',
    );
  });

  it('refuses an expression longer than the bound, and one past the parser limits', async () => {
    const long = `"${'true && '.repeat(300)}true"`;
    expect(
      (await issuesOf(edit(`"object.kind != 'ResourcePool' || object.spec.body.spec.resources.all(r, r.count <= 4)"`, long)))[0]!.message,
    ).toMatch(/is 2404 characters; the limit is 2000/);
    const deep = `"${'('.repeat(40)}true${')'.repeat(40)}"`;
    expect(
      (await issuesOf(edit(`"object.kind != 'ResourcePool' || object.spec.body.spec.resources.all(r, r.count <= 4)"`, deep)))[0]!.message,
    ).toMatch(/^does not compile .*depth/i);
  });

  it('refuses a match key no source of the rule can carry', async () => {
    expect(await issuesOf(edit('provider: github', 'provider: jira'))).toEqual([
      expect.objectContaining({
        path: 'rules.0.match.repository',
        message: 'never matches: only github and gitlab sources have a repository',
        line: 9,
      }),
      expect.objectContaining({
        path: 'rules.0.match.branch',
        message: 'never matches: only github and gitlab sources have a branch',
        line: 10,
      }),
    ]);
  });

  it('reports every problem at once, in document order', async () => {
    const text = edit('provider: github', 'provider: githib')
      .replace('[Notebook, ResourcePool]', '[Notebok]')
      .replace('r.count <= 4)', 'r.count <=)');
    const issues = await issuesOf(text);
    // Expressions compile once the document's shape is right: the shape comes first.
    expect(issues.map((i) => i.line)).toEqual([8, 14]);
    await expect(parsePolicy(text, 'policy.yaml')).rejects.toThrow(
      /^policy\.yaml:8:17 rules\.0\.match\.provider\.0 \(rule infra-repo\): .*\npolicy\.yaml:14:15 /,
    );
  });

  it('refuses what is not one YAML mapping', async () => {
    expect(await issuesOf('')).toEqual([{ path: '', message: 'the policy is empty', line: 1, column: 1 }]);
    expect(await issuesOf('# only a comment\n')).toEqual([{ path: '', message: 'the policy is empty', line: 1, column: 1 }]);
    expect(await issuesOf('- a\n')).toEqual([
      { path: '', message: 'a policy must be a mapping with apiVersion, kind and rules', line: 1, column: 1 },
    ]);
    expect(await issuesOf(`${EXAMPLE}---\nkind: Policy\n`)).toEqual([
      { path: '', message: 'a policy is one YAML document; this file holds more', line: 25, column: 1 },
    ]);
    expect((await issuesOf('kind: Policy\nkind: Policy\n'))[0]).toMatchObject({
      line: 2,
      column: 1,
      message: expect.stringMatching(/unique/i),
    });
    expect(formatPolicyIssue('p.yaml', { path: '', message: 'the policy is empty', line: 1, column: 1 })).toBe(
      'p.yaml:1:1 the policy is empty',
    );
  });
});

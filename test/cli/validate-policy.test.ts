/**
 * `hwc-provisioner validate --policy FILE [--source SOURCE] [PATH...]`: the policy document's check, and each
 * manifest's verdict as the service would give it for that source. In-process, as test/cli/cli.test.ts runs validate.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../cli/io';
import { run } from '../../cli/main';
import { validateCommand } from '../../cli/validate';

function captureIo(stdin = ''): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (l) => out.push(l), stderr: (l) => err.push(l), readStdin: async () => stdin };
}

const dir = mkdtempSync(join(tmpdir(), 'hwcp-cli-policy-'));
const ALLOWLIST = 'examples/policies/repository-allowlist.yaml';
const GPU = 'examples/policies/gpu-approval.yaml';
const LIMITS = 'examples/policies/pool-size-limit.yaml';
const ML = '5d3e8b7a90c14f26b1e0a4c7f8d2e613';
const PRODUCTION = '0a6f2c31b3d84e58a9c1f4e7d2b05c96';

describe('validate --policy FILE (the document alone)', () => {
  it('exits 0 for each example policy, saying how many rules it holds', async () => {
    for (const [file, rules] of [
      [ALLOWLIST, '4 rules'],
      [GPU, '2 rules'],
      [LIMITS, '1 rule'],
      ['local/policy.yaml', '2 rules'],
    ] as const) {
      const io = captureIo();
      expect(await run(['validate', '--policy', file], io), file).toBe(0);
      expect(io.out).toEqual([]);
      expect(io.err).toEqual([`policy ${file} is valid: ${rules}`]);
    }
  });

  it('exits 1 for a broken document, one line per problem naming the rule and its position', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(
      broken,
      readFileSync(LIMITS, 'utf8')
        .replace('kinds: [Notebook, ResourcePool, NodePool]', 'kinds: [Notebook, ResourcePools, NodePool]')
        .replace('r.count <= 4)"', 'r.count <= 4"'),
    );
    const io = captureIo();
    expect(await run(['validate', '--policy', broken], io)).toBe(1);
    expect(io.out).toEqual([
      `${broken}:16:25 rules.0.grant.kinds.1 (rule ml-team): unknown kind "ResourcePools"; did you mean "ResourcePool"?; ` +
        'expected one of Notebook, ResourcePool, NodePool, EdgeDeployment',
    ]);
    expect(io.err).toEqual([`policy ${broken} is invalid: 1 problem`]);

    writeFileSync(broken, readFileSync(LIMITS, 'utf8').replace('r.count <= 4)"', 'r.count <= 4"'));
    const syntax = captureIo();
    expect(await run(['validate', '--policy', broken], syntax)).toBe(1);
    expect(syntax.out).toEqual([
      // The expression opens (with its quote) at column 21; its end, character 85, is 85 columns further.
      `${broken}:19:106 rules.0.limits.0.expression (rule ml-team): does not compile (at character 85 of the expression): ` +
        'Expected RPAREN, got EOF',
    ]);
  });

  it('prints the document as one JSON entry with --format json, valid or not', async () => {
    const valid = captureIo();
    expect(await run(['validate', '--format', 'json', '--policy', GPU], valid)).toBe(0);
    expect(JSON.parse(valid.out.join('\n'))).toEqual([
      { file: GPU, index: 0, kind: 'Policy', name: null, valid: true, errors: [], warnings: [] },
    ]);

    const broken = join(dir, 'unknown-key.yaml');
    writeFileSync(broken, readFileSync(GPU, 'utf8').replace('    approval:', '    aproval:'));
    const invalid = captureIo();
    expect(await run(['validate', '--format=json', `--policy=${broken}`], invalid)).toBe(1);
    expect(JSON.parse(invalid.out.join('\n'))).toEqual([
      {
        file: broken,
        index: 0,
        kind: 'Policy',
        name: null,
        valid: false,
        errors: [
          { path: 'rules.0', rule: 'gpu-capacity', message: 'unknown field "aproval"; did you mean "approval"?', line: 15, column: 5 },
        ],
        warnings: [],
      },
    ]);
  });
});

describe('validate --policy FILE --source SOURCE PATH...', () => {
  it('prints each resource’s verdict and exits 1 when any is denied', async () => {
    const io = captureIo();
    const args = ['validate', '--policy', GPU, '--source', 'github:acme/ml-train@main', '--project-id', ML, 'examples/all-kinds.yaml'];
    expect(await run(args, io)).toBe(1);
    expect(io.out).toEqual([
      'examples/all-kinds.yaml:10:9 ResourcePool/train-pool: needs approval (rule gpu-capacity: GPU capacity is shared; a platform lead ' +
        'approves each GPU pool; approvers: jira:platform-lead, api:platform-bot)',
      'examples/all-kinds.yaml:37:9 NodePool/train-nodepool: allowed by rule gpu-capacity',
      'examples/all-kinds.yaml:61:9 Notebook/train-notebook: allowed by rule ml-notebooks',
      'examples/all-kinds.yaml:84:9 EdgeDeployment/app: denied: no policy rule lets github acme/ml-train@main provision ' +
        `EdgeDeployment in project ${ML} (region cn-north-4); ask #platform for access`,
    ]);
    expect(io.err).toEqual(['4 manifests checked: 4 valid, 0 invalid; policy: 2 allowed, 1 needs approval, 1 denied']);
  });

  it('exits 0 when every resource is allowed, approval or not', async () => {
    const io = captureIo();
    const args = ['--policy', GPU, '--source', 'gitlab:ml-team/vision/train@main', '--project-id', ML, 'examples/resource-pool.yaml'];
    expect(await validateCommand(args, io, {})).toBe(0);
    expect(io.out).toEqual([
      expect.stringMatching(/^examples\/resource-pool\.yaml:7:9 ResourcePool\/train-pool: needs approval \(rule gpu-capacity: /),
    ]);
  });

  it('places manifests as the service does: without --project-id the default project is unnamed, and only "*" grants it', async () => {
    const io = captureIo();
    expect(await validateCommand(['--policy', ALLOWLIST, '--source', 'github:acme/infra@main', 'examples/notebook.yaml'], io, {})).toBe(1);
    expect(io.out).toEqual([
      'examples/notebook.yaml:6:9 Notebook/notebooks-test: denied: no policy rule lets github acme/infra@main provision Notebook ' +
        'in project <HUAWEICLOUD_SDK_PROJECT_ID> (region cn-north-4); ask #platform for access',
    ]);
    const configured = captureIo();
    const env = { HUAWEICLOUD_SDK_PROJECT_ID: PRODUCTION };
    expect(
      await validateCommand(['--policy', ALLOWLIST, '--source', 'github:acme/infra@main', 'examples/notebook.yaml'], configured, env),
    ).toBe(0);
    expect(configured.out).toEqual(['examples/notebook.yaml:6:9 Notebook/notebooks-test: allowed by rule infra-production']);
  });

  it('reads each kind of source', async () => {
    const verdict = async (source: string, projectId: string) => {
      const io = captureIo();
      await validateCommand(['--policy', ALLOWLIST, '--source', source, '--project-id', projectId, 'examples/notebook.yaml'], io, {});
      return io.out[0]!.replace(/^.*Notebook\/notebooks-test: /, '');
    };
    const SANDBOX = 'c41b7e9d2a8f4036b5e1d9c0a7f3e824';
    expect(await verdict('jira:OPS-12', SANDBOX)).toBe('allowed by rule ops-tickets');
    expect(await verdict('api:ci-nightly', SANDBOX)).toBe('allowed by rule ci-callers');
    expect(await verdict('gitlab:ml-team/vision/train@release/3', ML)).toBe('allowed by rule ml-team-repositories');
    expect(await verdict('queue:billing', SANDBOX)).toMatch(/^denied: no policy rule lets queue billing provision Notebook/);
    expect(await verdict('jira:SEC-1', SANDBOX)).toMatch(/^denied: no policy rule lets jira SEC-1 provision/);
  });

  it('groups the source’s owner by OWNER_GROUPS, as the service does', async () => {
    const args = ['--policy', LIMITS, '--source', 'github:acme/ml@main', '--project-id', ML, 'examples/resource-pool.yaml'];
    const grouped = captureIo();
    expect(await validateCommand(args, grouped, { OWNER_GROUPS: 'ml-team=github:acme/ml,jira:ML' })).toBe(0);
    expect(grouped.out).toEqual(['examples/resource-pool.yaml:7:9 ResourcePool/train-pool: allowed by rule ml-team']);
    expect(await validateCommand(args, captureIo(), {})).toBe(1);
  });

  it('refuses a resource a limit refuses, with the limit’s message', async () => {
    const pool = join(dir, 'big-pool.yaml');
    writeFileSync(pool, readFileSync('examples/resource-pool.yaml', 'utf8').replace('count: 2', 'count: 6'));
    const io = captureIo();
    const args = ['--policy', LIMITS, '--source', 'github:acme/ml@main', '--project-id', ML, pool];
    expect(await validateCommand(args, io, { OWNER_GROUPS: 'ml-team=github:acme/ml' })).toBe(1);
    expect(io.out).toEqual([
      `${pool}:7:9 ResourcePool/train-pool: denied: rule ml-team refuses ResourcePool train-pool: a pool may have at most 4 nodes of ` +
        'each flavor (limit nodes-per-flavor); larger requests go through #platform',
    ]);
  });

  it('gives no verdict to an invalid manifest: its errors are printed as without a policy', async () => {
    const broken = join(dir, 'bad-notebook.yaml');
    writeFileSync(broken, readFileSync('examples/notebook.yaml', 'utf8').replace('name: notebooks-test', 'name: Bad_Name'));
    const io = captureIo();
    expect(
      await validateCommand(['--policy', 'local/policy.yaml', '--source', 'api:alice', broken, 'examples/edge-deployment.yaml'], io, {}),
    ).toBe(1);
    expect(io.out).toEqual([
      expect.stringMatching(new RegExp(`^${broken}:6:9 metadata.name: 1-63 characters`)),
      'examples/edge-deployment.yaml:7:9 EdgeDeployment/app: allowed by rule everyone',
    ]);
    expect(io.err).toEqual(['2 manifests checked: 1 valid, 1 invalid; policy: 1 allowed, 0 need approval, 0 denied']);
  });

  it('adds each document’s verdict to the JSON report, after the policy’s own entry', async () => {
    const io = captureIo();
    const args = [
      '--format',
      'json',
      '--policy',
      GPU,
      '--source',
      'github:acme/ml-train@main',
      '--project-id',
      ML,
      'examples/all-kinds.yaml',
    ];
    expect(await validateCommand(args, io, {})).toBe(1);
    const report = JSON.parse(io.out.join('\n'));
    expect(report.map((entry: any) => [entry.kind, entry.valid, entry.policy])).toEqual([
      ['Policy', true, undefined],
      [
        'ResourcePool',
        true,
        {
          allowed: true,
          rule: 'gpu-capacity',
          approval: {
            rule: 'gpu-capacity',
            approvers: ['jira:platform-lead', 'api:platform-bot'],
            reason: 'GPU capacity is shared; a platform lead approves each GPU pool',
          },
        },
      ],
      ['NodePool', true, { allowed: true, rule: 'gpu-capacity' }],
      ['Notebook', true, { allowed: true, rule: 'ml-notebooks' }],
      ['EdgeDeployment', true, { allowed: false, message: expect.stringMatching(/^no policy rule lets github acme\/ml-train@main/) }],
    ]);
  });

  it('leaves policy documents out of a directory it walks: examples/ holds examples/policies/', async () => {
    const io = captureIo();
    expect(await validateCommand(['examples/'], io, {})).toBe(0);
    expect(io.err).toEqual(['8 manifests checked: 8 valid, 0 invalid']);
    const withPolicy = captureIo();
    expect(await validateCommand(['--policy', 'local/policy.yaml', '--source', 'api:alice', 'examples/'], withPolicy, {})).toBe(0);
    expect(withPolicy.err).toEqual(['8 manifests checked: 8 valid, 0 invalid; policy: 6 allowed, 0 need approval, 0 denied']);
  });

  it('refuses inconsistent or malformed options with exit 2', async () => {
    for (const [args, message] of [
      [['validate', '--source', 'api:alice', 'examples/'], /--source needs --policy/],
      [['validate', '--policy', GPU, 'examples/'], /--policy with manifests needs --source/],
      [['validate', '--policy', GPU, '--source', 'svn:repo', 'examples/'], /--source must be github:owner\/repo@branch/],
      [['validate', '--policy', GPU, '--source', 'github:acme', 'examples/'], /--source must be/],
      [['validate', '--policy', GPU, '--source', 'jira:ops', 'examples/'], /--source must be/],
      [['validate', '--policy', GPU, '--source', 'api:Alice Smith', 'examples/'], /--source must be/],
      [['validate', '--policy', GPU, '--source', '', 'examples/'], /--source needs a value/],
      [['validate', '--policy', join(dir, 'missing.yaml')], /cannot read .*missing\.yaml: ENOENT/],
    ] as const) {
      const io = captureIo();
      expect(await run([...args], io), args.join(' ')).toBe(2);
      expect(io.err[0], args.join(' ')).toMatch(message);
    }
    await expect(
      validateCommand(['--policy', GPU, '--source', 'api:alice', 'examples/'], captureIo(), { OWNER_GROUPS: 'x' }),
    ).rejects.toThrow(/^OWNER_GROUPS is invalid: entry 1 must be team=namespace/);
  });
});

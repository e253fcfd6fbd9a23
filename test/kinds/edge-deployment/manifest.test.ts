/**
 * EdgeDeployment create body (IEF POST /v3/{project_id}/edgemgr/deployments): every documented
 * constraint has a failing case with its exact path, and the reference's request example passes.
 * docs/constraints.md maps each constraint to the test below that covers it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { edgeDeploymentBodySchema, platinumOnlyPaths } from '../../../shared/kinds/edge-deployment/body';
import { validateSource } from '../../../shared/manifests/validate';
import { deploymentExample } from '../request-examples';

type Body = Record<string, any>;

/** The reference's request example, verbatim: one edge node, host network. */
const EXAMPLE: Body = deploymentExample();

/** A node-group deployment that uses every optional object the reference defines. */
const FULL: Body = {
  name: 'edge-app-1',
  description: 'full example, with every object',
  source: 'userdefined',
  group_id: 'c0ffee00-0000-4000-8000-000000000001',
  tags: [{ key: 'team_a', value: 'edge-1' }],
  deployment: {
    replicas: 2,
    annotations: { ring_controller: 'ascend-1980', autonomy_edge_selector: 'c0ffee00-0000-4000-8000-000000000001' },
    template: {
      configs: {
        host_network: false,
        host_pid: false,
        migration: true,
        restart_policy: 'OnFailure',
        toleration_seconds: 60,
        dns_policy: 'ClusterFirst',
      },
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 50, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
          ],
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'gpu', operator: 'Exists' },
                  { key: 'cores', operator: 'Gt', values: ['4'] },
                ],
              },
            ],
          },
        },
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'cache' } }, namespaces: ['default'], topologyKey: 'kubernetes.io/hostname' },
          ],
        },
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                labelSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['x'] }] },
                topologyKey: 'kubernetes.io/hostname',
              },
            },
          ],
        },
      },
      init_containers: [{ name: 'init', image_url: 'busybox', command: ['sh', '-c', 'true'] }],
      containers: [
        {
          name: 'main',
          image_url: 'swr.cn-north-4.myhuaweicloud.com/org/app',
          version: '1.0.0',
          args: ['--port', '8080'],
          command: ['/app/run'],
          resources: { limits: { cpu: '1', memory: '512', npu: '1' }, requests: { cpu: '0.5', memory: '256', D310: '1' } },
          envs: [
            { name: 'MODE', value: 'edge' },
            { name: 'PASSWORD', value_from: { secret: { name: 'db', key: 'password' } } },
            { name: 'LEVEL', value_from: { configmap: { name: 'cfg', key: 'level' } } },
            { name: 'NODE_IP', field_path: 'status.hostIP' },
          ],
          ports: [
            { container_port: 8080, host_port: 18080, host_ip: '192.168.1.10' },
            { container_port: 9090, host_port_range: { min_port: 30000, max_port: 30100 } },
          ],
          privileged: false,
          run_as_user: 65534,
          readiness_probe: {
            http_get: { path: '/healthz', port: 8080, host: '127.0.0.1', scheme: 'HTTPS' },
            initial_delay_seconds: 3600,
            timeout_seconds: 1,
          },
          liveness_probe: { exec: { command: 'cat /tmp/ok' }, initial_delay_seconds: 1, timeout_seconds: 3600 },
          volumes: [
            { name: 'logs', type: 'hostPath', source: '/var/log/app_1.d', destination: '/logs', read_only: false },
            { name: 'cfg', type: 'configMap', source: 'cfg', destination: '/etc/app', read_only: true, default_mode: 420 },
            { name: 'tls', type: 'secret', source: 'tls', destination: '/etc/tls', read_only: true },
            { name: 'scratch', type: 'emptyDir', source: 'memory', destination: '/scratch', read_only: false },
          ],
          npu_type: 'D310B',
        },
      ],
    },
  },
};

// Body rules are checked on a Platinum instance, where every field is allowed; the rule that some fields
// need one is the envelope's (test/manifests/envelope.test.ts).
function validate(body: Body, spec: Record<string, unknown> = { iefInstanceId: 'ief-platinum-1' }) {
  const source = stringify({
    apiVersion: 'hwc-provisioner/v1',
    kind: 'EdgeDeployment',
    metadata: { name: 'edge-app' },
    spec: { ...spec, body },
  });
  const results = validateSource(source, 'edge-deployment.yaml');
  expect(results).toHaveLength(1);
  return results[0]!;
}

function validateWith(base: Body, mutate: (body: Body) => void) {
  const body = structuredClone(base);
  mutate(body);
  return validate(body);
}

/**
 * Missing mandatory fields: the helpers in zod-helpers.ts word a missing text/number/enum as a type
 * error ("must be a string", "must be one of: ..."); plain zod types say "is required".
 */
const REQUIRED = /^(is required|must be a string|must be a number|must be one of)/;

type Case = [title: string, mutate: (body: Body) => void, path: string, message: string | RegExp];

function expectSingleError(base: Body, mutate: (body: Body) => void, path: string, message: string | RegExp) {
  const result = validateWith(base, mutate);
  expect(result.valid).toBe(false);
  const expected = typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message);
  expect(result.errors).toEqual([expect.objectContaining({ path: path === '' ? 'spec.body' : `spec.body.${path}`, message: expected })]);
}

const T = 'deployment.template';
const C0 = `${T}.containers.0`;
const container = (b: Body) => b.deployment.template.containers[0];
const full = (b: Body) => b.deployment.template.containers[0];

describe('EdgeDeployment body: request example', () => {
  it('accepts the request example as written', () => {
    expect(validate(EXAMPLE).errors).toEqual([]);
  });

  it('accepts the request example with an IEF Platinum instance id', () => {
    expect(validate(EXAMPLE, { iefInstanceId: 'ief-instance-1' }).errors).toEqual([]);
  });

  it('accepts a node-group deployment that uses every optional object', () => {
    expect(validate(FULL).errors).toEqual([]);
  });

  it('accepts examples/edge-deployment.yaml', () => {
    const results = validateSource(readFileSync('examples/edge-deployment.yaml', 'utf8'), 'examples/edge-deployment.yaml');
    expect(results.map((r) => [r.kind, r.valid, r.errors])).toEqual([['EdgeDeployment', true, []]]);
  });
});

describe('EdgeDeployment body: top-level fields and tags', () => {
  const cases: Case[] = [
    ['name is mandatory', (b) => delete b.name, 'name', REQUIRED],
    ['name is at most 32 characters', (b) => (b.name = 'a'.repeat(33)), 'name', 'must be at most 32 characters'],
    ['name is lower case', (b) => (b.name = 'App'), 'name', 'may contain only lower-case letters, digits and "-"'],
    ['name allows no underscore', (b) => (b.name = 'my_app'), 'name', 'may contain only lower-case letters, digits and "-"'],
    ['name starts with a letter or digit', (b) => (b.name = '-app'), 'name', 'must start and end with a lower-case letter or digit'],
    ['name ends with a letter or digit', (b) => (b.name = 'app-'), 'name', 'must start and end with a lower-case letter or digit'],
    ['description is at most 255 characters', (b) => (b.description = 'a'.repeat(256)), 'description', 'must be at most 255 characters'],
    ...['^', '~', '#', '$', '%', '&', '*', '<', '>', '(', ')', '[', ']', '{', '}', "'", '"', '\\'].map(
      (ch): Case => [
        `description rejects ${ch}`,
        (b) => (b.description = `a${ch}b`),
        'description',
        'must not contain any of ^ ~ # $ % & * < > ( ) [ ] { }',
      ],
    ),
    ['source is iem or userdefined', (b) => (b.source = 'custom'), 'source', 'must be one of: iem, userdefined'],
    ['group_id or node_ids must be set', (b) => delete b.node_ids, 'group_id', 'either group_id or node_ids must be set'],
    [
      'group_id and node_ids are exclusive',
      (b) => ((b.group_id = 'g-1'), (b.deployment.template.configs.migration = false)),
      'node_ids',
      'cannot be set together with group_id',
    ],
    [
      'node_ids holds one node',
      (b) => b.node_ids.push('second-node'),
      'node_ids',
      'must have exactly one node id (only one edge node is supported)',
    ],
    ['node_ids must not be empty', (b) => (b.node_ids = []), 'node_ids', 'must have exactly one node id'],
    [
      'group_id must not be empty',
      (b) => (delete b.node_ids, (b.group_id = ''), (b.deployment.template.configs.migration = false)),
      'group_id',
      'must not be empty',
    ],
    ['tag key is mandatory', (b) => delete b.tags[0].key, 'tags.0.key', REQUIRED],
    ['tag value is mandatory', (b) => delete b.tags[0].value, 'tags.0.value', REQUIRED],
    ['tag key is at least 1 character', (b) => (b.tags[0].key = ''), 'tags.0.key', 'must not be empty'],
    ['tag key is at most 128 characters', (b) => (b.tags[0].key = 'k'.repeat(129)), 'tags.0.key', 'must be at most 128 characters'],
    [
      'tag key allows letters, digits, _ and -',
      (b) => (b.tags[0].key = 'app.kubernetes.io'),
      'tags.0.key',
      'may contain only letters, digits, "_" and "-"',
    ],
    ['tag value is at least 1 character', (b) => (b.tags[0].value = ''), 'tags.0.value', 'must not be empty'],
    ['tag value is at most 256 characters', (b) => (b.tags[0].value = 'v'.repeat(257)), 'tags.0.value', 'must be at most 256 characters'],
    [
      'tag value allows letters, digits, _ and -',
      (b) => (b.tags[0].value = 'a b'),
      'tags.0.value',
      'may contain only letters, digits, "_" and "-"',
    ],
    [
      'the ownership tag key is reserved',
      (b) => b.tags.push({ key: 'hwc-provisioner', value: 'x' }),
      'tags.1.key',
      '"hwc-provisioner" is reserved',
    ],
    ['deployment is mandatory', (b) => delete b.deployment, 'deployment', 'is required'],
    ['replicas is mandatory', (b) => delete b.deployment.replicas, 'deployment.replicas', REQUIRED],
    ['replicas is an integer', (b) => (b.deployment.replicas = 1.5), 'deployment.replicas', 'must be an integer'],
    ['template is mandatory', (b) => delete b.deployment.template, 'deployment.template', 'is required'],
    ['unknown top-level fields are named with a suggestion', (b) => (b.nodeIds = ['x']), '', 'did you mean "node_ids"?'],
    ['unknown fields in deployment', (b) => (b.deployment.replica = 1), 'deployment', 'did you mean "replicas"?'],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(EXAMPLE, mutate, path, message));

  it('accepts names of 1 and 32 characters, and the iem source', () => {
    expect(validateWith(EXAMPLE, (b) => ((b.name = 'a'), (b.source = 'iem'))).valid).toBe(true);
    expect(validateWith(EXAMPLE, (b) => (b.name = `a${'-'.repeat(30)}1`)).valid).toBe(true);
  });

  it('accepts tag keys and values at their maximum lengths', () => {
    expect(validateWith(EXAMPLE, (b) => (b.tags = [{ key: 'K'.repeat(128), value: `${'v_-'.repeat(85)}v` }])).valid).toBe(true);
  });
});

describe('EdgeDeployment body: template and configs (PodRequest, PodConfigs)', () => {
  const cases: Case[] = [
    ['configs is mandatory', (b) => delete b.deployment.template.configs, `${T}.configs`, 'is required'],
    ['containers is mandatory', (b) => delete b.deployment.template.containers, `${T}.containers`, 'is required'],
    ['containers must not be empty', (b) => (b.deployment.template.containers = []), `${T}.containers`, 'must have at least 1 container'],
    ['restart_policy is mandatory', (b) => delete b.deployment.template.configs.restart_policy, `${T}.configs.restart_policy`, REQUIRED],
    [
      'restart_policy is Always, OnFailure or Never',
      (b) => (b.deployment.template.configs.restart_policy = 'always'),
      `${T}.configs.restart_policy`,
      'must be one of: Always, OnFailure, Never',
    ],
    [
      'host_network is a boolean',
      (b) => (b.deployment.template.configs.host_network = 'true'),
      `${T}.configs.host_network`,
      'must be a boolean',
    ],
    ['host_pid is a boolean', (b) => (b.deployment.template.configs.host_pid = 1), `${T}.configs.host_pid`, 'must be a boolean'],
    [
      'toleration_seconds is an integer',
      (b) => (b.deployment.template.configs.toleration_seconds = 2.5),
      `${T}.configs.toleration_seconds`,
      'must be an integer',
    ],
    [
      'dns_policy is one of three',
      (b) => (b.deployment.template.configs.dns_policy = 'None'),
      `${T}.configs.dns_policy`,
      'must be one of: Default, ClusterFirst, ClusterFirstWithHostNet',
    ],
    [
      'host network excludes ClusterFirst',
      (b) => (b.deployment.template.configs.dns_policy = 'ClusterFirst'),
      `${T}.configs.dns_policy`,
      'must be Default or ClusterFirstWithHostNet when host_network is true',
    ],
    [
      'port mapping excludes ClusterFirstWithHostNet',
      (b) => ((b.deployment.template.configs.host_network = false), (b.deployment.template.configs.dns_policy = 'ClusterFirstWithHostNet')),
      `${T}.configs.dns_policy`,
      'must be Default or ClusterFirst when host_network is false',
    ],
    [
      'host_network defaults to false for dns_policy',
      (b) => (delete b.deployment.template.configs.host_network, (b.deployment.template.configs.dns_policy = 'ClusterFirstWithHostNet')),
      `${T}.configs.dns_policy`,
      'when host_network is false',
    ],
    [
      'migration is mandatory for a node group',
      (b) => (delete b.node_ids, (b.group_id = 'group-1')),
      `${T}.configs.migration`,
      'is required when deploying to a node group (group_id)',
    ],
    ['migration is a boolean', (b) => (b.deployment.template.configs.migration = 'no'), `${T}.configs.migration`, 'must be a boolean'],
    [
      'init_containers follow ContainerDef',
      (b) => (b.deployment.template.init_containers = [{ name: 'Init', image_url: 'busybox' }]),
      `${T}.init_containers.0.name`,
      'may contain only lower-case letters',
    ],
    [
      'unknown fields in configs',
      (b) => (b.deployment.template.configs.hostNetwork = true),
      `${T}.configs`,
      'did you mean "host_network"?',
    ],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(EXAMPLE, mutate, path, message));

  it('accepts every dns_policy the network mode allows', () => {
    for (const [host_network, dns_policy] of [
      [true, 'Default'],
      [true, 'ClusterFirstWithHostNet'],
      [false, 'Default'],
      [false, 'ClusterFirst'],
    ] as const) {
      expect(validateWith(EXAMPLE, (b) => Object.assign(b.deployment.template.configs, { host_network, dns_policy })).errors).toEqual([]);
    }
  });

  it('accepts toleration_seconds on a single-node deployment, as the reference example does', () => {
    expect(validate(EXAMPLE).valid).toBe(true);
  });
});

describe('EdgeDeployment body: affinity (Affinity, nodeAffinity, podAffinity, podAntiAffinity, MatchExpression)', () => {
  const A = `${T}.affinity`;
  const nodeTerm = (b: Body) =>
    b.deployment.template.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions;
  const cases: Case[] = [
    [
      'node preference weight is at least 1',
      (b) => (b.deployment.template.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight = 0),
      `${A}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.weight`,
      'must be between 1 and 100',
    ],
    [
      'pod anti-affinity weight is at most 100',
      (b) => (b.deployment.template.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight = 101),
      `${A}.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.weight`,
      'must be between 1 and 100',
    ],
    [
      'pod affinity weight is at most 100',
      (b) =>
        (b.deployment.template.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution = [
          { weight: 200, podAffinityTerm: { topologyKey: 'zone' } },
        ]),
      `${A}.podAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.weight`,
      'must be between 1 and 100',
    ],
    [
      'operator is one of six',
      (b) => (nodeTerm(b)[0].operator = 'Equals'),
      `${A}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.operator`,
      'must be one of: In, NotIn, Exists, DoesNotExist, Gt, Lt',
    ],
    [
      'In needs values',
      (b) => (nodeTerm(b)[0] = { key: 'zone', operator: 'In', values: [] }),
      `${A}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.values`,
      'must not be empty when operator is In',
    ],
    [
      'NotIn needs values',
      (b) => (nodeTerm(b)[0] = { key: 'zone', operator: 'NotIn' }),
      `${A}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.values`,
      'must not be empty when operator is NotIn',
    ],
    [
      'Exists takes no values',
      (b) => (nodeTerm(b)[0].values = ['x']),
      `${A}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.values`,
      'must be empty when operator is Exists',
    ],
    [
      'DoesNotExist takes no values',
      (b) => (nodeTerm(b)[0] = { key: 'gpu', operator: 'DoesNotExist', values: ['x'] }),
      `${A}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.values`,
      'must be empty when operator is DoesNotExist',
    ],
    [
      'Gt takes exactly one value',
      (b) => (nodeTerm(b)[1].values = ['4', '5']),
      `${A}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.1.values`,
      'must have exactly one element when operator is Gt',
    ],
    [
      'Lt takes exactly one value',
      (b) => (nodeTerm(b)[1] = { key: 'cores', operator: 'Lt' }),
      `${A}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.1.values`,
      'must have exactly one element when operator is Lt',
    ],
    [
      'Gt/Lt values are integers',
      (b) => (nodeTerm(b)[1].values = ['four']),
      `${A}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.1.values.0`,
      'must be an integer when operator is Gt',
    ],
    [
      'pod affinity label selectors are checked too',
      (b) => {
        const term = b.deployment.template.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
        term.labelSelector.matchExpressions[0].values = [];
      },
      `${A}.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.podAffinityTerm.labelSelector.matchExpressions.0.values`,
      'must not be empty when operator is NotIn',
    ],
    [
      'matchLabels values are strings',
      (b) =>
        (b.deployment.template.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels = {
          tier: 1,
        }),
      `${A}.podAffinity.requiredDuringSchedulingIgnoredDuringExecution.0.labelSelector.matchLabels.tier`,
      'must be a string',
    ],
    [
      'namespaces is a list of strings',
      (b) => (b.deployment.template.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespaces = 'default'),
      `${A}.podAffinity.requiredDuringSchedulingIgnoredDuringExecution.0.namespaces`,
      'must be a list',
    ],
    ['unknown fields in affinity', (b) => (b.deployment.template.affinity.nodeaffinity = {}), A, 'did you mean "nodeAffinity"?'],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(FULL, mutate, path, message));
});

describe('EdgeDeployment body: containers (ContainerDef, DeploymentResources)', () => {
  const cases: Case[] = [
    ['name is mandatory', (b) => delete container(b).name, `${C0}.name`, REQUIRED],
    ['name is at most 32 characters', (b) => (container(b).name = 'c'.repeat(33)), `${C0}.name`, 'must be at most 32 characters'],
    ['name is lower case', (b) => (container(b).name = 'Container-0'), `${C0}.name`, 'may contain only lower-case letters, digits and "-"'],
    [
      'name ends with a letter or digit',
      (b) => (container(b).name = 'container-'),
      `${C0}.name`,
      'must start and end with a lower-case letter or digit',
    ],
    ['image_url is mandatory', (b) => delete container(b).image_url, `${C0}.image_url`, REQUIRED],
    ['image_url must not be empty', (b) => (container(b).image_url = ''), `${C0}.image_url`, 'must not be empty'],
    [
      'args total at most 65536 characters',
      (b) => (container(b).args = ['a'.repeat(40_000), 'b'.repeat(25_537)]),
      `${C0}.args`,
      'must total at most 65536 characters across all items',
    ],
    [
      'command totals at most 65536 characters',
      (b) => (container(b).command = ['a'.repeat(65_537)]),
      `${C0}.command`,
      'must total at most 65536 characters',
    ],
    ['command holds strings', (b) => (container(b).command = ['run', 1]), `${C0}.command.1`, 'must be a string'],
    [
      'resource keys are cpu, memory, gpu, npu, D310, D310B',
      (b) => (container(b).resources.limits.storage = '1'),
      `${C0}.resources.limits`,
      'resource keys must be one of: cpu, memory, gpu, npu, D310, D310B',
    ],
    [
      'resource keys are case-sensitive',
      (b) => (container(b).resources.requests = { CPU: '1' }),
      `${C0}.resources.requests`,
      'resource keys must be one of',
    ],
    [
      'resource quantities are strings',
      (b) => (container(b).resources.limits.cpu = 0.25),
      `${C0}.resources.limits.cpu`,
      'must be a string',
    ],
    ['unknown fields in resources', (b) => (container(b).resources.limit = {}), `${C0}.resources`, 'did you mean "limits"?'],
    ['privileged is a boolean', (b) => (container(b).privileged = 'false'), `${C0}.privileged`, 'must be a boolean'],
    ['run_as_user is at most 65534', (b) => (container(b).run_as_user = 65_535), `${C0}.run_as_user`, 'must be between 0 and 65534'],
    ['run_as_user is at least 0', (b) => (container(b).run_as_user = -1), `${C0}.run_as_user`, 'must be between 0 and 65534'],
    ['run_as_user is an integer', (b) => (container(b).run_as_user = 1.5), `${C0}.run_as_user`, 'must be an integer'],
    ['version is a string', (b) => (container(b).version = 1), `${C0}.version`, 'must be a string'],
    ['npu_type is D310, D310B or empty', (b) => (container(b).npu_type = 'D910'), `${C0}.npu_type`, 'must be one of: D310, D310B'],
    ['unknown fields in a container', (b) => (container(b).image = 'nginx'), C0, 'unknown field "image"'],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(EXAMPLE, mutate, path, message));

  it('accepts args and command of exactly 65536 characters in total, and an empty npu_type', () => {
    const result = validateWith(EXAMPLE, (b) =>
      Object.assign(container(b), { args: ['a'.repeat(65_000), 'b'.repeat(536)], command: ['c'.repeat(65_536)], npu_type: '' }),
    );
    expect(result.errors).toEqual([]);
  });
});

describe('EdgeDeployment body: envs (Env, ValueFrom, Secrets, ConfigsMap)', () => {
  const E = `${C0}.envs`;
  const cases: Case[] = [
    ['name is mandatory', (b) => delete full(b).envs[0].name, `${E}.0.name`, REQUIRED],
    [
      'name starts with a letter or _',
      (b) => (full(b).envs[0].name = '1MODE'),
      `${E}.0.name`,
      'must start with a letter or "_" and contain only letters, digits and "_"',
    ],
    ['name allows no -', (b) => (full(b).envs[0].name = 'MY-MODE'), `${E}.0.name`, 'must start with a letter or "_"'],
    ['name is at most 2048 characters', (b) => (full(b).envs[0].name = 'A'.repeat(2049)), `${E}.0.name`, 'must be at most 2048 characters'],
    ['names are unique', (b) => (full(b).envs[1].name = 'MODE'), `${E}.1.name`, 'duplicates envs.0.name "MODE"; names must be unique'],
    [
      'value is at most 20480 characters',
      (b) => (full(b).envs[0].value = 'v'.repeat(20_481)),
      `${E}.0.value`,
      'must be at most 20480 characters',
    ],
    [
      'one of value, value_from, field_path is needed',
      (b) => delete full(b).envs[0].value,
      `${E}.0.value`,
      'exactly one of value, value_from or field_path must be set',
    ],
    [
      'value and field_path are exclusive',
      (b) => (full(b).envs[0].field_path = 'status.hostIP'),
      `${E}.0.value`,
      'exactly one of value, value_from or field_path must be set',
    ],
    [
      'field_path is status.hostIP only',
      (b) => (full(b).envs[3].field_path = 'status.podIP'),
      `${E}.3.field_path`,
      'must be one of: status.hostIP',
    ],
    [
      'value_from needs secret or configmap',
      (b) => (full(b).envs[1].value_from = {}),
      `${E}.1.value_from.secret`,
      'exactly one of secret or configmap must be set',
    ],
    [
      'value_from takes secret or configmap, not both',
      (b) => (full(b).envs[1].value_from.configmap = { name: 'cfg', key: 'k' }),
      `${E}.1.value_from.secret`,
      'exactly one of secret or configmap must be set',
    ],
    ['secret name is mandatory', (b) => delete full(b).envs[1].value_from.secret.name, `${E}.1.value_from.secret.name`, 'is required'],
    ['secret key is mandatory', (b) => delete full(b).envs[1].value_from.secret.key, `${E}.1.value_from.secret.key`, 'is required'],
    [
      'configmap name is mandatory',
      (b) => delete full(b).envs[2].value_from.configmap.name,
      `${E}.2.value_from.configmap.name`,
      'is required',
    ],
    [
      'configmap key is mandatory',
      (b) => delete full(b).envs[2].value_from.configmap.key,
      `${E}.2.value_from.configmap.key`,
      'is required',
    ],
    [
      'unknown fields in value_from',
      (b) => (full(b).envs[2].value_from.secrets = { name: 's', key: 'k' }),
      `${E}.2.value_from`,
      'unknown field "secrets"; did you mean "secret"?',
    ],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(FULL, mutate, path, message));

  it('accepts the same env name in different containers', () => {
    expect(validateWith(FULL, (b) => (b.deployment.template.init_containers[0].envs = [{ name: 'MODE', value: 'init' }])).errors).toEqual(
      [],
    );
  });
});

describe('EdgeDeployment body: ports (HostContainerPortMapping, HostPortRange)', () => {
  const P = `${C0}.ports`;
  const cases: Case[] = [
    ['container_port is mandatory', (b) => delete full(b).ports[0].container_port, `${P}.0.container_port`, REQUIRED],
    ['container_port is an integer', (b) => (full(b).ports[0].container_port = '80'), `${P}.0.container_port`, 'must be a number'],
    [
      'host_port or host_port_range is needed',
      (b) => delete full(b).ports[0].host_port,
      `${P}.0.host_port`,
      'exactly one of host_port or host_port_range must be set',
    ],
    [
      'host_port and host_port_range are exclusive',
      (b) => (full(b).ports[1].host_port = 30001),
      `${P}.1.host_port`,
      'exactly one of host_port or host_port_range must be set',
    ],
    ['host_ip is an IP address', (b) => (full(b).ports[0].host_ip = 'eth0'), `${P}.0.host_ip`, 'must be an IP address'],
    ['min_port is mandatory', (b) => delete full(b).ports[1].host_port_range.min_port, `${P}.1.host_port_range.min_port`, REQUIRED],
    ['max_port is mandatory', (b) => delete full(b).ports[1].host_port_range.max_port, `${P}.1.host_port_range.max_port`, REQUIRED],
    [
      'min_port is at least 1',
      (b) => (full(b).ports[1].host_port_range.min_port = 0),
      `${P}.1.host_port_range.min_port`,
      'must be between 1 and 65535',
    ],
    [
      'max_port is at most 65535',
      (b) => (full(b).ports[1].host_port_range.max_port = 65_536),
      `${P}.1.host_port_range.max_port`,
      'must be between 1 and 65535',
    ],
    [
      'max_port is greater than min_port',
      (b) => (full(b).ports[1].host_port_range.max_port = 30_000),
      `${P}.1.host_port_range.max_port`,
      'must be greater than min_port',
    ],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(FULL, mutate, path, message));
});

describe('EdgeDeployment body: probes (Probe, Exec, HttpGetDetail)', () => {
  const R = `${C0}.readiness_probe`;
  const L = `${C0}.liveness_probe`;
  const cases: Case[] = [
    [
      'exec or http_get is needed',
      (b) => delete full(b).readiness_probe.http_get,
      `${R}.exec`,
      'exactly one of exec or http_get must be set',
    ],
    [
      'exec and http_get are exclusive',
      (b) => (full(b).liveness_probe.http_get = { path: '/', port: 80 }),
      `${L}.exec`,
      'exactly one of exec or http_get must be set',
    ],
    [
      'initial_delay_seconds is greater than 0',
      (b) => (full(b).readiness_probe.initial_delay_seconds = 0),
      `${R}.initial_delay_seconds`,
      'must be between 1 and 3600',
    ],
    [
      'initial_delay_seconds is at most 3600',
      (b) => (full(b).liveness_probe.initial_delay_seconds = 3601),
      `${L}.initial_delay_seconds`,
      'must be between 1 and 3600',
    ],
    [
      'timeout_seconds is greater than 0',
      (b) => (full(b).readiness_probe.timeout_seconds = 0),
      `${R}.timeout_seconds`,
      'must be between 1 and 3600',
    ],
    [
      'timeout_seconds is at most 3600',
      (b) => (full(b).liveness_probe.timeout_seconds = 3601),
      `${L}.timeout_seconds`,
      'must be between 1 and 3600',
    ],
    ['exec command is mandatory', (b) => (full(b).liveness_probe.exec = {}), `${L}.exec.command`, REQUIRED],
    [
      'exec command is at most 10240 characters',
      (b) => (full(b).liveness_probe.exec.command = 'c'.repeat(10_241)),
      `${L}.exec.command`,
      'must be at most 10240 characters',
    ],
    ['http_get path is mandatory', (b) => delete full(b).readiness_probe.http_get.path, `${R}.http_get.path`, 'is required'],
    [
      'http_get path starts with /',
      (b) => (full(b).readiness_probe.http_get.path = 'healthz'),
      `${R}.http_get.path`,
      'must start with "/"',
    ],
    ['http_get port is mandatory', (b) => delete full(b).readiness_probe.http_get.port, `${R}.http_get.port`, REQUIRED],
    [
      'http_get port is at least 1',
      (b) => (full(b).readiness_probe.http_get.port = 0),
      `${R}.http_get.port`,
      'must be between 1 and 65535',
    ],
    [
      'http_get port is at most 65535',
      (b) => (full(b).readiness_probe.http_get.port = 65_536),
      `${R}.http_get.port`,
      'must be between 1 and 65535',
    ],
    [
      'http_get scheme is HTTP or HTTPS',
      (b) => (full(b).readiness_probe.http_get.scheme = 'TCP'),
      `${R}.http_get.scheme`,
      'must be one of: HTTP, HTTPS',
    ],
    ['unknown fields in a probe', (b) => (full(b).readiness_probe.httpGet = {}), R, 'did you mean "http_get"?'],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(FULL, mutate, path, message));
});

describe('EdgeDeployment body: volumes (Volumes)', () => {
  const V = `${C0}.volumes`;
  const cases: Case[] = [
    ['name is mandatory', (b) => delete full(b).volumes[0].name, `${V}.0.name`, REQUIRED],
    [
      'name is lower-case letters and digits',
      (b) => (full(b).volumes[0].name = 'app-logs'),
      `${V}.0.name`,
      'may contain only lower-case letters and digits',
    ],
    ['name is at most 63 characters', (b) => (full(b).volumes[0].name = 'v'.repeat(64)), `${V}.0.name`, 'must be at most 63 characters'],
    ['type is mandatory', (b) => delete full(b).volumes[0].type, `${V}.0.type`, REQUIRED],
    [
      'type is configMap, secret, emptyDir or hostPath',
      (b) => (full(b).volumes[0].type = 'nfs'),
      `${V}.0.type`,
      'must be one of: configMap, secret, emptyDir, hostPath',
    ],
    ['source is mandatory', (b) => delete full(b).volumes[1].source, `${V}.1.source`, REQUIRED],
    ['a hostPath source starts with /', (b) => (full(b).volumes[0].source = 'var/log'), `${V}.0.source`, 'must be a path for hostPath'],
    [
      'a hostPath source allows no other characters',
      (b) => (full(b).volumes[0].source = '/var/log app'),
      `${V}.0.source`,
      'must be a path for hostPath',
    ],
    [
      'an emptyDir source is disk or memory',
      (b) => (full(b).volumes[3].source = 'ssd'),
      `${V}.3.source`,
      'must be disk or memory for emptyDir',
    ],
    ['destination is mandatory', (b) => delete full(b).volumes[0].destination, `${V}.0.destination`, 'is required'],
    ['destination is an absolute path', (b) => (full(b).volumes[0].destination = 'logs'), `${V}.0.destination`, 'must be an absolute path'],
    ['read_only is mandatory', (b) => delete full(b).volumes[0].read_only, `${V}.0.read_only`, 'is required'],
    [
      'configMap volumes are read-only',
      (b) => (full(b).volumes[1].read_only = false),
      `${V}.1.read_only`,
      'must be true for configMap volumes',
    ],
    ['secret volumes are read-only', (b) => (full(b).volumes[2].read_only = false), `${V}.2.read_only`, 'must be true for secret volumes'],
    ['default_mode is an integer', (b) => (full(b).volumes[1].default_mode = '0644'), `${V}.1.default_mode`, 'must be a number'],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(FULL, mutate, path, message));

  it('accepts a hostPath source with backslashes, as the reference literally allows', () => {
    expect(validateWith(FULL, (b) => (full(b).volumes[0].source = '/data\\cache')).errors).toEqual([]);
  });
});

describe('EdgeDeployment body: annotations (Annotations)', () => {
  const cases: Case[] = [
    [
      'ring_controller is ascend-1980 only',
      (b) => (b.deployment.annotations.ring_controller = 'ascend-910'),
      'deployment.annotations.ring_controller',
      'must be one of: ascend-1980',
    ],
    [
      'autonomy_edge_selector names the scheduled node group',
      (b) => (b.deployment.annotations.autonomy_edge_selector = 'another-group'),
      'deployment.annotations.autonomy_edge_selector',
      'must be the id of the node group the deployment is scheduled to (the value of group_id)',
    ],
    [
      'unknown fields in annotations',
      (b) => (b.deployment.annotations.ringController = 'x'),
      'deployment.annotations',
      'did you mean "ring_controller"?',
    ],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(FULL, mutate, path, message));

  it('rejects autonomy_edge_selector on a single-node deployment', () => {
    const result = validateWith(EXAMPLE, (b) => (b.deployment.annotations = { autonomy_edge_selector: 'group-1' }));
    expect(result.errors).toEqual([expect.objectContaining({ path: 'spec.body.deployment.annotations.autonomy_edge_selector' })]);
  });
});

describe('EdgeDeployment: Platinum-only fields', () => {
  it('lists the fields that need an IEF Platinum instance', () => {
    expect(platinumOnlyPaths(edgeDeploymentBodySchema().parse(EXAMPLE))).toEqual([]);
    expect(platinumOnlyPaths(edgeDeploymentBodySchema().parse(FULL))).toEqual([
      ['deployment', 'template', 'affinity'],
      ['deployment', 'template', 'containers', 0, 'ports', 1, 'host_port_range'],
    ]);
  });
});

describe('EdgeDeployment manifest positions', () => {
  it('points errors at the offending line and column', () => {
    const source = readFileSync('examples/edge-deployment.yaml', 'utf8').replace('name: container-0', 'name: Container-0');
    const [result] = validateSource(source, 'examples/edge-deployment.yaml');
    const lines = source.split('\n');
    const line = lines.findIndex((l) => l.includes('name: Container-0')) + 1;
    const column = lines[line - 1]!.indexOf('Container-0') + 1;
    expect(result!.errors).toEqual([
      { path: 'spec.body.deployment.template.containers.0.name', message: expect.stringContaining('lower-case'), line, column },
    ]);
  });
});

/**
 * Notebook create body (ModelArts POST /v1/{project_id}/notebooks): every documented constraint
 * has a failing case with its exact path, and the reference's request examples pass.
 * docs/constraints.md maps each constraint to the test below that covers it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { run } from '../../../cli/main';
import type { HuaweiCall, HuaweiTransport } from '../../../shared/huaweicloud/client';
import type { ResourceSpec } from '../../../shared/kinds/adapter';
import { notebook } from '../../../shared/kinds/notebook';
import { validateSource } from '../../../shared/manifests/validate';
import { notebookExample } from '../request-examples';

type Body = Record<string, any>;

/** The reference's first request example, verbatim (flavor, strong affinity). */
const EXAMPLE_1: Body = notebookExample();

/** The reference's second request example, verbatim (custom spec, weak affinity): it breaks its own table. */
const EXAMPLE_2: Body = {
  name: 'notebooks_test',
  feature: 'NOTEBOOK',
  workspace_id: '0',
  description: 'api-test',
  pool_id: 'pool-test1202-06024304be00d5092fbdc0013d201342',
  custom_spec: { gpu: 1, cpu: 0.5, memory: 40 },
  image_id: 'e1a07296-22a8-4f05-8bc8-e936c8e54090',
  volume: { category: 'evs', ownership: 'managed', capacity: 50 },
  affinity: {
    preferred_during_scheduling_ignored_during_execution: [
      { weight: 80, key: 'kubernetes.io/hostname', operator: 'In', values: ['192.168.1.1'] },
      { weight: 10, key: 'kubernetes.io/hostname', operator: 'In', values: ['192.168.1.2'] },
    ],
  },
};

/** Example 2 with what its table requires: memory >= 513, arch, category and (for GPU) gpu_type. */
const EXAMPLE_2_FIXED: Body = {
  ...structuredClone(EXAMPLE_2),
  custom_spec: { gpu: 1, cpu: 0.5, memory: 8192, arch: 'x86_64', category: 'GPU', gpu_type: 'nvidia-t4' },
};

/** Every optional object the reference defines, filled in validly. */
const FULL: Body = {
  ...structuredClone(EXAMPLE_1),
  endpoints: [{ service: 'SSH', key_pair_names: ['kp-dev'] }],
  hooks: {
    container_hooks: {
      pre_start: { script: '/home/ma-user/work/setup.sh', type: 'SCRIPT', mode: 'BLOCK' },
      post_start: { script: 'ZWNobyBoZWxsbw==', type: 'COMMAND', mode: 'ASYNC' },
    },
  },
  lease: { duration: 7_200_000, type: 'timing' },
  run_user: { uid: 0, gid: 0 },
  data_volumes: [
    { category: 'OBSFS', ownership: 'DEDICATED', uri: 'obs://bucket/dir/', mount_path: '/data/obs', read_only: true },
    {
      category: 'EFS',
      ownership: 'DEDICATED',
      uri: '192.168.0.169:/',
      id: '280a8bd5-03e2-4a5c-bea1-83d81e75bc53',
      mount_path: '/data/efs',
    },
    { category: 'OBS', ownership: 'MANAGED', dew_secret_name: 'ak-sk_secret-1', mount_path: '/data/bucket' },
  ],
  user_vpc: { vpc_id: 'vpc-1', subnet_id: 'subnet-1', security_group_ids: ['sg-1'], connect_cidrs: ['10.0.0.0/8', 'fd00::/8'] },
  duration: 259_200_000,
};

function validate(body: Body, spec: Record<string, unknown> = {}) {
  const source = stringify({
    apiVersion: 'hwc-provisioner/v1',
    kind: 'Notebook',
    metadata: { name: 'team-a-dev' },
    spec: { ...spec, body },
  });
  const results = validateSource(source, 'notebook.yaml');
  expect(results).toHaveLength(1);
  return results[0]!;
}

/** Applies `mutate` to a copy of `base` and validates the result. */
function validateWith(base: Body, mutate: (body: Body) => void) {
  const body = structuredClone(base);
  mutate(body);
  return validate(body);
}

/**
 * Missing mandatory fields: the helpers in zod-helpers.ts word a missing text/number/enum as a type
 * error ("must be a string", "must be one of: ..."); plain zod types say "is required". Either names the field.
 */
const REQUIRED = /^(is required|must be a string|must be a number|must be one of)/;

type Case = [title: string, mutate: (body: Body) => void, path: string, message: string | RegExp];

function expectSingleError(base: Body, mutate: (body: Body) => void, path: string, message: string | RegExp) {
  const result = validateWith(base, mutate);
  expect(result.valid).toBe(false);
  const expected = typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message);
  expect(result.errors).toEqual([expect.objectContaining({ path: path === '' ? 'spec.body' : `spec.body.${path}`, message: expected })]);
}

describe('Notebook body: request examples', () => {
  it('accepts the first request example as written (lower-case evs/managed included)', () => {
    expect(validate(EXAMPLE_1).errors).toEqual([]);
  });

  it('rejects the second request example where it breaks its own table: memory >= 513, arch and category mandatory', () => {
    const result = validate(EXAMPLE_2);
    expect(result.errors).toEqual([
      expect.objectContaining({
        path: 'spec.body.custom_spec.arch',
        message: 'is required: "mandatory for custom specifications in CPU/GPU dedicated pools"',
      }),
      expect.objectContaining({
        path: 'spec.body.custom_spec.category',
        message: 'is required: "mandatory for custom specifications in CPU/GPU dedicated pools"',
      }),
      expect.objectContaining({
        path: 'spec.body.custom_spec.memory',
        message: 'must be an integer of at most 10 digits, not smaller than 513',
      }),
    ]);
  });

  it('accepts the second request example once it meets the table', () => {
    expect(validate(EXAMPLE_2_FIXED).errors).toEqual([]);
  });

  it('accepts a body that uses every optional object', () => {
    expect(validate(FULL).errors).toEqual([]);
  });

  it('accepts examples/notebook.yaml', () => {
    const results = validateSource(readFileSync('examples/notebook.yaml', 'utf8'), 'examples/notebook.yaml');
    expect(results.map((r) => [r.kind, r.valid, r.errors])).toEqual([['Notebook', true, []]]);
  });
});

describe('Notebook body: top-level fields', () => {
  const cases: Case[] = [
    ['name must not be empty', (b) => (b.name = ''), 'name', 'must not be empty'],
    ['name is at most 128 characters', (b) => (b.name = 'a'.repeat(129)), 'name', 'must be at most 128 characters'],
    ['name allows only letters, digits, - and _', (b) => (b.name = 'my notebook'), 'name', 'may contain only letters, digits, "-" and "_"'],
    ['name rejects dots', (b) => (b.name = 'nb.1'), 'name', 'may contain only letters, digits'],
    [
      'description leaves room for the ownership marker',
      (b) => (b.description = 'a'.repeat(495)),
      'description',
      "must be at most 494 characters (512 minus 18 reserved for hwc-provisioner's ownership marker)",
    ],
    ...['&', '<', '>', '"', "'", '/'].map(
      (ch): Case => [`description rejects ${ch}`, (b) => (b.description = `a${ch}b`), 'description', `must not contain any of & < > " ' /`],
    ),
    ['feature is DEFAULT or NOTEBOOK', (b) => (b.feature = 'CODELAB'), 'feature', 'must be one of: DEFAULT, NOTEBOOK'],
    ['feature is matched exactly', (b) => (b.feature = 'notebook'), 'feature', 'must be one of: DEFAULT, NOTEBOOK'],
    ['flavor or custom_spec must be set', (b) => delete b.flavor, 'flavor', 'either flavor or custom_spec must be set'],
    [
      'flavor and custom_spec are exclusive',
      (b) => (b.custom_spec = { cpu: 2, memory: 4096, arch: 'X86_64', category: 'CPU' }),
      'custom_spec',
      'cannot be set together with flavor',
    ],
    ['flavor must not be empty', (b) => (b.flavor = ''), 'flavor', 'must not be empty'],
    ['image_id is mandatory', (b) => delete b.image_id, 'image_id', REQUIRED],
    ['image_id is a UUID', (b) => (b.image_id = 'notebook2.0-mul-kernel-cpu-cp36'), 'image_id', 'must be a UUID'],
    ['pool_id is a string', (b) => (b.pool_id = 42), 'pool_id', 'must be a string'],
    ['volume is mandatory', (b) => delete b.volume, 'volume', 'is required'],
    [
      'workspace_id is "0" or 32 characters',
      (b) => (b.workspace_id = 'ws-1'),
      'workspace_id',
      'must be "0" or 32 characters of digits and lower-case letters',
    ],
    ['workspace_id must not be empty', (b) => (b.workspace_id = ''), 'workspace_id', 'must be "0" or 32 characters'],
    ['workspace_id allows no upper case', (b) => (b.workspace_id = 'A'.repeat(32)), 'workspace_id', 'must be "0" or 32 characters'],
    ['workspace_id of 31 characters', (b) => (b.workspace_id = 'a'.repeat(31)), 'workspace_id', 'must be "0" or 32 characters'],
    ['duration has a lower bound', (b) => (b.duration = 3_599_999), 'duration', 'must be between 3600000 and 259200000'],
    ['duration has an upper bound', (b) => (b.duration = 259_200_001), 'duration', 'must be between 3600000 and 259200000'],
    ['duration is an integer', (b) => (b.duration = 3_600_000.5), 'duration', 'must be an integer'],
    [
      'unknown top-level fields are named with a suggestion',
      (b) => (b.flavour = 'x'),
      '',
      'unknown field "flavour"; did you mean "flavor"?',
    ],
  ];

  it.each(cases)('%s', (_title, mutate, path, message) => {
    expectSingleError(EXAMPLE_1, mutate, path, message);
  });

  it('accepts a description of exactly 494 characters', () => {
    expect(validateWith(EXAMPLE_1, (b) => (b.description = 'a'.repeat(494))).valid).toBe(true);
  });

  it('accepts a 32-character workspace id and the DEFAULT feature', () => {
    expect(validateWith(EXAMPLE_1, (b) => ((b.workspace_id = '0123456789abcdef0123456789abcdef'), (b.feature = 'DEFAULT'))).valid).toBe(
      true,
    );
  });

  it('accepts duration at both bounds', () => {
    expect(validateWith(EXAMPLE_1, (b) => (b.duration = 3_600_000)).valid).toBe(true);
    expect(validateWith(EXAMPLE_1, (b) => (b.duration = 259_200_000)).valid).toBe(true);
  });

  it('accepts custom_spec without flavor', () => {
    expect(
      validateWith(EXAMPLE_1, (b) => (delete b.flavor, (b.custom_spec = { cpu: 2, memory: 4096, arch: 'AARCH64', category: 'CPU' }))).valid,
    ).toBe(true);
  });
});

describe('Notebook body: endpoints (EndpointsReq)', () => {
  const cases: Case[] = [
    ['service is NOTEBOOK or SSH', (b) => (b.endpoints = [{ service: 'HTTP' }]), 'endpoints.0.service', 'must be one of: NOTEBOOK, SSH'],
    [
      'key_pair_names is a list',
      (b) => (b.endpoints = [{ service: 'SSH', key_pair_names: 'kp' }]),
      'endpoints.0.key_pair_names',
      'must be a list',
    ],
    ['key_pair_names holds strings', (b) => (b.endpoints = [{ key_pair_names: [1] }]), 'endpoints.0.key_pair_names.0', 'must be a string'],
    ['endpoints is a list', (b) => (b.endpoints = { service: 'SSH' }), 'endpoints', 'must be a list'],
    ['unknown fields', (b) => (b.endpoints = [{ services: 'SSH' }]), 'endpoints.0', 'did you mean "service"?'],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(EXAMPLE_1, mutate, path, message));
});

describe('Notebook body: custom_spec (NotebookCustomSpec)', () => {
  const cases: Case[] = [
    ['cpu is mandatory', (b) => delete b.custom_spec.cpu, 'custom_spec.cpu', 'is required'],
    ['cpu is at least 0.4', (b) => (b.custom_spec.cpu = 0.39), 'custom_spec.cpu', 'must be at least 0.4'],
    ['cpu has at most 2 decimals', (b) => (b.custom_spec.cpu = 0.555), 'custom_spec.cpu', 'at most 2 after it'],
    [
      'cpu has at most 10 integer digits',
      (b) => (b.custom_spec.cpu = 12_345_678_901),
      'custom_spec.cpu',
      'at most 10 digits before the decimal point',
    ],
    ['cpu is a number', (b) => (b.custom_spec.cpu = '2'), 'custom_spec.cpu', 'must be a number'],
    ['memory is mandatory', (b) => delete b.custom_spec.memory, 'custom_spec.memory', 'is required'],
    ['memory is at least 513', (b) => (b.custom_spec.memory = 512), 'custom_spec.memory', 'not smaller than 513'],
    ['memory is an integer', (b) => (b.custom_spec.memory = 1024.5), 'custom_spec.memory', 'must be an integer of at most 10 digits'],
    ['memory has at most 10 digits', (b) => (b.custom_spec.memory = 12_345_678_901), 'custom_spec.memory', 'at most 10 digits'],
    ['gpu is a number', (b) => (b.custom_spec.gpu = '1'), 'custom_spec.gpu', 'must be a number'],
    [
      'arch is mandatory for custom specs',
      (b) => delete b.custom_spec.arch,
      'custom_spec.arch',
      'is required: "mandatory for custom specifications',
    ],
    ['arch is X86_64 or AARCH64', (b) => (b.custom_spec.arch = 'x86'), 'custom_spec.arch', 'must be one of: X86_64, AARCH64'],
    [
      'category is mandatory for custom specs',
      (b) => delete b.custom_spec.category,
      'custom_spec.category',
      'is required: "mandatory for custom specifications',
    ],
    ['category is CPU or GPU', (b) => (b.custom_spec.category = 'NPU'), 'custom_spec.category', 'must be one of: CPU, GPU'],
    ['gpu is mandatory for GPU', (b) => delete b.custom_spec.gpu, 'custom_spec.gpu', 'is required when category is GPU'],
    ['gpu_type is mandatory for GPU', (b) => delete b.custom_spec.gpu_type, 'custom_spec.gpu_type', 'is required when category is GPU'],
    [
      'gpu is unavailable for CPU',
      (b) => ((b.custom_spec.category = 'CPU'), delete b.custom_spec.gpu_type),
      'custom_spec.gpu',
      'must not be set when category is CPU',
    ],
    [
      'gpu_type is unavailable for CPU',
      (b) => ((b.custom_spec.category = 'CPU'), delete b.custom_spec.gpu),
      'custom_spec.gpu_type',
      'must not be set when category is CPU',
    ],
    ['resource_flavor is a string', (b) => (b.custom_spec.resource_flavor = 1), 'custom_spec.resource_flavor', 'must be a string'],
    ['unknown fields', (b) => (b.custom_spec.memroy = 1), 'custom_spec', 'did you mean "memory"?'],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(EXAMPLE_2_FIXED, mutate, path, message));

  it('accepts cpu with 10 integer digits and 2 decimals, and memory of 10 digits', () => {
    const result = validateWith(EXAMPLE_2_FIXED, (b) => ((b.custom_spec.cpu = 1_234_567_890.25), (b.custom_spec.memory = 9_999_999_999)));
    expect(result.errors).toEqual([]);
  });

  it('accepts arch and category in any letter case', () => {
    expect(validateWith(EXAMPLE_2_FIXED, (b) => ((b.custom_spec.arch = 'aarch64'), (b.custom_spec.category = 'gpu'))).valid).toBe(true);
  });
});

describe('Notebook body: volume and data_volumes (VolumeMountRequest)', () => {
  const cases: Case[] = [
    ['category is mandatory', (b) => delete b.volume.category, 'volume.category', REQUIRED],
    ['category is EVS, EFS, OBS or OBSFS', (b) => (b.volume.category = 'NAS'), 'volume.category', 'must be one of: EVS, EFS, OBS, OBSFS'],
    ['ownership is mandatory', (b) => delete b.volume.ownership, 'volume.ownership', REQUIRED],
    ['ownership is MANAGED or DEDICATED', (b) => (b.volume.ownership = 'shared'), 'volume.ownership', 'must be one of: MANAGED, DEDICATED'],
    [
      'uri is mandatory for dedicated OBSFS',
      (b) => (b.volume = { category: 'OBSFS', ownership: 'DEDICATED' }),
      'volume.uri',
      'is required when category is OBSFS and ownership is DEDICATED',
    ],
    [
      'uri is mandatory for dedicated OBS',
      (b) => (b.volume = { category: 'obs', ownership: 'dedicated', dew_secret_name: 's' }),
      'volume.uri',
      'is required when category is OBS and ownership is DEDICATED',
    ],
    [
      'uri is mandatory for dedicated EFS',
      (b) => (b.volume = { category: 'EFS', ownership: 'DEDICATED', id: '280a8bd5-03e2-4a5c-bea1-83d81e75bc53' }),
      'volume.uri',
      'is required when category is EFS and ownership is DEDICATED',
    ],
    ['uri is at most 1024 characters', (b) => (b.volume.uri = 'a'.repeat(1025)), 'volume.uri', 'must be at most 1024 characters'],
    [
      'id is mandatory for dedicated EFS',
      (b) => (b.volume = { category: 'EFS', ownership: 'DEDICATED', uri: '192.168.0.1:/' }),
      'volume.id',
      'is required when category is EFS and ownership is DEDICATED',
    ],
    ['id is a UUID', (b) => (b.volume.id = 'efs-1'), 'volume.id', 'must be a UUID'],
    [
      'mount_path is at most 256 characters',
      (b) => (b.volume.mount_path = `/${'a'.repeat(256)}`),
      'volume.mount_path',
      'must be at most 256 characters',
    ],
    ['read_only is a boolean', (b) => (b.volume.read_only = 'yes'), 'volume.read_only', 'must be a boolean'],
    [
      'dew_secret_name is mandatory for OBS',
      (b) => (b.volume = { category: 'OBS', ownership: 'MANAGED' }),
      'volume.dew_secret_name',
      'is required when category is OBS',
    ],
    [
      'dew_secret_name must not be empty',
      (b) => (b.volume = { category: 'OBS', ownership: 'MANAGED', dew_secret_name: '' }),
      'volume.dew_secret_name',
      'must not be empty',
    ],
    [
      'dew_secret_name is at most 64 characters',
      (b) => (b.volume.dew_secret_name = 'a'.repeat(65)),
      'volume.dew_secret_name',
      'must be at most 64 characters',
    ],
    [
      'dew_secret_name allows letters, digits, - and _',
      (b) => (b.volume.dew_secret_name = 'my.secret'),
      'volume.dew_secret_name',
      'may contain only letters, digits, "-" and "_"',
    ],
    ['capacity is an integer', (b) => (b.volume.capacity = 5.5), 'volume.capacity', 'must be an integer'],
    [
      'capacity only applies to EVS',
      (b) => (b.volume = { category: 'OBS', ownership: 'MANAGED', dew_secret_name: 's', capacity: 5 }),
      'volume.capacity',
      'is only valid when category is EVS',
    ],
    ['unknown fields', (b) => (b.volume.capasity = 5), 'volume', 'did you mean "capacity"?'],
    [
      'data_volumes items follow the same rules',
      (b) => (b.data_volumes = [{ category: 'NAS', ownership: 'MANAGED' }]),
      'data_volumes.0.category',
      'must be one of: EVS, EFS, OBS, OBSFS',
    ],
    [
      'data_volumes cross-field rules carry the index',
      (b) => (b.data_volumes = [b.volume, { category: 'OBS', ownership: 'MANAGED' }]),
      'data_volumes.1.dew_secret_name',
      'is required when category is OBS',
    ],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(EXAMPLE_1, mutate, path, message));

  it('accepts a managed OBSFS volume without uri, and a dedicated EFS volume with uri and id', () => {
    expect(validateWith(EXAMPLE_1, (b) => (b.volume = { category: 'OBSFS', ownership: 'MANAGED' })).valid).toBe(true);
    expect(validateWith(EXAMPLE_1, (b) => (b.volume = FULL.data_volumes[1])).valid).toBe(true);
  });
});

describe('Notebook body: hooks (CustomHooks, ContainerHooks, Config)', () => {
  const withHook = (config: unknown) => (b: Body) => (b.hooks = { container_hooks: { post_start: config } });
  const cases: Case[] = [
    [
      'type is COMMAND or SCRIPT',
      withHook({ script: '/a.sh', type: 'BASH' }),
      'hooks.container_hooks.post_start.type',
      'must be one of: COMMAND, SCRIPT',
    ],
    [
      'mode is BLOCK or ASYNC',
      withHook({ script: '/a.sh', mode: 'SYNC' }),
      'hooks.container_hooks.post_start.mode',
      'must be one of: BLOCK, ASYNC',
    ],
    [
      'script is Base64 or an absolute path',
      withHook({ script: 'pip install x' }),
      'hooks.container_hooks.post_start.script',
      'must be a Base64-encoded script or the absolute path of a script',
    ],
    [
      'pre_start is checked too',
      (b) => (b.hooks = { container_hooks: { pre_start: { script: 'run.sh?' } } }),
      'hooks.container_hooks.pre_start.script',
      'must be a Base64-encoded script',
    ],
    ['unknown fields in hooks', (b) => (b.hooks = { containerHooks: {} }), 'hooks', 'did you mean "container_hooks"?'],
    [
      'unknown fields in container_hooks',
      (b) => (b.hooks = { container_hooks: { poststart: {} } }),
      'hooks.container_hooks',
      'did you mean "post_start"?',
    ],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(EXAMPLE_1, mutate, path, message));
});

describe('Notebook body: lease (LeaseReq)', () => {
  const cases: Case[] = [
    ['duration has a lower bound', (b) => (b.lease = { duration: 3_599_999 }), 'lease.duration', 'must be between 3600000 and 259200000'],
    [
      'duration has an upper bound',
      (b) => (b.lease = { duration: 259_200_001 }),
      'lease.duration',
      'must be between 3600000 and 259200000',
    ],
    ['type is TIMING or IDLE', (b) => (b.lease = { type: 'NEVER' }), 'lease.type', 'must be one of: TIMING, IDLE'],
    ['unknown fields', (b) => (b.lease = { enable: true }), 'lease', 'unknown field "enable"'],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(EXAMPLE_1, mutate, path, message));
});

describe('Notebook body: affinity (AffinityType, AffinityRule)', () => {
  const REQ = 'affinity.required_during_scheduling_ignored_during_execution.0';
  const PREF = 'affinity.preferred_during_scheduling_ignored_during_execution.1';
  const rule = (b: Body) => b.affinity.required_during_scheduling_ignored_during_execution[0];
  const cases: Case[] = [
    ['key is mandatory', (b) => delete rule(b).key, `${REQ}.key`, 'is required'],
    ['operator is mandatory', (b) => delete rule(b).operator, `${REQ}.operator`, REQUIRED],
    ['values is mandatory', (b) => delete rule(b).values, `${REQ}.values`, 'is required'],
    [
      'operator is one of the six',
      (b) => (rule(b).operator = 'Equals'),
      `${REQ}.operator`,
      'must be one of: In, NotIn, Exists, DoesNotExist, Gt, Lt',
    ],
    [
      'key name part is at most 63 characters',
      (b) => (rule(b).key = `example.com/${'a'.repeat(64)}`),
      `${REQ}.key`,
      'name part must be at most 63 characters',
    ],
    [
      'key name part starts with a letter or digit',
      (b) => (rule(b).key = '-hostname'),
      `${REQ}.key`,
      'name part must start and end with a letter or digit',
    ],
    [
      'key name part allows no other characters',
      (b) => (rule(b).key = 'host name'),
      `${REQ}.key`,
      'name part must start and end with a letter or digit',
    ],
    ['key needs a name after the prefix', (b) => (rule(b).key = 'kubernetes.io/'), `${REQ}.key`, 'must have a name after the prefix'],
    [
      'key prefix is at most 253 characters',
      (b) => (rule(b).key = `${'a.'.repeat(127)}a/name`),
      `${REQ}.key`,
      'prefix must be at most 253 characters',
    ],
    ['key prefix is a DNS subdomain', (b) => (rule(b).key = 'Kubernetes.IO/hostname'), `${REQ}.key`, 'prefix must be a DNS subdomain'],
    [
      'key prefix labels are at most 63 characters',
      (b) => (rule(b).key = `${'a'.repeat(64)}.io/name`),
      `${REQ}.key`,
      'prefix must be a DNS subdomain',
    ],
    ['a value is at most 63 characters', (b) => (rule(b).values = ['a'.repeat(64)]), `${REQ}.values.0`, 'must be at most 63 characters'],
    [
      'a value starts and ends with a letter or digit',
      (b) => (rule(b).values = ['node-']),
      `${REQ}.values.0`,
      'must be empty or start and end with a letter or digit',
    ],
    [
      'a value allows no other characters',
      (b) => (rule(b).values = ['a/b']),
      `${REQ}.values.0`,
      'must be empty or start and end with a letter or digit',
    ],
    [
      'weight is absent for strong affinity',
      (b) => (rule(b).weight = 10),
      `${REQ}.weight`,
      'must not be set for strong (required) affinity',
    ],
    [
      'weight is at most 100',
      (b) => (
        (b.affinity = structuredClone(EXAMPLE_2.affinity)),
        (b.affinity.preferred_during_scheduling_ignored_during_execution[1].weight = 101)
      ),
      `${PREF}.weight`,
      'must be between 0 and 100',
    ],
    [
      'weight is at least 0',
      (b) => (
        (b.affinity = structuredClone(EXAMPLE_2.affinity)), (b.affinity.preferred_during_scheduling_ignored_during_execution[1].weight = -1)
      ),
      `${PREF}.weight`,
      'must be between 0 and 100',
    ],
    [
      'preferred rules need key, values and operator too',
      (b) => (
        (b.affinity = structuredClone(EXAMPLE_2.affinity)),
        delete b.affinity.preferred_during_scheduling_ignored_during_execution[1].operator
      ),
      `${PREF}.operator`,
      REQUIRED,
    ],
    ['unknown fields', (b) => (rule(b).value = ['x']), REQ, 'did you mean "values"?'],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(EXAMPLE_1, mutate, path, message));

  it('accepts an empty label value, a weightless preferred rule and a bare key', () => {
    const result = validateWith(EXAMPLE_1, (b) => {
      b.affinity = {
        required_during_scheduling_ignored_during_execution: [{ key: 'dedicated', operator: 'Exists', values: [''] }],
        preferred_during_scheduling_ignored_during_execution: [{ key: 'os.modelarts.node/zone', operator: 'NotIn', values: ['az-1.b_2'] }],
      };
    });
    expect(result.errors).toEqual([]);
  });
});

describe('Notebook body: run_user (RunUserRequest)', () => {
  const cases: Case[] = [
    ['root needs gid 0', (b) => (b.run_user = { uid: 0 }), 'run_user.uid', 'uid/gid must be 0/0 (root) or 1000/100 (ma-user), not 0/100'],
    ['ma-user needs gid 100', (b) => (b.run_user = { uid: 1000, gid: 0 }), 'run_user.uid', 'not 1000/0'],
    ['other gids are rejected', (b) => (b.run_user = { gid: 5 }), 'run_user.gid', 'not 1000/5'],
    ['other uids are rejected', (b) => (b.run_user = { uid: 1001, gid: 100 }), 'run_user.uid', 'uid/gid must be 0/0 (root) or 1000/100'],
    ['uid is an integer', (b) => (b.run_user = { uid: 'root' }), 'run_user.uid', 'must be a number'],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(EXAMPLE_1, mutate, path, message));

  it('accepts root/root, ma-user/ma-group and the defaults', () => {
    for (const run_user of [{ uid: 0, gid: 0 }, { uid: 1000, gid: 100 }, { uid: 1000 }, { gid: 100 }, {}]) {
      expect(validateWith(EXAMPLE_1, (b) => (b.run_user = run_user)).errors).toEqual([]);
    }
  });
});

describe('Notebook body: user_vpc (UserVpcRequest)', () => {
  const vpc = () => structuredClone(FULL.user_vpc);
  const cases: Case[] = [
    ['vpc_id is mandatory', (b) => ((b.user_vpc = vpc()), delete b.user_vpc.vpc_id), 'user_vpc.vpc_id', 'is required'],
    ['subnet_id is mandatory', (b) => ((b.user_vpc = vpc()), delete b.user_vpc.subnet_id), 'user_vpc.subnet_id', 'is required'],
    [
      'security_group_ids is mandatory',
      (b) => ((b.user_vpc = vpc()), delete b.user_vpc.security_group_ids),
      'user_vpc.security_group_ids',
      'is required',
    ],
    [
      'connect_cidrs holds CIDR blocks',
      (b) => ((b.user_vpc = vpc()), (b.user_vpc.connect_cidrs = ['10.0.0.0'])),
      'user_vpc.connect_cidrs.0',
      'must be a CIDR block',
    ],
    [
      'connect_cidrs is a list',
      (b) => ((b.user_vpc = vpc()), (b.user_vpc.connect_cidrs = '10.0.0.0/8')),
      'user_vpc.connect_cidrs',
      'must be a list',
    ],
  ];
  it.each(cases)('%s', (_title, mutate, path, message) => expectSingleError(EXAMPLE_1, mutate, path, message));
});

describe('Notebook manifest positions', () => {
  it('points errors at the offending line and column', () => {
    const source = readFileSync('examples/notebook.yaml', 'utf8').replace('capacity: 50', 'capacity: fifty');
    const [result] = validateSource(source, 'examples/notebook.yaml');
    const lines = source.split('\n');
    const line = lines.findIndex((l) => l.includes('capacity: fifty')) + 1;
    const column = lines[line - 1]!.indexOf('fifty') + 1;
    expect(result!.errors).toEqual([{ path: 'spec.body.volume.capacity', message: 'must be a number', line, column }]);
  });
});

describe('Notebook spec.body.name: defaults to metadata.name, warns when it differs', () => {
  const withName = (name: string | undefined) => {
    const body = structuredClone(EXAMPLE_1);
    if (name === undefined) delete body.name;
    else body.name = name;
    return validate(body);
  };

  it('fills an omitted body.name with metadata.name, with no warning', () => {
    const result = withName(undefined);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect((result.manifest!.spec.body as Body).name).toBe('team-a-dev');
  });

  it('accepts a body.name equal to metadata.name silently', () => {
    const result = withName('team-a-dev');
    expect(result.valid).toBe(true);
    expect(result.warnings).toEqual([]);
  });

  it('keeps a different body.name but warns at its position', () => {
    const result = withName('notebooks_test');
    expect(result.valid).toBe(true);
    expect((result.manifest!.spec.body as Body).name).toBe('notebooks_test');
    const source = stringify({
      apiVersion: 'hwc-provisioner/v1',
      kind: 'Notebook',
      metadata: { name: 'team-a-dev' },
      spec: { body: EXAMPLE_1 },
    });
    const line = source.split('\n').findIndex((l) => l.includes('name: notebooks_test')) + 1;
    expect(result.warnings).toEqual([
      {
        path: 'spec.body.name',
        message:
          'differs from metadata.name "team-a-dev": the notebook is named "notebooks_test" ' +
          'at Huawei Cloud; leave spec.body.name out to name it "team-a-dev"',
        line,
        column: expect.any(Number),
      },
    ]);
  });

  it('does not warn about a body.name that is itself invalid: the error says enough', () => {
    const result = withName('nb.1');
    expect(result.valid).toBe(false);
    expect(result.warnings).toEqual([]);
  });

  it('gives the defaulted and the explicit form one body for Huawei, one desired spec (what is hashed) and one look-up name', async () => {
    const specOf = (name: string | undefined) => withName(name).manifest!.spec as ResourceSpec;
    const omitted = specOf(undefined);
    expect(notebook.desired(omitted)).toEqual(notebook.desired(specOf('team-a-dev')));
    expect(notebook.huaweiName(omitted)).toBe('team-a-dev');
    const sent: HuaweiCall[] = [];
    const recording: HuaweiTransport = {
      send: async (call) => {
        sent.push(call);
        return { status: 200, body: { id: 'nb-1' } };
      },
    };
    await notebook.create(recording, { projectId: 'p1', region: 'cn-north-4', name: 'team-a-dev', spec: omitted }, { projectId: 'p1' });
    expect((sent[0]!.body as Body).name).toBe('team-a-dev');
    // A body.name that differs is a different spec: the identity would otherwise adopt another notebook.
    expect(notebook.desired(specOf('other'))).not.toEqual(notebook.desired(omitted));
  });

  it('prints the warning in the CLI and still exits 0', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const source = stringify({
      apiVersion: 'hwc-provisioner/v1',
      kind: 'Notebook',
      metadata: { name: 'team-a-dev' },
      spec: { body: EXAMPLE_1 },
    });
    const code = await run(['validate', '-'], { stdout: (l) => out.push(l), stderr: (l) => err.push(l), readStdin: async () => source });
    expect(code).toBe(0);
    expect(out).toEqual([expect.stringMatching(/^-:\d+:\d+ spec\.body\.name: warning: differs from metadata\.name "team-a-dev"/)]);
  });
});

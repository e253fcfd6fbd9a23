import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { resourcePoolBodySchema, type ResourcePoolBody } from '../../../shared/kinds/resource-pool/body';
import { validateSource } from '../../../shared/manifests/validate';
import { poolExample } from '../request-examples';

type Path = (string | number)[];
/** Marks a field to delete rather than set. */
const DROP = Symbol('drop');
type Mutation = [Path, unknown];

/** The request example of Huawei's CreatePool page (a physical training pool). */
const referenceExample = poolExample;

function mutate(body: Record<string, unknown>, mutations: Mutation[]): Record<string, unknown> {
  const copy = structuredClone(body);
  for (const [path, value] of mutations) {
    let node = copy as Record<string | number, unknown>;
    for (const segment of path.slice(0, -1)) {
      node[segment] ??= typeof segment === 'number' ? [] : {};
      node = node[segment] as Record<string | number, unknown>;
    }
    const last = path[path.length - 1]!;
    if (value === DROP) delete node[last];
    else node[last] = value;
  }
  return copy;
}

function manifest(body: unknown): string {
  return stringify({ apiVersion: 'hwc-provisioner/v1', kind: 'ResourcePool', metadata: { name: 'train-pool' }, spec: { body } });
}

function validate(body: unknown) {
  const results = validateSource(manifest(body), 'pool.yaml');
  expect(results).toHaveLength(1);
  return results[0]!;
}

const L = ['metadata', 'labels'];
const A = ['metadata', 'annotations'];
const S = ['spec'];
const R0 = ['spec', 'resources', 0];
const NAME = 'os.modelarts/name';
const prepaid = (extra: Mutation[] = []): Mutation[] => [
  [[...A, 'os.modelarts/billing.mode'], '1'],
  [[...A, 'os.modelarts/period.num'], '2'],
  [[...A, 'os.modelarts/period.type'], '2'],
  [[...A, 'os.modelarts/order.id'], 'CS2301011234ABCDE'],
  ...extra,
];

describe('ResourcePool body: valid requests', () => {
  it('accepts the reference request example as a manifest', () => {
    const result = validate(referenceExample());
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('accepts examples/resource-pool.yaml', () => {
    const [result] = validateSource(readFileSync('examples/resource-pool.yaml', 'utf8'), 'examples/resource-pool.yaml');
    expect(result).toMatchObject({ valid: true, errors: [], kind: 'ResourcePool', name: 'train-pool' });
  });

  it.each<[string, Mutation[]]>([
    ['a body without spec (optional in the reference)', [[['spec'], DROP]]],
    ['a body without annotations', [[A, DROP]]],
    [
      'a Logical pool with two job types and an elastic maxCount',
      [
        [[...S, 'type'], 'Logical'],
        [
          [...S, 'scope'],
          ['Train', 'Infer'],
        ],
        [[...R0, 'maxCount'], 5],
      ],
    ],
    [
      'a Dedicate pool with every job type and maxCount equal to count',
      [
        [
          [...S, 'scope'],
          ['Train', 'Infer', 'Notebook'],
        ],
        [[...R0, 'maxCount'], 2],
      ],
    ],
    [
      'a yearly/monthly pool with period, order, renewal and payment',
      prepaid([
        [[...A, 'os.modelarts/auto.renew'], '1'],
        [[...A, 'os.modelarts/auto.pay'], 'true'],
        [[...A, 'os.modelarts/promotion.info'], 'discount-1'],
        [[...A, 'os.modelarts/service.console.url'], 'https://console.example.com/paid'],
      ]),
    ],
    [
      'every optional field of labels, resources, os and driver',
      [
        [[...L, 'os.modelarts/node.prefix'], 'train'],
        [[...R0, 'extendParams'], { dockerBaseSize: '0' }],
        [[...R0, 'os'], { name: 'EulerOS 2.9', imageId: 'img-1', imageType: 'private' }],
        [[...S, 'jobFlavors'], ['modelarts.pool.visual.xlarge']],
        [[...S, 'driver'], { gpuVersion: '470.57', npuVersion: '23.0.1', updateStrategy: 'idle' }],
      ],
    ],
    ['two flavors', [[[...S, 'resources', 1], { flavor: 'modelarts.vm.cpu.8u', count: 1, maxCount: 1 }]]],
  ])('accepts %s', (_name, mutations) => {
    const result = validate(mutate(referenceExample(), mutations));
    expect(result.errors).toEqual([]);
  });

  it('keeps enum values and codes exactly as written', () => {
    const parsed: ResourcePoolBody = resourcePoolBodySchema().parse(mutate(referenceExample(), prepaid()));
    expect(parsed.metadata.annotations?.['os.modelarts/billing.mode']).toBe('1');
    expect(parsed.spec?.type).toBe('Dedicate');
  });
});

/** [test name, mutations of the reference example, error path under spec.body, message fragment]. */
const rejections: [string, Mutation[], string, string][] = [
  // body
  ['apiVersion missing', [[['apiVersion'], DROP]], 'apiVersion', 'is required'],
  ['apiVersion not v2', [[['apiVersion'], 'v1']], 'apiVersion', 'must be one of: v2'],
  ['kind missing', [[['kind'], DROP]], 'kind', 'is required'],
  ['kind not Pool', [[['kind'], 'ResourcePool']], 'kind', 'must be one of: Pool'],
  ['metadata missing', [[['metadata'], DROP]], 'metadata', 'is required'],
  ['unknown body field', [[['status'], {}]], '', 'unknown field "status"'],
  ['misspelt body field', [[['metdata'], {}]], '', 'did you mean "metadata"?'],
  // PoolMetadataCreation
  ['labels missing', [[L, DROP]], 'metadata.labels', 'is required'],
  ['unknown metadata field', [[['metadata', 'name'], 'pool-1']], 'metadata', 'unknown field "name"'],
  // PoolLabelsCreation
  ['display name label missing', [[[...L, NAME], DROP]], `metadata.labels.${NAME}`, "is required: it is the pool's display name"],
  ['display name label empty', [[[...L, NAME], '']], `metadata.labels.${NAME}`, 'must not be empty'],
  ['display name label not a string', [[[...L, NAME], 42]], `metadata.labels.${NAME}`, 'must be a string'],
  [
    'workspace.id not a string',
    [[[...L, 'os.modelarts/workspace.id'], 0]],
    'metadata.labels.os.modelarts/workspace.id',
    'must be a string',
  ],
  [
    'node.prefix not a string',
    [[[...L, 'os.modelarts/node.prefix'], true]],
    'metadata.labels.os.modelarts/node.prefix',
    'must be a string',
  ],
  ['misspelt label', [[[...L, 'os.modelarts/nmae'], 'x']], 'metadata.labels', 'did you mean "os.modelarts/name"?'],
  // PoolAnnotationsCreation
  ['response-only annotation', [[[...A, 'os.modelarts/tms.tags'], '[]']], 'metadata.annotations', 'unknown field "os.modelarts/tms.tags"'],
  [
    'description not a string',
    [[[...A, 'os.modelarts/description'], 7]],
    'metadata.annotations.os.modelarts/description',
    'must be a string',
  ],
  [
    'billing.mode not 0 or 1',
    [[[...A, 'os.modelarts/billing.mode'], '2']],
    'metadata.annotations.os.modelarts/billing.mode',
    'must be one of: 0, 1',
  ],
  [
    'billing.mode unquoted',
    [[[...A, 'os.modelarts/billing.mode'], 0]],
    'metadata.annotations.os.modelarts/billing.mode',
    'must be a quoted string, one of: "0", "1"',
  ],
  [
    'period.num not a number',
    [[[...A, 'os.modelarts/period.num'], 'two']],
    'metadata.annotations.os.modelarts/period.num',
    'must be a positive whole number written as a string',
  ],
  ['period.num zero', [[[...A, 'os.modelarts/period.num'], '0']], 'metadata.annotations.os.modelarts/period.num', 'positive whole number'],
  [
    'period.num unquoted',
    [[[...A, 'os.modelarts/period.num'], 2]],
    'metadata.annotations.os.modelarts/period.num',
    'must be a quoted string',
  ],
  [
    'period.type hour (node pools only)',
    [[[...A, 'os.modelarts/period.type'], '4']],
    'metadata.annotations.os.modelarts/period.type',
    'must be one of: 2, 3',
  ],
  [
    'auto.renew not 0 or 1',
    [[[...A, 'os.modelarts/auto.renew'], 'yes']],
    'metadata.annotations.os.modelarts/auto.renew',
    'must be one of: 0, 1',
  ],
  [
    'auto.pay not true or false',
    [[[...A, 'os.modelarts/auto.pay'], 'TRUE']],
    'metadata.annotations.os.modelarts/auto.pay',
    'must be one of: true, false',
  ],
  [
    'auto.pay unquoted boolean',
    [[[...A, 'os.modelarts/auto.pay'], true]],
    'metadata.annotations.os.modelarts/auto.pay',
    'must be a quoted string',
  ],
  [
    'promotion.info not a string',
    [[[...A, 'os.modelarts/promotion.info'], 1]],
    'metadata.annotations.os.modelarts/promotion.info',
    'must be a string',
  ],
  [
    'service.console.url not a string',
    [[[...A, 'os.modelarts/service.console.url'], []]],
    'metadata.annotations.os.modelarts/service.console.url',
    'must be a string',
  ],
  ['order.id empty', [[[...A, 'os.modelarts/order.id'], '']], 'metadata.annotations.os.modelarts/order.id', 'must not be empty'],
  [
    'yearly/monthly without period.num',
    prepaid([[[...A, 'os.modelarts/period.num'], DROP]]),
    'metadata.annotations.os.modelarts/period.num',
    'is required when os.modelarts/billing.mode is "1"',
  ],
  [
    'yearly/monthly without period.type',
    prepaid([[[...A, 'os.modelarts/period.type'], DROP]]),
    'metadata.annotations.os.modelarts/period.type',
    'is required when os.modelarts/billing.mode is "1"',
  ],
  [
    'yearly/monthly without order.id',
    prepaid([[[...A, 'os.modelarts/order.id'], DROP]]),
    'metadata.annotations.os.modelarts/order.id',
    'is required when os.modelarts/billing.mode is "1"',
  ],
  // PoolSpecCreation
  ['spec not a mapping', [[S, ['Train']]], 'spec', 'must be a mapping'],
  ['type missing', [[[...S, 'type'], DROP]], 'spec.type', 'is required'],
  ['type misspelt Dedicated', [[[...S, 'type'], 'Dedicated']], 'spec.type', 'must be one of: Dedicate, Logical'],
  ['scope missing', [[[...S, 'scope'], DROP]], 'spec.scope', 'is required'],
  ['scope empty', [[[...S, 'scope'], []]], 'spec.scope', 'must name at least one job type'],
  ['scope not a list', [[[...S, 'scope'], 'Train']], 'spec.scope', 'must be a list'],
  [
    'scope unknown job type',
    [
      [
        [...S, 'scope'],
        ['Train', 'Eval'],
      ],
    ],
    'spec.scope.1',
    'must be one of: Train, Infer, Notebook',
  ],
  ['scope job type in the wrong case', [[[...S, 'scope'], ['train']]], 'spec.scope.0', 'must be one of: Train, Infer, Notebook'],
  [
    'scope repeats a job type',
    [
      [
        [...S, 'scope'],
        ['Train', 'Infer', 'Train'],
      ],
    ],
    'spec.scope.2',
    'repeats Train; list each job type once',
  ],
  [
    'Logical pool with every job type',
    [
      [[...S, 'type'], 'Logical'],
      [
        [...S, 'scope'],
        ['Train', 'Infer', 'Notebook'],
      ],
    ],
    'spec.scope',
    'cannot select every job type for a Logical pool',
  ],
  ['resources missing', [[[...S, 'resources'], DROP]], 'spec.resources', 'is required'],
  ['resources empty', [[[...S, 'resources'], []]], 'spec.resources', 'must have at least 1 item'],
  ['network missing', [[[...S, 'network'], DROP]], 'spec.network', 'is required'],
  [
    'network missing on a Logical pool too',
    [
      [[...S, 'type'], 'Logical'],
      [[...S, 'network'], DROP],
    ],
    'spec.network',
    'is required',
  ],
  ['jobFlavors not a list', [[[...S, 'jobFlavors'], 'modelarts.pool.visual.xlarge']], 'spec.jobFlavors', 'must be a list'],
  ['jobFlavors empty name', [[[...S, 'jobFlavors'], ['']]], 'spec.jobFlavors.0', 'must not be empty'],
  ['unknown spec field', [[[...S, 'azs'], []]], 'spec', 'unknown field "azs"'],
  // PoolResourceFlavor
  ['flavor missing', [[[...R0, 'flavor'], DROP]], 'spec.resources.0.flavor', 'is required'],
  ['flavor empty', [[[...R0, 'flavor'], '']], 'spec.resources.0.flavor', 'must not be empty'],
  ['count missing', [[[...R0, 'count'], DROP]], 'spec.resources.0.count', 'is required'],
  ['count fractional', [[[...R0, 'count'], 1.5]], 'spec.resources.0.count', 'must be an integer'],
  ['count negative', [[[...R0, 'count'], -1]], 'spec.resources.0.count', 'must be at least 0'],
  ['count quoted', [[[...R0, 'count'], '2']], 'spec.resources.0.count', 'must be a number'],
  [
    'maxCount fractional',
    [
      [[...S, 'type'], 'Logical'],
      [[...R0, 'maxCount'], 2.5],
    ],
    'spec.resources.0.maxCount',
    'must be an integer',
  ],
  [
    'maxCount negative',
    [
      [[...S, 'type'], 'Logical'],
      [[...R0, 'maxCount'], -1],
    ],
    'spec.resources.0.maxCount',
    'must be at least 0',
  ],
  [
    'Dedicate pool maxCount differs from count',
    [[[...R0, 'maxCount'], 4]],
    'spec.resources.0.maxCount',
    'must equal count (2) in a physical (Dedicate) pool',
  ],
  ['resources field not in the create API (nodePool)', [[[...R0, 'nodePool'], 'np-1']], 'spec.resources.0', 'unknown field "nodePool"'],
  ['misspelt resources field', [[[...R0, 'maxcount'], 2]], 'spec.resources.0', 'did you mean "maxCount"?'],
  // extendParams
  [
    'extendParams unknown key',
    [[[...R0, 'extendParams'], { dockerSize: '100' }]],
    'spec.resources.0.extendParams',
    'unknown field "dockerSize"; known fields: dockerBaseSize',
  ],
  [
    'dockerBaseSize not a number',
    [[[...R0, 'extendParams'], { dockerBaseSize: '100G' }]],
    'spec.resources.0.extendParams.dockerBaseSize',
    'must be a whole number written as a string',
  ],
  [
    'dockerBaseSize unquoted',
    [[[...R0, 'extendParams'], { dockerBaseSize: 100 }]],
    'spec.resources.0.extendParams.dockerBaseSize',
    'must be a quoted string',
  ],
  // Os
  ['os.imageType not private', [[[...R0, 'os'], { imageType: 'public' }]], 'spec.resources.0.os.imageType', 'must be one of: private'],
  ['os.name not a string', [[[...R0, 'os'], { name: 2.9 }]], 'spec.resources.0.os.name', 'must be a string'],
  ['os.imageId not a string', [[[...R0, 'os'], { imageId: 1 }]], 'spec.resources.0.os.imageId', 'must be a string'],
  ['os unknown field', [[[...R0, 'os'], { autoMatch: 'EulerOS 2.9' }]], 'spec.resources.0.os', 'unknown field "autoMatch"'],
  // network
  ['network.name missing', [[[...S, 'network'], {}]], 'spec.network.name', 'is required'],
  ['network.name empty', [[[...S, 'network', 'name'], '']], 'spec.network.name', 'must not be empty'],
  ['network unknown field', [[[...S, 'network', 'vpc'], 'vpc-1']], 'spec.network', 'unknown field "vpc"'],
  // PoolDriver
  ['driver.gpuVersion unquoted number', [[[...S, 'driver', 'gpuVersion'], 440.31]], 'spec.driver.gpuVersion', 'must be a string'],
  ['driver.npuVersion not a string', [[[...S, 'driver', 'npuVersion'], 23]], 'spec.driver.npuVersion', 'must be a string'],
  [
    'driver.updateStrategy unknown',
    [[[...S, 'driver', 'updateStrategy'], 'rolling']],
    'spec.driver.updateStrategy',
    'must be one of: force, idle',
  ],
  ['driver unknown field', [[[...S, 'driver', 'cudaVersion'], '12']], 'spec.driver', 'unknown field "cudaVersion"'],
];

describe('ResourcePool body: rejected requests', () => {
  it.each(rejections)('rejects %s', (_name, mutations, path, fragment) => {
    const result = validate(mutate(referenceExample(), mutations));
    expect(result.valid).toBe(false);
    expect(result.errors).toContainEqual(
      expect.objectContaining({ path: path === '' ? 'spec.body' : `spec.body.${path}`, message: expect.stringContaining(fragment) }),
    );
  });

  it('positions an error on the offending line of the manifest', () => {
    const source = manifest(mutate(referenceExample(), [[[...R0, 'count'], -1]]));
    const line = source.split('\n').findIndex((l) => l.includes('count: -1')) + 1;
    const [error] = validate(mutate(referenceExample(), [[[...R0, 'count'], -1]])).errors;
    expect(error).toMatchObject({ path: 'spec.body.spec.resources.0.count', line });
  });

  it('reports every yearly/monthly field that is missing', () => {
    const result = validate(mutate(referenceExample(), [[[...A, 'os.modelarts/billing.mode'], '1']]));
    expect(result.errors.map((e) => e.path)).toEqual([
      'spec.body.metadata.annotations.os.modelarts/period.num',
      'spec.body.metadata.annotations.os.modelarts/period.type',
      'spec.body.metadata.annotations.os.modelarts/order.id',
    ]);
  });
});

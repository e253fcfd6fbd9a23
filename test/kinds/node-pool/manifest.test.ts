import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { nodePoolBodySchema, isK8sKey, isK8sValue, type NodePoolBody } from '../../../shared/kinds/node-pool/body';
import { validateSource } from '../../../shared/manifests/validate';
import { nodePoolExample } from '../request-examples';

type Path = (string | number)[];
/** Marks a field to delete rather than set. */
const DROP = Symbol('drop');
type Mutation = [Path, unknown];

/** The request example of Huawei's CreateNodePool page (identical in English and Chinese). */
const referenceExample = nodePoolExample;

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
  return stringify({
    apiVersion: 'hwc-provisioner/v1',
    kind: 'NodePool',
    metadata: { name: 'gpu-nodes' },
    spec: { poolName: 'pool-test1202-06024304be00d5092fbdc0013d201342', body },
  });
}

function validate(body: unknown) {
  const results = validateSource(manifest(body), 'node-pool.yaml');
  expect(results).toHaveLength(1);
  return results[0]!;
}

const A = ['metadata', 'annotations'];
const R = ['spec', 'resources'];
const prepaid = (extra: Mutation[] = []): Mutation[] => [
  [[...A, 'os.modelarts/billing.mode'], '1'],
  [[...A, 'os.modelarts/period.num'], '1'],
  [[...A, 'os.modelarts/period.type'], '4'],
  [[...A, 'os.modelarts/order.id'], 'CS2301011234ABCDE'],
  ...extra,
];

describe('NodePool body: valid requests', () => {
  it('accepts the reference request example as a manifest', () => {
    const result = validate(referenceExample());
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('accepts examples/node-pool.yaml', () => {
    const [result] = validateSource(readFileSync('examples/node-pool.yaml', 'utf8'), 'examples/node-pool.yaml');
    expect(result).toMatchObject({ valid: true, errors: [], kind: 'NodePool', name: 'nodepool-1' });
  });

  it.each<[string, Mutation[]]>([
    ['a body without spec (optional in the reference)', [[['spec'], DROP]]],
    ['a body without annotations', [[A, DROP]]],
    ['the smallest resources: flavor, count and maxCount', [[R, { flavor: 'modelarts.vm.2u4g.dcc', count: 1, maxCount: 1 }]]],
    [
      'pay-per-use billing with auto-renew off',
      [
        [[...A, 'os.modelarts/billing.mode'], '0'],
        [[...A, 'os.modelarts/auto.renew'], '0'],
      ],
    ],
    [
      'hourly yearly/monthly billing with every annotation',
      prepaid([
        [[...A, 'os.modelarts/auto.renew'], '1'],
        [[...A, 'os.modelarts/promotion.info'], 'discount-1'],
        [[...A, 'os.modelarts/service.console.url'], 'https://console.example.com/paid'],
      ]),
    ],
    [
      'maxCount below count',
      [
        [[...R, 'count'], 3],
        [[...R, 'maxCount'], 2],
      ],
    ],
    [
      'every optional resources field',
      [
        [
          [...R, 'azs'],
          [
            { az: 'cn-north-4a', count: 1 },
            { az: 'cn-north-4b', count: 0 },
          ],
        ],
        [
          [...R, 'taints'],
          [
            { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
            { key: 'example.com/maintenance', effect: 'NoExecute' },
            { key: 'spot', value: '', effect: 'PreferNoSchedule' },
          ],
        ],
        [[...R, 'labels'], { app: 'training', 'example.com/tier': 'gold', empty: '' }],
        [
          [...R, 'tags'],
          [
            { key: 'team', value: 'ml' },
            { key: 'cce-lower-case-is-allowed', value: '' },
          ],
        ],
        [[...R, 'extendParams'], { dockerBaseSize: '100', otherParam: 'x' }],
        [[...R, 'creatingStep'], { step: 2, type: 'rack' }],
        [[...R, 'os'], { name: 'EulerOS 2.9', imageId: 'img-1', imageType: 'private' }],
      ],
    ],
    ['dockerBaseSize 0 (no limit)', [[[...R, 'extendParams'], { dockerBaseSize: '0' }]]],
    ['an empty network (every NodeNetwork field is optional)', [[[...R, 'network'], {}]]],
  ])('accepts %s', (_name, mutations) => {
    const result = validate(mutate(referenceExample(), mutations));
    expect(result.errors).toEqual([]);
  });

  it('keeps resources a single object in the parsed body', () => {
    const parsed: NodePoolBody = nodePoolBodySchema().parse(referenceExample());
    expect(parsed.spec?.resources.flavor).toBe('modelarts.vm.2u4g.dcc');
  });
});

/** [test name, mutations of the reference example, error path under spec.body, message fragment]. */
const rejections: [string, Mutation[], string, string][] = [
  // body
  ['apiVersion missing', [[['apiVersion'], DROP]], 'apiVersion', 'is required'],
  ['apiVersion not v2', [[['apiVersion'], 'v3']], 'apiVersion', 'must be one of: v2'],
  ['kind missing', [[['kind'], DROP]], 'kind', 'is required'],
  ['kind not NodePool', [[['kind'], 'Nodepool']], 'kind', 'must be one of: NodePool'],
  ['metadata missing', [[['metadata'], DROP]], 'metadata', 'is required'],
  ['unknown body field', [[['status'], {}]], '', 'unknown field "status"'],
  // CreateNodePoolMetaVO
  ['metadata.name missing', [[['metadata', 'name'], DROP]], 'metadata.name', 'is required'],
  ['metadata.name empty', [[['metadata', 'name'], '']], 'metadata.name', 'must not be empty'],
  ['metadata.name not a string', [[['metadata', 'name'], 1]], 'metadata.name', 'must be a string'],
  ['metadata labels (a pool field)', [[['metadata', 'labels'], {}]], 'metadata', 'unknown field "labels"'],
  // CreateNodePoolAnnotations
  ['annotations not a mapping', [[A, []]], 'metadata.annotations', 'must be a mapping'],
  [
    'pool-only annotation auto.pay',
    [[[...A, 'os.modelarts/auto.pay'], 'true']],
    'metadata.annotations',
    'unknown field "os.modelarts/auto.pay"',
  ],
  ['misspelt annotation', [[[...A, 'os.modelarts/biling.mode'], '0']], 'metadata.annotations', 'did you mean "os.modelarts/billing.mode"?'],
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
    'must be a quoted string',
  ],
  [
    'period.num not a number',
    [[[...A, 'os.modelarts/period.num'], 'one']],
    'metadata.annotations.os.modelarts/period.num',
    'must be a positive whole number written as a string',
  ],
  [
    'period.num unquoted',
    [[[...A, 'os.modelarts/period.num'], 1]],
    'metadata.annotations.os.modelarts/period.num',
    'must be a quoted string',
  ],
  [
    'period.type not 2, 3 or 4',
    [[[...A, 'os.modelarts/period.type'], '1']],
    'metadata.annotations.os.modelarts/period.type',
    'must be one of: 2, 3, 4',
  ],
  [
    'auto.renew not 0 or 1',
    [[[...A, 'os.modelarts/auto.renew'], 'true']],
    'metadata.annotations.os.modelarts/auto.renew',
    'must be one of: 0, 1',
  ],
  [
    'promotion.info not a string',
    [[[...A, 'os.modelarts/promotion.info'], 5]],
    'metadata.annotations.os.modelarts/promotion.info',
    'must be a string',
  ],
  [
    'service.console.url not a string',
    [[[...A, 'os.modelarts/service.console.url'], {}]],
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
  // NodePoolSpec
  ['resources missing', [[R, DROP]], 'spec.resources', 'is required'],
  ['resources written as a list', [[R, [referenceExample().spec.resources]]], 'spec.resources', 'must be a mapping, not a list'],
  ['unknown spec field', [[['spec', 'resource'], {}]], 'spec', 'did you mean "resources"?'],
  // PoolResource
  ['flavor missing', [[[...R, 'flavor'], DROP]], 'spec.resources.flavor', 'is required'],
  ['flavor empty', [[[...R, 'flavor'], '']], 'spec.resources.flavor', 'must not be empty'],
  ['count missing', [[[...R, 'count'], DROP]], 'spec.resources.count', 'is required'],
  [
    'count zero',
    [
      [[...R, 'count'], 0],
      [[...R, 'maxCount'], 0],
    ],
    'spec.resources.count',
    'must be at least 1',
  ],
  ['count fractional', [[[...R, 'count'], 1.5]], 'spec.resources.count', 'must be an integer'],
  ['count quoted', [[[...R, 'count'], '1']], 'spec.resources.count', 'must be a number'],
  ['maxCount missing', [[[...R, 'maxCount'], DROP]], 'spec.resources.maxCount', 'is required'],
  ['maxCount negative', [[[...R, 'maxCount'], -1]], 'spec.resources.maxCount', 'must be at least 0'],
  ['maxCount fractional', [[[...R, 'maxCount'], 0.5]], 'spec.resources.maxCount', 'must be an integer'],
  ['maxCount above count', [[[...R, 'maxCount'], 2]], 'spec.resources.maxCount', 'must not exceed count (1)'],
  ['nodePool empty', [[[...R, 'nodePool'], '']], 'spec.resources.nodePool', 'must not be empty'],
  [
    'resources field not in the reference (rootVolume)',
    [[[...R, 'rootVolume'], { size: 100 }]],
    'spec.resources',
    'unknown field "rootVolume"',
  ],
  ['misspelt resources field', [[[...R, 'maxcount'], 1]], 'spec.resources', 'did you mean "maxCount"?'],
  // PoolNodeAz
  ['azs not a list', [[[...R, 'azs'], { az: 'cn-north-4a', count: 1 }]], 'spec.resources.azs', 'must be a list'],
  ['azs az missing', [[[...R, 'azs'], [{ count: 1 }]]], 'spec.resources.azs.0.az', 'is required'],
  ['azs az empty', [[[...R, 'azs'], [{ az: '', count: 1 }]]], 'spec.resources.azs.0.az', 'must not be empty'],
  ['azs count missing', [[[...R, 'azs'], [{ az: 'cn-north-4a' }]]], 'spec.resources.azs.0.count', 'is required'],
  ['azs count negative', [[[...R, 'azs'], [{ az: 'cn-north-4a', count: -1 }]]], 'spec.resources.azs.0.count', 'must be at least 0'],
  ['azs count fractional', [[[...R, 'azs'], [{ az: 'cn-north-4a', count: 0.5 }]]], 'spec.resources.azs.0.count', 'must be an integer'],
  ['azs unknown field', [[[...R, 'azs'], [{ az: 'cn-north-4a', count: 1, zone: 'x' }]]], 'spec.resources.azs.0', 'unknown field "zone"'],
  // Taint
  ['taint key missing', [[[...R, 'taints'], [{ effect: 'NoSchedule' }]]], 'spec.resources.taints.0.key', 'is required'],
  [
    'taint key not Kubernetes syntax',
    [[[...R, 'taints'], [{ key: 'gpu only', effect: 'NoSchedule' }]]],
    'spec.resources.taints.0.key',
    'must be a Kubernetes label key',
  ],
  [
    'taint value not Kubernetes syntax',
    [[[...R, 'taints'], [{ key: 'gpu', value: '-bad', effect: 'NoSchedule' }]]],
    'spec.resources.taints.0.value',
    'must be a Kubernetes label value',
  ],
  [
    'taint value unquoted number',
    [[[...R, 'taints'], [{ key: 'gpu', value: 1, effect: 'NoSchedule' }]]],
    'spec.resources.taints.0.value',
    'must be a string',
  ],
  ['taint effect missing', [[[...R, 'taints'], [{ key: 'gpu' }]]], 'spec.resources.taints.0.effect', 'is required'],
  [
    'taint effect unknown',
    [[[...R, 'taints'], [{ key: 'gpu', effect: 'NoScheduleAll' }]]],
    'spec.resources.taints.0.effect',
    'must be one of: NoSchedule, PreferNoSchedule, NoExecute',
  ],
  [
    'taint effect in the wrong case',
    [[[...R, 'taints'], [{ key: 'gpu', effect: 'noschedule' }]]],
    'spec.resources.taints.0.effect',
    'must be one of: NoSchedule',
  ],
  [
    'taint unknown field',
    [[[...R, 'taints'], [{ key: 'gpu', effect: 'NoSchedule', operator: 'Exists' }]]],
    'spec.resources.taints.0',
    'unknown field "operator"',
  ],
  // labels
  [
    'labels not a mapping',
    [[[...R, 'labels'], ['app=training']]],
    'spec.resources.labels',
    'must be a mapping of string keys to string values',
  ],
  [
    'extendParams not a mapping',
    [[[...R, 'extendParams'], 'dockerBaseSize=100']],
    'spec.resources.extendParams',
    'must be a mapping of string keys to string values',
  ],
  ['label value unquoted number', [[[...R, 'labels'], { tier: 1 }]], 'spec.resources.labels.tier', 'must be a string'],
  [
    'label key not Kubernetes syntax',
    [[[...R, 'labels'], { 'bad key': 'x' }]],
    'spec.resources.labels.bad key',
    'must be a Kubernetes label key',
  ],
  [
    'label key with an invalid prefix',
    [[[...R, 'labels'], { 'Example.com/tier': 'x' }]],
    'spec.resources.labels.Example.com/tier',
    'must be a Kubernetes label key',
  ],
  ['label value too long', [[[...R, 'labels'], { app: 'a'.repeat(64) }]], 'spec.resources.labels.app', 'must be a Kubernetes label value'],
  // UserTag
  ['tag key missing', [[[...R, 'tags'], [{ value: 'ml' }]]], 'spec.resources.tags.0.key', 'is required'],
  [
    'tag key starting with CCE-',
    [[[...R, 'tags'], [{ key: 'CCE-owner', value: 'ml' }]]],
    'spec.resources.tags.0.key',
    'must not start with "CCE-" or "__type_baremetal"',
  ],
  [
    'tag key starting with __type_baremetal',
    [[[...R, 'tags'], [{ key: '__type_baremetal_x', value: 'ml' }]]],
    'spec.resources.tags.0.key',
    'must not start with "CCE-" or "__type_baremetal"',
  ],
  ['tag value missing', [[[...R, 'tags'], [{ key: 'team' }]]], 'spec.resources.tags.0.value', 'is required'],
  ['tag value unquoted boolean', [[[...R, 'tags'], [{ key: 'team', value: true }]]], 'spec.resources.tags.0.value', 'must be a string'],
  ['tag unknown field', [[[...R, 'tags'], [{ key: 'team', value: 'ml', effect: 'x' }]]], 'spec.resources.tags.0', 'unknown field "effect"'],
  // NodeNetwork
  ['network.vpc empty', [[[...R, 'network', 'vpc'], '']], 'spec.resources.network.vpc', 'must not be empty'],
  ['network.subnet not a string', [[[...R, 'network', 'subnet'], 3796378]], 'spec.resources.network.subnet', 'must be a string'],
  [
    'network.securityGroups not a list',
    [[[...R, 'network', 'securityGroups'], '0a15b48d-06f1-41e4-b782-ade90087bf59']],
    'spec.resources.network.securityGroups',
    'must be a list',
  ],
  [
    'network.securityGroups empty id',
    [[[...R, 'network', 'securityGroups'], ['']]],
    'spec.resources.network.securityGroups.0',
    'must not be empty',
  ],
  ['network unknown field', [[[...R, 'network', 'securityGroup'], 'sg-1']], 'spec.resources.network', 'did you mean "securityGroups"?'],
  // extendParams
  ['extendParams value unquoted number', [[[...R, 'extendParams'], { other: 5 }]], 'spec.resources.extendParams.other', 'must be a string'],
  [
    'dockerBaseSize not a number',
    [[[...R, 'extendParams'], { dockerBaseSize: '100GB' }]],
    'spec.resources.extendParams.dockerBaseSize',
    'must be a whole number written as a string',
  ],
  [
    'dockerBaseSize unquoted',
    [[[...R, 'extendParams'], { dockerBaseSize: 100 }]],
    'spec.resources.extendParams.dockerBaseSize',
    'must be a string',
  ],
  // CreatingStep
  ['creatingStep.step zero', [[[...R, 'creatingStep'], { step: 0 }]], 'spec.resources.creatingStep.step', 'must be at least 1'],
  ['creatingStep.step fractional', [[[...R, 'creatingStep'], { step: 1.5 }]], 'spec.resources.creatingStep.step', 'must be an integer'],
  [
    'creatingStep.type not rack',
    [[[...R, 'creatingStep'], { type: 'cabinet' }]],
    'spec.resources.creatingStep.type',
    'must be one of: rack',
  ],
  ['creatingStep unknown field', [[[...R, 'creatingStep'], { steps: 2 }]], 'spec.resources.creatingStep', 'did you mean "step"?'],
  // Os
  ['os.imageType not private', [[[...R, 'os'], { imageType: 'public' }]], 'spec.resources.os.imageType', 'must be one of: private'],
  ['os.name not a string', [[[...R, 'os'], { name: 2 }]], 'spec.resources.os.name', 'must be a string'],
  ['os.imageId not a string', [[[...R, 'os'], { imageId: 2 }]], 'spec.resources.os.imageId', 'must be a string'],
  ['os unknown field', [[[...R, 'os'], { image: 'x' }]], 'spec.resources.os', 'unknown field "image"'],
];

describe('NodePool body: rejected requests', () => {
  it.each(rejections)('rejects %s', (_name, mutations, path, fragment) => {
    const result = validate(mutate(referenceExample(), mutations));
    expect(result.valid).toBe(false);
    expect(result.errors).toContainEqual(
      expect.objectContaining({ path: path === '' ? 'spec.body' : `spec.body.${path}`, message: expect.stringContaining(fragment) }),
    );
  });

  it('positions an error on the offending line of the manifest', () => {
    const body = mutate(referenceExample(), [[[...R, 'maxCount'], 7]]);
    const line =
      manifest(body)
        .split('\n')
        .findIndex((l) => l.includes('maxCount: 7')) + 1;
    expect(validate(body).errors).toEqual([expect.objectContaining({ path: 'spec.body.spec.resources.maxCount', line })]);
  });
});

describe('Kubernetes label syntax', () => {
  it.each([
    ['app', true],
    ['a', true],
    ['example.com/app', true],
    ['a.b_c-d', true],
    ['x'.repeat(63), true],
    ['x'.repeat(64), false],
    ['-app', false],
    ['app-', false],
    ['/app', false],
    ['example.com/', false],
    ['Example.com/app', false],
    [`${'a'.repeat(254)}/app`, false],
  ])('key %s valid=%s', (key, valid) => expect(isK8sKey(key)).toBe(valid));

  it.each([
    ['', true],
    ['gpu', true],
    ['v1.2_x-y', true],
    ['x'.repeat(64), false],
    ['a/b', false],
    ['_a', false],
  ])('value %s valid=%s', (value, valid) => expect(isK8sValue(value)).toBe(valid));
});

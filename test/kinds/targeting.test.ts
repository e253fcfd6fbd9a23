/**
 * The spec values that end up in a Huawei request's host, path or headers (region, projectId, poolName,
 * iefInstanceId, a node pool's name): each is refused at the manifest, with its path, rather than sent.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { validateSource } from '../../shared/manifests/validate';

type Doc = { kind: string; metadata: { name: string }; spec: Record<string, unknown> & { body: Record<string, any> } };

const example = (file: string): Doc => parse(readFileSync(`examples/${file}`, 'utf8')) as Doc;
const POOL_ID = 'pool-test1202-06024304be00d5092fbdc0013d201342';

function validate(doc: Doc, spec: Record<string, unknown>) {
  const results = validateSource(stringify({ ...doc, spec: { ...doc.spec, ...spec } }), 'm.yaml');
  expect(results).toHaveLength(1);
  return results[0]!;
}

function errorsAt(doc: Doc, spec: Record<string, unknown>, path: string) {
  return validate(doc, spec).errors.filter((e) => e.path === path);
}

describe('spec.region: only regions with a known endpoint for the kind', () => {
  const notebook = example('notebook.yaml');
  const edge = example('edge-deployment.yaml');

  it.each(['cn-north-4', 'cn-east-3', 'ap-southeast-1', 'ap-southeast-3', 'la-south-2'])(
    'accepts ModelArts region %s for a Notebook',
    (region) => {
      expect(errorsAt(notebook, { region }, 'spec.region')).toEqual([]);
    },
  );

  it.each(['cn-north-4', 'cn-north-1', 'cn-east-2', 'cn-east-3', 'cn-south-1'])('accepts IEF region %s for an EdgeDeployment', (region) => {
    expect(errorsAt(edge, { region }, 'spec.region')).toEqual([]);
  });

  it.each(['cn-north-99', 'xx-nowhere-1', 'eu-west-1'])(
    'refuses region %s, which looks like one but has no ModelArts endpoint',
    (region) => {
      expect(errorsAt(notebook, { region }, 'spec.region')).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/^must be a region where ModelArts has an endpoint: .*cn-north-4/) }),
      ]);
    },
  );

  it('refuses a ModelArts-only region for an EdgeDeployment, and an IEF-only region for a Notebook', () => {
    expect(errorsAt(edge, { region: 'ap-southeast-3' }, 'spec.region')).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^must be a region where IEF has an endpoint: cn-north-1, cn-north-4/) }),
    ]);
    expect(errorsAt(notebook, { region: 'cn-east-2' }, 'spec.region')).toHaveLength(1);
  });

  it('refuses host-changing text', () => {
    for (const region of ['cn-north-4.evil.example', 'cn-north-4/x', 'CN-NORTH-4', '']) {
      expect(errorsAt(notebook, { region }, 'spec.region')).toHaveLength(1);
    }
  });
});

describe('spec.projectId: a path segment and a header', () => {
  it.each(['.', '..', 'a/b', 'a\r\nb', 'a b'])('refuses %j', (projectId) => {
    expect(errorsAt(example('notebook.yaml'), { projectId }, 'spec.projectId')).toHaveLength(1);
  });
});

describe('spec.poolName: a resource pool id (the pool_name path parameter)', () => {
  const nodePool = example('node-pool.yaml');

  it.each([
    '.',
    '..',
    'pool/..',
    `${POOL_ID}/..`,
    '%2e%2e',
    `${POOL_ID}?x=1`,
    POOL_ID.toUpperCase(),
    `1${POOL_ID}`,
    'pool-abc',
    'p'.repeat(64),
  ])('refuses %j', (poolName) => {
    expect(errorsAt(nodePool, { poolName }, 'spec.poolName')).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^must be a resource pool id \(the pool's metadata\.name/) }),
    ]);
  });

  it.each([POOL_ID, `pool-${'a'.repeat(8)}-${'0'.repeat(32)}`, 'p'.repeat(63)])('accepts %s', (poolName) => {
    expect(validate(nodePool, { poolName }).errors).toEqual([]);
  });
});

describe('NodePool spec.body.metadata.name: the nodepool_name path parameter of look-ups', () => {
  const nodePool = example('node-pool.yaml');
  const withName = (name: unknown) => {
    const body = structuredClone(nodePool.spec.body);
    body.metadata.name = name;
    return validate(nodePool, { poolName: POOL_ID, body }).errors.filter((e) => e.path === 'spec.body.metadata.name');
  };

  it.each(['.', '..', 'a/b', 'np?x', 'np\r\n', '-np', 'a'.repeat(64)])('refuses %j', (name) => {
    expect(withName(name)).toHaveLength(1);
  });

  it.each(['nodepool-1', 'nodePool-1', 'np_1.a', 'a'.repeat(63)])('accepts %s', (name) => {
    expect(withName(name)).toEqual([]);
  });
});

describe('spec.iefInstanceId: sent as the ief-instance-id header', () => {
  const edge = example('edge-deployment.yaml');

  it.each(['a\r\nx-injected: 1', 'a\nb', 'a\0b', 'a b', 'é', '..', 'a/b', 'a'.repeat(65)])('refuses %j', (iefInstanceId) => {
    expect(errorsAt(edge, { iefInstanceId }, 'spec.iefInstanceId')).toEqual([
      expect.objectContaining({ message: expect.stringContaining('must be an IEF instance id') }),
    ]);
  });

  it.each(['db953bf7-9f6c-4e90-9963-0a4453df72ba', 'ief-platinum-1'])('accepts %s', (iefInstanceId) => {
    expect(validate(edge, { iefInstanceId }).errors).toEqual([]);
  });
});

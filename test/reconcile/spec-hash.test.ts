import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../shared/manifests/canonical';
import { specHash } from '../../shared/reconcile/verdict';

type Spec = { body: Record<string, unknown>; [field: string]: unknown };
// A node pool's spec has both kinds of targeting (poolName, poolRef) the comparison covers.
const record = (spec: Spec, region = 'cn-north-4') => ['NodePool', spec, region] as const;
const hash = (args: ReturnType<typeof record>) => specHash(...args);

describe('specHash', () => {
  it('ignores the order of keys, which DynamoDB does not keep', () => {
    const a = record({ poolName: 'p', body: { name: 'nb', flavor: 'x', endpoints: [{ key_pair_names: ['k'], service: 'SSH' }] } });
    const b = record({ body: { endpoints: [{ service: 'SSH', key_pair_names: ['k'] }], flavor: 'x', name: 'nb' }, poolName: 'p' });
    expect(hash(a)).toBe(hash(b));
  });

  it('changes with the body, the targeting and the region, and keeps array order significant', () => {
    const base = hash(record({ body: { name: 'nb', tags: ['a', 'b'] } }));
    expect(hash(record({ body: { name: 'nb', tags: ['b', 'a'] } }))).not.toBe(base);
    expect(hash(record({ body: { name: 'nb', tags: ['a', 'b'] }, poolRef: 'pool' }))).not.toBe(base);
    expect(hash(record({ body: { name: 'nb', tags: ['a', 'b'] } }, 'cn-east-3'))).not.toBe(base);
  });

  it('ignores fields that are not part of the spec it compares', () => {
    expect(hash(record({ body: { name: 'nb' }, timeoutMinutes: 5 }))).toBe(hash(record({ body: { name: 'nb' }, timeoutMinutes: 50 })));
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves arrays and scalars alone', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });
});

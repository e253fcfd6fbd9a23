import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { checkReferences, validateSource } from '../../shared/manifests/validate';

const doc = (lines: string) => validateSource(lines, 'm.yaml')[0]!;

describe('manifest envelope', () => {
  it('requires apiVersion and names the expected value', () => {
    const result = doc('apiVersion: hwc-provisioner/v2\nkind: ResourcePool\nmetadata: {name: p}\nspec: {body: {}}\n');
    expect(result.errors).toContainEqual({ path: 'apiVersion', message: 'must be hwc-provisioner/v1', line: 1, column: 13 });
  });

  it('rejects an unknown kind with a suggestion', () => {
    const result = doc('apiVersion: hwc-provisioner/v1\nkind: notebook\nmetadata: {name: n}\nspec: {body: {}}\n');
    expect(result.errors).toEqual([
      expect.objectContaining({ path: 'kind', message: expect.stringContaining('did you mean "Notebook"'), line: 2, column: 7 }),
    ]);
  });

  it.each([
    ['a', true],
    ['team-a-dev', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['1abc', false],
    ['abc-', false],
    ['Abc', false],
    ['a_b', false],
  ])('metadata.name %s valid=%s', (name, valid) => {
    const result = doc(`apiVersion: hwc-provisioner/v1\nkind: ResourcePool\nmetadata: {name: "${name}"}\nspec: {body: {}}\n`);
    const nameErrors = result.errors.filter((e) => e.path === 'metadata.name');
    expect(nameErrors.length === 0).toBe(valid);
  });

  it('rejects unknown envelope fields at the holding object with did-you-mean', () => {
    const result = doc('apiVersion: hwc-provisioner/v1\nkind: ResourcePool\nmetadata:\n  name: p\n  lables: {}\nspec: {body: {}}\n');
    expect(result.errors).toContainEqual({
      path: 'metadata',
      message: 'unknown field "lables"; did you mean "labels"?',
      line: 5,
      column: 3,
    });
  });

  it('keeps kind-specific spec fields to their kind', () => {
    const result = doc('apiVersion: hwc-provisioner/v1\nkind: ResourcePool\nmetadata: {name: p}\nspec: {poolName: x, body: {}}\n');
    expect(result.errors).toContainEqual(
      expect.objectContaining({ path: 'spec', message: expect.stringContaining('unknown field "poolName"') }),
    );
  });

  it('requires a NodePool target: poolName or poolRef, not both', () => {
    const base = parse(readFileSync('examples/node-pool.yaml', 'utf8')) as { spec: Record<string, unknown> };
    const withSpec = (spec: Record<string, unknown>) => doc(stringify({ ...base, spec: { ...spec, body: base.spec.body } }));
    expect(withSpec({ poolName: 'pool-test1202-06024304be00d5092fbdc0013d201342' }).valid).toBe(true);
    expect(withSpec({ poolRef: 'gpu-pool' }).valid).toBe(true);
    expect(withSpec({}).errors).toEqual([
      expect.objectContaining({ path: 'spec.poolName', message: expect.stringContaining('is required') }),
    ]);
    expect(withSpec({ poolName: 'pool-test1202-06024304be00d5092fbdc0013d201342', poolRef: 'b' }).errors).toEqual([
      expect.objectContaining({ path: 'spec.poolRef', message: expect.stringContaining('not both') }),
    ]);
  });

  it('lets a Notebook take its pool from poolRef or body.pool_id, not both', () => {
    const base = parse(readFileSync('examples/notebook.yaml', 'utf8')) as { spec: { body: Record<string, unknown> } };
    const body = { ...base.spec.body, pool_id: 'pool-1' };
    expect(doc(stringify({ ...base, spec: { poolRef: 'gpu-pool', body } })).errors).toEqual([
      expect.objectContaining({ path: 'spec.poolRef', message: 'set either spec.poolRef or spec.body.pool_id, not both' }),
    ]);
  });

  it('bounds timeoutMinutes', () => {
    const result = doc('apiVersion: hwc-provisioner/v1\nkind: ResourcePool\nmetadata: {name: p}\nspec: {timeoutMinutes: 0, body: {}}\n');
    expect(result.errors).toContainEqual(expect.objectContaining({ path: 'spec.timeoutMinutes', message: 'must be between 1 and 1440' }));
  });

  it('requires a mapping document', () => {
    expect(doc('- a\n- b\n').errors[0]!.message).toMatch(/must be a mapping/);
    expect(doc('just text').valid).toBe(false);
  });

  it('warns, without failing, about a poolRef naming no pool in the documents given', () => {
    const documents = validateSource(readFileSync('examples/resource-pool.yaml', 'utf8'), 'a.yaml');
    expect(documents[0]!.valid).toBe(true);
    // A hand-built valid document stands in for a NodePool so the check is independent of the body schemas.
    const nodePool = {
      file: 'b.yaml',
      index: 0,
      valid: true,
      errors: [],
      warnings: [],
      positionOf: () => ({ line: 7, column: 12 }),
      manifest: { kind: 'NodePool', metadata: { name: 'np' }, spec: { poolRef: 'other' } },
    } as never;
    const refsPool = {
      file: 'c.yaml',
      index: 0,
      valid: true,
      errors: [],
      warnings: [],
      manifest: { kind: 'NodePool', metadata: { name: 'np2' }, spec: { poolRef: documents[0]!.name } },
    } as never;
    const all = [...documents, nodePool, refsPool];
    checkReferences(all);
    expect((nodePool as { warnings: unknown[] }).warnings).toEqual([
      { path: 'spec.poolRef', message: expect.stringContaining('no ResourcePool named "other"'), line: 7, column: 12 },
    ]);
    expect((refsPool as { warnings: unknown[] }).warnings).toEqual([]);
  });
});

describe('EdgeDeployment platinum-only fields', () => {
  it('require spec.iefInstanceId', () => {
    const base = parse(readFileSync('examples/edge-deployment.yaml', 'utf8')) as {
      spec: { body: { deployment: { template: Record<string, unknown> } } };
    };
    const body = structuredClone(base.spec.body);
    body.deployment.template.affinity = {};
    const result = validateSource(stringify({ ...base, spec: { body } }), 'e.yaml')[0]!;
    expect(result.errors).toEqual([
      expect.objectContaining({
        path: 'spec.body.deployment.template.affinity',
        message: 'needs an IEF Platinum instance: set spec.iefInstanceId',
      }),
    ]);
    const withInstance = validateSource(
      stringify({ ...base, spec: { iefInstanceId: 'db953bf7-9f6c-4e90-9963-0a4453df72ba', body } }),
      'e.yaml',
    )[0]!;
    expect(withInstance.valid).toBe(true);
  });
});

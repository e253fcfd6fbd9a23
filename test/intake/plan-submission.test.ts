import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { planSubmission } from '../../shared/manifests/submission';

const DEFAULTS = { projectId: '0123456789abcdef0123456789abcdef', region: 'cn-north-4' };
const docs = () => parseAllDocuments(readFileSync('examples/all-kinds.yaml', 'utf8')).map((d) => d.toJS() as Record<string, any>);
const source = (all: Record<string, any>[]) => [{ file: 'all.yaml', text: all.map((d) => stringify(d)).join('---\n') }];

describe('planSubmission: references across documents', () => {
  it('plans every resource of the four-kind example', () => {
    const { documents, planned } = planSubmission(source(docs()), DEFAULTS);
    expect(documents.every((d) => d.valid)).toBe(true);
    expect(planned.map((p) => p.manifest.kind)).toEqual(['ResourcePool', 'NodePool', 'Notebook', 'EdgeDeployment']);
  });

  it('rejects a poolRef to a pool of the request in another project, with the position of spec.poolRef', () => {
    const all = docs();
    const nodePool = all.find((d) => d.kind === 'NodePool')!;
    nodePool.spec.projectId = 'fedcba9876543210fedcba9876543210';
    const { documents, planned } = planSubmission(source(all), DEFAULTS);
    const rejected = documents.find((d) => d.kind === 'NodePool')!;
    expect(rejected.valid).toBe(false);
    expect(rejected.errors).toEqual([
      expect.objectContaining({
        path: 'spec.poolRef',
        message: expect.stringContaining(
          'names ResourcePool train-pool, which this request creates in project 0123456789abcdef0123456789abcdef, cn-north-4',
        ),
        line: expect.any(Number),
      }),
    ]);
    expect(rejected.errors[0]!.line).toBeGreaterThan(1);
    expect(planned.map((p) => p.manifest.kind)).not.toContain('NodePool');
  });

  it('rejects a poolRef to a pool of the request in another region', () => {
    const all = docs();
    all.find((d) => d.kind === 'Notebook')!.spec.region = 'cn-east-3';
    const { documents } = planSubmission(source(all), DEFAULTS);
    expect(documents.find((d) => d.kind === 'Notebook')!.errors[0]!.message).toMatch(
      /this Notebook is in project 0123456789abcdef0123456789abcdef, cn-east-3/,
    );
  });
});

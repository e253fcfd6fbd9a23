/**
 * The examples are submitted side by side (the Quickstart posts all-kinds.yaml, the fake repository holds
 * every file), so no two of them may declare one identity with different specs: the second would be
 * answered Queued and then refused as an update.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { validateSource, type ValidatedDocument } from '../shared/manifests/validate';

const EXAMPLES = 'examples';

/** Where a manifest lands: without spec.projectId or spec.region it takes the deployment's. */
const DEFAULT = '(deployment default)';

interface Declared {
  where: string;
  identity: string;
  spec: unknown;
}

function declared(documents: ValidatedDocument[]): Declared[] {
  return documents.map((doc) => {
    const manifest = doc.manifest!;
    const spec = manifest.spec as { projectId?: string; region?: string };
    return {
      where: `${doc.file}#${doc.index}`,
      identity: [manifest.kind, manifest.metadata.name, spec.projectId ?? DEFAULT, spec.region ?? DEFAULT].join(' '),
      spec: manifest.spec,
    };
  });
}

/** Pairs of documents with one (kind, name, project, region) and different specs. */
function collisions(documents: ValidatedDocument[]): string[] {
  const first = new Map<string, Declared>();
  const found: string[] = [];
  for (const doc of declared(documents)) {
    const earlier = first.get(doc.identity);
    if (!earlier) first.set(doc.identity, doc);
    else if (!isDeepStrictEqual(earlier.spec, doc.spec)) found.push(`${doc.identity}: ${earlier.where} and ${doc.where} differ`);
  }
  return found;
}

function load(file: string): ValidatedDocument[] {
  return validateSource(readFileSync(file, 'utf8'), file);
}

const files = readdirSync(EXAMPLES)
  .filter((name) => /\.(ya?ml|json)$/.test(name))
  .sort()
  .map((name) => join(EXAMPLES, name));

describe('examples/', () => {
  it('holds only valid manifests, without warnings', () => {
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) {
      const documents = load(file);
      expect(documents.length, file).toBeGreaterThan(0);
      for (const doc of documents) {
        expect({ where: `${file}#${doc.index}`, errors: doc.errors, warnings: doc.warnings }).toEqual({
          where: `${file}#${doc.index}`,
          errors: [],
          warnings: [],
        });
      }
    }
  });

  it('never declares one identity with two different specs', () => {
    expect(collisions(files.flatMap(load))).toEqual([]);
  });

  it('allows the same identity with the same spec (all-kinds.yaml repeats resource-pool.yaml and edge-deployment.yaml)', () => {
    const documents = files.flatMap(load);
    const identities = declared(documents).map((d) => d.identity);
    expect(identities.filter((id, i) => identities.indexOf(id) !== i).length).toBeGreaterThan(0);
  });

  it('would catch a collision: a copy of notebook.yaml with another flavor', () => {
    const notebook = readFileSync(join(EXAMPLES, 'notebook.yaml'), 'utf8');
    const changed = notebook.replace('flavor: modelarts.vm.cpu.2u', 'flavor: modelarts.vm.cpu.8u');
    expect(changed).not.toBe(notebook);
    const [found] = collisions([...validateSource(notebook, 'a.yaml'), ...validateSource(changed, 'b.yaml')]);
    expect(found).toMatch(/^Notebook notebooks-test \(deployment default\) \(deployment default\): a\.yaml#0 and b\.yaml#0 differ$/);
  });

  it('tells identities apart by project and region', () => {
    const notebook = readFileSync(join(EXAMPLES, 'notebook.yaml'), 'utf8');
    const elsewhere = notebook
      .replace('flavor: modelarts.vm.cpu.2u', 'flavor: modelarts.vm.cpu.8u')
      .replace(/^spec:\n/m, 'spec:\n  region: cn-east-3\n');
    const documents = [...validateSource(notebook, 'a.yaml'), ...validateSource(elsewhere, 'b.yaml')];
    expect(documents.every((d) => d.valid)).toBe(true);
    expect(collisions(documents)).toEqual([]);
  });
});

/** spec.updatePolicy and metadata.deletionPolicy: accepted in every kind's manifest, precise errors, and not part of the desired state. */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { adapterOf, KINDS } from '../../shared/kinds/registry';
import { validateSource } from '../../shared/manifests/validate';

const kebab = (kind: string) => kind.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
/** The first manifest of the kind's example file, with `edit` applied. */
function example(kind: string, edit: (m: any) => void) {
  const manifest = parse(readFileSync(`examples/${kebab(kind)}.yaml`, 'utf8').split(/^---$/m)[0]!);
  edit(manifest);
  return validateSource(stringify(manifest), 'm.yaml')[0]!;
}

describe.each(KINDS)('%s', (kind) => {
  it('accepts updatePolicy InPlace or Recreate and deletionPolicy Orphan or Delete, both optional', () => {
    expect(example(kind, () => {}).errors).toEqual([]);
    for (const updatePolicy of ['InPlace', 'Recreate']) {
      for (const deletionPolicy of ['Orphan', 'Delete']) {
        const result = example(kind, (m) => ((m.spec.updatePolicy = updatePolicy), (m.metadata.deletionPolicy = deletionPolicy)));
        expect(result.errors).toEqual([]);
      }
    }
  });

  it('names the allowed values for anything else', () => {
    const result = example(kind, (m) => ((m.spec.updatePolicy = 'recreate'), (m.metadata.deletionPolicy = 'Retain')));
    expect(result.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'spec.updatePolicy', message: 'must be "InPlace" (the default) or "Recreate"' }),
        expect.objectContaining({ path: 'metadata.deletionPolicy', message: 'must be "Orphan" (the default) or "Delete"' }),
      ]),
    );
  });

  it('leaves updatePolicy out of the desired state: switching it is no change', () => {
    const body = { name: 'x' };
    const adapter = adapterOf(kind);
    expect(adapter.desired({ body, updatePolicy: 'Recreate' })).toEqual(adapter.desired({ body }));
    expect(adapter.changes({ body }, { body, updatePolicy: 'Recreate' })).toEqual([]);
  });

  it('has update and delete timeouts', () => {
    const { updateTimeoutMinutes, deleteTimeoutMinutes } = adapterOf(kind).timing;
    expect(updateTimeoutMinutes).toBeGreaterThan(0);
    expect(deleteTimeoutMinutes).toBeGreaterThan(0);
  });
});

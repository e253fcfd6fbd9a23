/**
 * Every function bundles the registry, and most of them never validate a manifest: loading it must build no
 * kind's schemas (that was a large share of every cold start), and asking for one kind builds that kind's only.
 */
import { describe, expect, it, vi } from 'vitest';

const built = vi.hoisted(() => ({ strict: 0 }));

vi.mock('../../shared/manifests/zod-helpers', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/manifests/zod-helpers')>();
  return {
    ...original,
    strict: ((shape) => {
      built.strict++;
      return original.strict(shape);
    }) as typeof original.strict,
  };
});

describe('manifest schemas are built on first use', () => {
  it('loading the registry builds none; one kind builds only its own, once', async () => {
    const { KINDS, MANIFEST_SCHEMAS } = await import('../../shared/kinds/registry');
    await import('../../shared/manifests/validate');
    expect(built.strict).toBe(0);

    const first = KINDS[0];
    const second = KINDS.find((kind) => kind !== first)!;
    const schema = MANIFEST_SCHEMAS[first];
    const afterFirst = built.strict;
    expect(afterFirst).toBeGreaterThan(0);
    expect(MANIFEST_SCHEMAS[first]).toBe(schema);
    expect(built.strict).toBe(afterFirst);

    void MANIFEST_SCHEMAS[second];
    expect(built.strict).toBeGreaterThan(afterFirst);
  });
});

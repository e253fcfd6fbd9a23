/**
 * The published JSON Schemas document themselves: editors show a property's description on hover, and
 * `hwc-provisioner explain` prints it, so a property without one is a gap in the documentation.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { render, SCHEMA_FILES } from '../../scripts/write-schemas';

type Schema = Record<string, unknown>;

/**
 * Every property reachable from `root`, with whether it has a non-empty description. Follows $ref into
 * definitions/$defs, list items, unions and the schemas of map values, so nested and shared objects count.
 */
function properties(root: Schema): { path: string; described: boolean }[] {
  const found: { path: string; described: boolean }[] = [];
  const seen = new Set<unknown>();
  const resolve = (ref: string): unknown =>
    ref
      .replace(/^#\/?/, '')
      .split('/')
      .filter(Boolean)
      .reduce<unknown>((node, key) => (node as Schema | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], root);
  const visit = (node: unknown, path: string): void => {
    if (!node || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    const schema = node as Schema;
    if (typeof schema.$ref === 'string') visit(resolve(schema.$ref), path);
    for (const [name, child] of Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {})) {
      const description = (child as Schema).description;
      found.push({ path: `${path}.${name}`, described: typeof description === 'string' && description.trim() !== '' });
      visit(child, `${path}.${name}`);
    }
    if (Array.isArray(schema.items)) for (const [i, item] of schema.items.entries()) visit(item, `${path}[${i}]`);
    else visit(schema.items, `${path}[]`);
    visit(schema.additionalProperties, `${path}{}`);
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      for (const [i, option] of ((schema[key] as unknown[] | undefined) ?? []).entries()) visit(option, `${path}<${key} ${i}>`);
    }
    for (const key of ['definitions', '$defs'] as const) {
      for (const [name, def] of Object.entries((schema[key] as Record<string, unknown> | undefined) ?? {})) visit(def, `#/${key}/${name}`);
    }
  };
  visit(root, '');
  return found;
}

const undescribed = (file: string) =>
  properties(JSON.parse(readFileSync(file, 'utf8')) as Schema)
    .filter((p) => !p.described)
    .map((p) => p.path);

describe('the property walker', () => {
  const schema: Schema = {
    $defs: { Shared: { type: 'object', properties: { viaDefs: { type: 'string' } } } },
    type: 'object',
    properties: {
      ref: { $ref: '#/$defs/Shared', description: 'd' },
      list: { type: 'array', description: 'd', items: { type: 'object', properties: { inItems: { type: 'string' } } } },
      map: { type: 'object', description: 'd', additionalProperties: { type: 'object', properties: { inMapValues: { type: 'string' } } } },
      either: { description: 'd', anyOf: [{ type: 'object', properties: { inAnyOf: { type: 'string' } } }] },
      one: { description: 'd', oneOf: [{ type: 'object', properties: { inOneOf: { type: 'string', description: ' ' } } }] },
      all: { description: 'd', allOf: [{ type: 'object', properties: { inAllOf: { type: 'string', description: 'fine' } } }] },
    },
  };

  it('finds properties behind $ref, items, map values and unions, and treats blank descriptions as missing', () => {
    const missing = properties(schema)
      .filter((p) => !p.described)
      .map((p) => p.path.split('.').at(-1));
    expect(missing.sort()).toEqual(['inAnyOf', 'inItems', 'inMapValues', 'inOneOf', 'viaDefs']);
  });
});

describe('descriptions in the published schemas', () => {
  it('describes every property of every kind in schemas/manifest.schema.json', () => {
    const all = properties(JSON.parse(readFileSync('schemas/manifest.schema.json', 'utf8')) as Schema);
    // Four envelopes and their bodies: far more than the envelope alone, so the walk did reach the bodies.
    expect(all.length).toBeGreaterThan(350);
    expect(undescribed('schemas/manifest.schema.json')).toEqual([]);
  });

  it('describes every property of schemas/intake-message.schema.json', () => {
    const all = properties(JSON.parse(readFileSync('schemas/intake-message.schema.json', 'utf8')) as Schema).map((p) => p.path);
    expect(all).toEqual(['.manifests', '.source', '.source.system', '.source.reference', '.idempotencyKey']);
    expect(undescribed('schemas/intake-message.schema.json')).toEqual([]);
  });

  it('ships schemas/intake-message.schema.json as the generator writes it (run npm run schemas after a change)', () => {
    const build = SCHEMA_FILES['schemas/intake-message.schema.json'];
    expect(build, 'scripts/write-schemas.ts must generate the intake message schema').toBeDefined();
    expect(readFileSync('schemas/intake-message.schema.json', 'utf8')).toBe(render(build!()));
  });

  it('takes the descriptions from the zod schemas, so validation and documentation cannot drift apart', () => {
    const manifest = JSON.parse(render(SCHEMA_FILES['schemas/manifest.schema.json']!())) as { oneOf: Schema[] };
    const notebook = manifest.oneOf.find((k) => (k.properties as Record<string, Schema>).kind!.const === 'Notebook')!;
    const body = ((notebook.properties as Record<string, Schema>).spec!.properties as Record<string, Schema>).body!;
    const flavor = (body.properties as Record<string, Schema>).flavor!;
    expect(flavor.description).toMatch(/flavor/i);
    // body.name defaults to metadata.name, so the schema must not demand it.
    expect(body.required).not.toContain('name');
  });
});

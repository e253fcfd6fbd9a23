import { describe, expect, it } from 'vitest';
import { MAX_SOURCE_BYTES, parseSource } from '../../shared/manifests/parse';

describe('parseSource', () => {
  it('splits multi-document sources and keeps positions', () => {
    const docs = parseSource('a: 1\n---\nb:\n  c: [1, 2]\n');
    expect(docs).toHaveLength(2);
    expect(docs[1]!.data).toEqual({ b: { c: [1, 2] } });
    expect(docs[1]!.positionOf(['b', 'c', 1])).toEqual({ line: 4, column: 10 });
  });

  it('falls back to the closest existing ancestor for a missing path', () => {
    const [doc] = parseSource('spec:\n  body:\n    x: 1\n');
    expect(doc!.positionOf(['spec', 'body', 'missing'])).toEqual({ line: 3, column: 5 });
  });

  it('uses the YAML 1.2 core schema: yes/no/on stay strings', () => {
    const [doc] = parseSource('a: yes\nb: on\nc: 0x10\n');
    expect(doc!.data).toEqual({ a: 'yes', b: 'on', c: 16 });
  });

  it('rejects duplicate keys with their position', () => {
    const [doc] = parseSource('a: 1\na: 2\n');
    expect(doc!.problems[0]!.message).toMatch(/unique/i);
    expect(doc!.problems[0]!.position.line).toBe(2);
  });

  it('stops alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10)
          .fill(`*${'abcdefgh'[i - 1]}`)
          .join(', ')}]`,
      );
    const [doc] = parseSource(bomb.join('\n'));
    expect(doc!.data).toBeUndefined();
    expect(doc!.problems[0]!.message).toMatch(/alias/);
  });

  it('rejects __proto__ keys at any depth and never pollutes prototypes', () => {
    const [doc] = parseSource('spec:\n  body:\n    __proto__:\n      polluted: true\n');
    expect(doc!.problems[0]).toMatchObject({
      path: ['spec', 'body'],
      message: 'key "__proto__" is not allowed',
      position: { line: 3, column: 5 },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects null and missing keys, which would become an empty key (no DynamoDB map can hold one)', () => {
    for (const source of ['labels:\n  ~: x\n', 'labels:\n  null: x\n', 'labels: {: x}\n', 'labels:\n  ? \n  : x\n']) {
      const [doc] = parseSource(source);
      expect(doc!.data).toBeUndefined();
      expect(doc!.problems).toEqual([expect.objectContaining({ path: ['labels'], message: 'empty keys are not allowed' })]);
    }
  });

  it('rejects lists and mappings used as keys instead of turning them into strings', () => {
    for (const source of ['labels:\n  ? [a, b]\n  : x\n', 'labels:\n  ? {a: 1}\n  : x\n']) {
      const [doc] = parseSource(source);
      expect(doc!.data).toBeUndefined();
      expect(doc!.problems).toEqual([
        expect.objectContaining({
          path: ['labels'],
          message: 'keys must be strings or numbers, not lists or mappings',
          position: { line: 2, column: 5 },
        }),
      ]);
    }
  });

  it('keeps keys named like Object.prototype members as plain own data', () => {
    const [doc] = parseSource('labels:\n  constructor: a\n  toString: b\n  hasOwnProperty: c\n  __defineGetter__: d\n');
    expect(doc!.problems).toEqual([]);
    const labels = (doc!.data as { labels: Record<string, unknown> }).labels;
    expect(Object.keys(labels)).toEqual(['constructor', 'toString', 'hasOwnProperty', '__defineGetter__']);
    expect(labels.constructor).toBe('a');
  });

  it('rejects a source over the byte cap before parsing', () => {
    const [doc] = parseSource(`a: "${'x'.repeat(MAX_SOURCE_BYTES)}"`);
    expect(doc!.problems[0]!.message).toMatch(/limit is 1048576 bytes/);
  });

  it('marks comment-only documents as empty', () => {
    const docs = parseSource('a: 1\n---\n# nothing here\n');
    expect(docs.map((d) => d.empty)).toEqual([false, true]);
    expect(parseSource('')).toEqual([]);
  });

  it('reports syntax errors with a position', () => {
    const [doc] = parseSource('a: [1, 2\nb: 3\n');
    expect(doc!.problems.length).toBeGreaterThan(0);
    expect(doc!.problems[0]!.position.line).toBeGreaterThanOrEqual(1);
  });
});

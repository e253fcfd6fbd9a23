/** YAML/JSON parsing with source positions and the guards hostile input needs (size, aliases, prototype keys). */
import { Composer, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Parser, type CST, type Document, type Node } from 'yaml';
import { MAX_SOURCE_BYTES } from './limits';

export { MAX_SOURCE_BYTES };

/** Aliases expand on conversion; a small bound defeats "billion laughs" while allowing normal anchors reuse. */
const MAX_ALIAS_COUNT = 100;
/**
 * Nesting deeper than this is rejected before anything walks the tree recursively: a few KB of `[[[[` would
 * otherwise exhaust the stack (which V8 can turn into a fatal out-of-memory crash in its regexp compiler).
 * Manifests nest about ten levels; DynamoDB stores at most 32.
 */
const MAX_NESTING_DEPTH = 24;
/** More documents than any request needs; each costs parsing and an error entry. */
export const MAX_DOCUMENTS = 500;
/**
 * Keys that would reach Object.prototype in naive consumers downstream. Other Object.prototype member names
 * (constructor, toString, ...) are ordinary keys: they become own data properties, and the store marshals
 * manifests so that any key is stored as written (marshallable in shared/store/requests.ts).
 */
const FORBIDDEN_KEYS = new Set(['__proto__']);

interface Position {
  line: number;
  column: number;
}

export interface ParsedDocument {
  index: number;
  /** The plain data, or undefined when the document could not be parsed. */
  data: unknown;
  /** Parse-level problems (syntax, duplicate keys, alias bombs, forbidden keys). */
  problems: { path: (string | number)[]; message: string; position: Position }[];
  /** Position of the node at `path`, or of its closest existing ancestor. */
  positionOf(path: readonly PropertyKey[], opts?: { key?: string }): Position;
  /** True when the document holds nothing but comments or whitespace. */
  empty: boolean;
}

export function parseSource(source: string): ParsedDocument[] {
  const lineCounter = new LineCounter();
  const toPosition = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(Math.max(0, Math.min(offset, source.length)));
    return { line, column: col };
  };

  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_SOURCE_BYTES) {
    return [
      {
        index: 0,
        data: undefined,
        empty: false,
        problems: [
          {
            path: [],
            message: `source is ${bytes} bytes; the limit is ${MAX_SOURCE_BYTES} bytes (1 MiB)`,
            position: { line: 1, column: 1 },
          },
        ],
        positionOf: () => ({ line: 1, column: 1 }),
      },
    ];
  }

  // parseAllDocuments in two steps, so nesting is checked between the (iterative) parser and the (recursive) composer.
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(source));
  const tooDeep = cstTooDeep(tokens);
  if (tooDeep !== undefined) {
    const position = toPosition(tooDeep);
    return [
      {
        index: 0,
        data: undefined,
        empty: false,
        problems: [{ path: [], message: `nesting is deeper than ${MAX_NESTING_DEPTH} levels`, position }],
        positionOf: () => position,
      },
    ];
  }
  const documentCount = tokens.filter((token) => token.type === 'document').length;
  if (documentCount > MAX_DOCUMENTS) {
    return [
      {
        index: 0,
        data: undefined,
        empty: false,
        problems: [
          { path: [], message: `source holds ${documentCount} documents; the limit is ${MAX_DOCUMENTS}`, position: { line: 1, column: 1 } },
        ],
        positionOf: () => ({ line: 1, column: 1 }),
      },
    ];
  }

  const list = Array.from(
    new Composer({ version: '1.2', schema: 'core', uniqueKeys: true, strict: true }).compose(tokens),
  ) as Document.Parsed[];
  return list.map((doc, index) => {
    const problems: ParsedDocument['problems'] = [];
    for (const error of doc.errors) {
      problems.push({ path: [], message: firstLine(error.message), position: toPosition(error.pos[0]) });
    }
    const positionOf = (path: readonly PropertyKey[], opts: { key?: string } = {}) =>
      toPosition(offsetOf(doc, path, opts.key) ?? doc.contents?.range?.[0] ?? 0);

    if (problems.length === 0) findForbiddenKeys(doc.contents, [], problems, toPosition, doc);

    let data: unknown;
    if (problems.length === 0) {
      try {
        data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (error) {
        const message =
          error instanceof Error && /alias/i.test(error.message)
            ? `too many alias expansions (more than ${MAX_ALIAS_COUNT}); anchors and aliases cannot be used to inflate a manifest`
            : `cannot read document: ${error instanceof Error ? firstLine(error.message) : String(error)}`;
        problems.push({ path: [], message, position: toPosition(doc.range[0]) });
      }
    }
    const empty =
      problems.length === 0 &&
      (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && doc.contents.source === ''));
    return { index, data, problems, positionOf, empty };
  });
}

/** Offset of the first collection nested deeper than MAX_NESTING_DEPTH in the parser's tokens, found without recursion. */
function cstTooDeep(tokens: readonly CST.Token[]): number | undefined {
  const stack: { token: CST.Token | undefined; depth: number }[] = tokens.map((token) => ({ token, depth: 0 }));
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    if (!token) continue;
    if (token.type === 'document') {
      stack.push({ token: token.value, depth });
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth >= MAX_NESTING_DEPTH) return token.offset;
      for (const item of token.items) {
        stack.push({ token: item.value, depth: depth + 1 });
        if ('key' in item) stack.push({ token: item.key ?? undefined, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function keyOf(pairKey: unknown): unknown {
  return isScalar(pairKey) ? pairKey.value : pairKey;
}

/**
 * Keys the data could not hold as written: __proto__, an empty or null key (toJS makes both ""; it means
 * nothing to Huawei's APIs and DynamoDB cannot store it), and a list or mapping as a key (toJS would turn it
 * into a string). An alias as a key stands for what it names.
 */
function keyProblem(key: unknown, doc: Document.Parsed): string | undefined {
  const node = isAlias(key) ? key.resolve(doc) : key;
  if (node === null || node === undefined) return 'empty keys are not allowed';
  if (!isScalar(node)) return 'keys must be strings or numbers, not lists or mappings';
  if (node.value === null || node.value === '') return 'empty keys are not allowed';
  if (typeof node.value === 'string' && FORBIDDEN_KEYS.has(node.value)) return `key "${node.value}" is not allowed`;
  return undefined;
}

function findForbiddenKeys(
  node: unknown,
  path: (string | number)[],
  problems: ParsedDocument['problems'],
  toPosition: (offset: number) => Position,
  doc: Document.Parsed,
): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const problem = keyProblem(pair.key, doc);
      if (problem !== undefined) {
        const at = (pair.key as Node | null)?.range?.[0] ?? (pair.value as Node | null)?.range?.[0] ?? node.range?.[0] ?? 0;
        problems.push({ path, message: problem, position: toPosition(at) });
        continue;
      }
      const key = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
      findForbiddenKeys(pair.value, [...path, String(keyOf(key))], problems, toPosition, doc);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      findForbiddenKeys(item, [...path, i], problems, toPosition, doc);
    });
  }
}

/** Offset of the node at `path` (or of `key` inside it), falling back to the deepest ancestor that exists. */
function offsetOf(doc: Document.Parsed, path: readonly PropertyKey[], key?: string): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const segment of path) {
    let next: unknown;
    if (isMap(node)) {
      next = node.items.find((pair) => isPair(pair) && String(keyOf(pair.key)) === String(segment))?.value;
    } else if (isSeq(node)) {
      next = node.items[Number(segment)];
    }
    if (!next || !(next as Node).range) return offset;
    node = next;
    offset = (node as Node).range![0];
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => String(keyOf(p.key)) === key);
    if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
  }
  return offset;
}

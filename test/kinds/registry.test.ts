/**
 * The kind enumeration: the registry is the only list of kinds. Code outside shared/kinds/ learns them from
 * it, so adding a kind is a folder, a registry line and simulator routes; a module elsewhere that names a
 * kind is a place the next kind would be forgotten. Each kind in the registry has its folder, a manifest
 * schema for that kind, and simulator routes for every call its adapter makes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { HuaweiCall, HuaweiTransport } from '../../shared/huaweicloud/client';
import type { AdapterResource } from '../../shared/kinds/adapter';
import { adapterOf, KINDS, MANIFEST_SCHEMAS } from '../../shared/kinds/registry';
import { deploymentExample, nodePoolExample, notebookExample, poolExample } from './request-examples';

const ROOT = join(import.meta.dirname, '..', '..');
const SCANNED = ['shared', 'functions', 'cli'];
const KINDS_DIR = 'shared/kinds/';
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

const kebab = (kind: string) => kind.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return SOURCE.test(entry.name) ? [path] : [];
  });
}

interface Token {
  kind: ts.SyntaxKind;
  /** The token as written, for the report. */
  text: string;
  /** The identifier's name or the string's cooked text. */
  value: string;
  start: number;
}

/* After these a `/` divides; after anything else it starts a regular expression. */
const ENDS_OPERAND = new Set([
  ts.SyntaxKind.Identifier,
  ts.SyntaxKind.PrivateIdentifier,
  ts.SyntaxKind.ThisKeyword,
  ts.SyntaxKind.SuperKeyword,
  ts.SyntaxKind.TrueKeyword,
  ts.SyntaxKind.FalseKeyword,
  ts.SyntaxKind.NullKeyword,
  ts.SyntaxKind.NumericLiteral,
  ts.SyntaxKind.BigIntLiteral,
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateTail,
  ts.SyntaxKind.RegularExpressionLiteral,
  ts.SyntaxKind.CloseParenToken,
  ts.SyntaxKind.CloseBracketToken,
  ts.SyntaxKind.CloseBraceToken,
  ts.SyntaxKind.PlusPlusToken,
  ts.SyntaxKind.MinusMinusToken,
]);

/**
 * The file's tokens, comments skipped. The scanner alone cannot tell a `}` that closes a template
 * substitution from one that closes a block, nor a regular expression from a division: both depend on
 * context the parser normally supplies, so they are rescanned here from a brace stack and the token before.
 */
function tokensOf(text: string): Token[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  const braces: ('block' | 'template')[] = [];
  const tokens: Token[] = [];
  let previous: ts.SyntaxKind | undefined;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.OpenBraceToken) braces.push('block');
    else if (kind === ts.SyntaxKind.TemplateHead) braces.push('template');
    else if (kind === ts.SyntaxKind.CloseBraceToken) {
      if (braces.at(-1) === 'template') {
        kind = scanner.reScanTemplateToken(false);
        if (kind === ts.SyntaxKind.TemplateTail) braces.pop();
      } else braces.pop();
    } else if (
      (kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) &&
      (previous === undefined || !ENDS_OPERAND.has(previous))
    ) {
      kind = scanner.reScanSlashToken();
    }
    tokens.push({ kind, text: scanner.getTokenText(), value: scanner.getTokenValue(), start: scanner.getTokenStart() });
    previous = kind;
  }
  return tokens;
}

const TEXT_TOKENS = new Set([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateHead,
  ts.SyntaxKind.TemplateMiddle,
  ts.SyntaxKind.TemplateTail,
  ts.SyntaxKind.RegularExpressionLiteral,
]);
const NAME_TOKENS = new Set([ts.SyntaxKind.Identifier, ts.SyntaxKind.PrivateIdentifier]);

const wholeWord = (kind: string) => new RegExp(`(?<![A-Za-z0-9_])${kind}(?![A-Za-z0-9_])`);
// An import of a kind's own folder names the kind as surely as its name does.
const folderImport = (kind: string) => new RegExp(`(^|/)kinds/${kebab(kind)}(/|$)`);

/** Where in the token's source text it names a kind, or -1. */
function kindNamedAt(token: Token): number {
  if (TEXT_TOKENS.has(token.kind)) {
    // A regular expression's value is its source; a string's is its cooked text, which the match is tested on.
    const value = token.kind === ts.SyntaxKind.RegularExpressionLiteral ? token.text : token.value;
    const kind = KINDS.find((k) => wholeWord(k).test(value) || folderImport(k).test(value));
    if (kind === undefined) return -1;
    return Math.max(0, token.text.search(wholeWord(kind)), token.text.search(folderImport(kind)));
  }
  if (NAME_TOKENS.has(token.kind)) {
    // In any case and with or without underscores: notebookStatus, NOTEBOOK_MARKER, KIND_POLICY.Notebook.
    const name = token.value.replace(/_/g, '').toLowerCase();
    return KINDS.some((kind) => name.includes(kind.toLowerCase())) ? 0 : -1;
  }
  return -1;
}

const clip = (text: string) => (text.length > 100 ? `${text.slice(0, 99)}…` : text);

function offendersIn(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  // The line breaks the scanner counts, so a line number indexes the same lines.
  const lines = text.split(/\r\n|[\n\r\u2028\u2029]/);
  const starts = [0, ...[...text.matchAll(/\r\n|[\n\r\u2028\u2029]/g)].map((m) => m.index + m[0].length)];
  return tokensOf(text).flatMap((token) => {
    const at = kindNamedAt(token);
    if (at < 0) return [];
    const line = starts.findLastIndex((start) => start <= token.start + at);
    // A token over several lines (a long template) is shown by the line that names the kind.
    const shown = token.text.includes('\n') ? lines[line]!.trim() : token.text;
    return [`${file}:${line + 1}: ${clip(shown)}`];
  });
}

describe('the scanner used by the enumeration', () => {
  const named = (source: string) => tokensOf(source).flatMap((t) => (kindNamedAt(t) < 0 ? [] : [t.text]));
  const [kind] = KINDS;

  it('ignores comments, but not strings that look like comments', () => {
    expect(named(`// ${kind}\n/* ${kind} */\n/** @see ${kind} */\nconst a = 1;`)).toEqual([]);
    expect(named(`const a = '// ${kind}';`)).toEqual([`'// ${kind}'`]);
  });

  it('finds a kind in template text on either side of a substitution, and not in a longer word', () => {
    const tick = '`';
    expect(named(`const a = ${tick}waiting for \${x} ${kind}${tick};`)).toEqual([`} ${kind}${tick}`]);
    expect(named(`const a = ${tick}\${{ a: 1 }.a} ${kind} \${y}${tick};`)).toEqual([`} ${kind} \${`]);
    expect(named(`const a = '${kind}s';`)).toEqual([]);
  });

  it('tells a regular expression from a division', () => {
    expect(named(`const a = b / c; const d = /${kind}/;`)).toEqual([`/${kind}/`]);
    expect(named(`const a = (b) / 2 / ${kind.toLowerCase()}Count;`)).toEqual([`${kind.toLowerCase()}Count`]);
  });

  it('finds a kind inside identifiers and type names', () => {
    const upper = kebab(kind).replace(/-/g, '_').toUpperCase();
    expect(named(`type X = ${kind}Body; const y = KIND_POLICY.${kind}; const ${upper}_MAX = 1;`)).toEqual([
      `${kind}Body`,
      kind,
      `${upper}_MAX`,
    ]);
  });
});

describe('the kind enumeration', () => {
  it('lists each kind once', () => {
    expect(new Set(KINDS).size).toBe(KINDS.length);
  });

  it(`leaves every kind unnamed outside ${KINDS_DIR} (in ${SCANNED.join(', ')})`, () => {
    const files = SCANNED.flatMap(sourceFiles).filter((file) => !file.startsWith(KINDS_DIR));
    expect(files.length).toBeGreaterThan(0);
    const offenders = files.flatMap(offendersIn);
    expect(offenders, `modules outside ${KINDS_DIR} that name a kind:\n${offenders.join('\n')}`).toEqual([]);
  });

  it.each(KINDS)('%s has its folder, whose index exports the registered adapter', async (kind) => {
    const folder = `${KINDS_DIR}${kebab(kind)}`;
    expect(readdirSync(join(ROOT, folder))).toContain('index.ts');
    const index = join(ROOT, folder, 'index.ts');
    const module = (await import(/* @vite-ignore */ index)) as Record<string, unknown>;
    expect(Object.values(module)).toContain(adapterOf(kind));
  });

  it.each(KINDS)("%s: the adapter's manifest schema is the registry's, and its kind literal is the kind", (kind) => {
    const adapter = adapterOf(kind);
    expect(adapter.kind).toBe(kind);
    expect(MANIFEST_SCHEMAS[kind]).toBe(adapter.manifest);
    const json = z.toJSONSchema(adapter.manifest, { io: 'input', unrepresentable: 'any' }) as {
      properties?: { kind?: { const?: unknown } };
    };
    expect(json.properties?.kind?.const).toBe(kind);
  });
});

describe('the simulator serves every kind', () => {
  const ROUTES_DIR = 'local/huaweicloud-simulator/routes';
  const routes = readdirSync(join(ROOT, ROUTES_DIR))
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [...readFileSync(join(ROOT, ROUTES_DIR, file), 'utf8').matchAll(/\bapp\.(get|post|put|patch|delete)\(\s*'([^']+)'/g)].map(
        ([, method, path]) => ({
          method: method!.toUpperCase(),
          pattern: new RegExp(
            `^${path!
              .split('/')
              .map((segment) =>
                segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
              )
              .join('/')}$`,
          ),
        }),
      ),
    );

  /** Answers every call with a body from which any kind's create reads an id. */
  function recording(): HuaweiTransport & { calls: HuaweiCall[] } {
    const calls: HuaweiCall[] = [];
    return {
      calls,
      send: async (call) => {
        calls.push(call);
        return { status: 200, body: { id: 'id-1', metadata: { name: 'id-1' } } };
      },
    };
  }

  /** A create body per kind that names what a preflight looks up (flavors, image, edge node and group). */
  const EXAMPLES: Record<string, () => Record<string, unknown>> = {
    Notebook: notebookExample,
    ResourcePool: poolExample,
    NodePool: nodePoolExample,
    EdgeDeployment: () => ({ ...deploymentExample(), group_id: 'group-1' }),
  };

  it('has a create example for every kind, for the preflight below', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...KINDS].sort());
  });

  it.each(KINDS)('%s: a route for each call its adapter makes (create, find, observe, update, delete, preflight)', async (kind) => {
    const adapter = adapterOf(kind);
    const resource: AdapterResource = {
      projectId: 'p1',
      region: 'cn-north-4',
      name: 'r1',
      spec: { body: { name: 'r1', metadata: { name: 'r1', labels: {} } } },
    };
    const target = adapter.target(resource, 'pool-1');
    const transport = recording();
    await adapter.create(transport, resource, target, 'pool-1');
    await adapter.find(transport, target, 'r1');
    await adapter.observe(transport, target, 'id-1');
    await adapter.update(transport, resource, target, 'id-1', { phase: 'Succeeded', observed: {} });
    await adapter.delete(transport, target, 'id-1');
    const before = transport.calls.length;
    const example: AdapterResource = { ...resource, spec: { body: EXAMPLES[kind]!() } };
    await adapter.preflight(transport, example, adapter.target(example, 'pool-1'), { operation: 'create' });
    expect(transport.calls.length, 'the preflight of a create looks something up').toBeGreaterThan(before);
    expect(transport.calls.slice(before).every((call) => call.method === 'GET' && call.callKind === 'read')).toBe(true);
    expect(transport.calls.length).toBeGreaterThanOrEqual(3);
    const unserved = transport.calls
      .filter((call) => !routes.some((route) => route.method === call.method && route.pattern.test(call.path)))
      .map((call) => `${call.method} ${call.path}`);
    expect(unserved).toEqual([]);
  });
});

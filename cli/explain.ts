/**
 * `hwc-provisioner explain KIND[.FIELD...]`: what a manifest field means, read from the published JSON
 * Schema, so the CLI, editors' hover text and schemas/manifest.schema.json never disagree.
 */
import { closest } from 'fastest-levenshtein';
import { manifestJsonSchema } from '../shared/manifests/json-schema';
import { KINDS, type Kind } from '../shared/kinds/registry';
import { suggest } from '../shared/manifests/zod-helpers';
import { UsageError, type Io } from './io';

/** The subset of draft-07 that z.toJSONSchema emits for the manifest language. */
interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
}

/** A field found by its path: its schema and what its parent says about it. */
interface ExplainedField {
  path: string;
  schema: JsonSchema;
  description: string;
  /** Undefined for a kind itself, which no parent lists. */
  required?: boolean;
}

/** The path cannot be followed: a mistake in the field, answered without the usage text. */
class UnknownFieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownFieldError';
  }
}

/** Built from the registry so the hint names a kind that exists, whichever kinds there are. */
const EXAMPLE_PATH = `${KINDS[0]}.spec.body`;

const options = (schema: JsonSchema): JsonSchema[] => [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])];

/** The object schemas a field name may be looked up in: the schema itself, list items, and union members. */
function objectsOf(schema: JsonSchema): JsonSchema[] {
  if (schema.properties || (typeof schema.additionalProperties === 'object' && schema.additionalProperties)) return [schema];
  if (schema.items) return objectsOf(schema.items);
  return options(schema).flatMap(objectsOf);
}

function fieldNames(schema: JsonSchema): string[] {
  return [...new Set(objectsOf(schema).flatMap((s) => Object.keys(s.properties ?? {})))];
}

/** The closest known name, or failing a close one, the nearest of them all: the user asked for a field. */
function nearest(name: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  return suggest(name, known) ?? closest(name, [...known]);
}

function resolveKindOf(name: string): Kind {
  const kind = KINDS.find((k) => k.toLowerCase() === name.toLowerCase());
  if (kind) return kind;
  const hint = nearest(name, KINDS);
  throw new UnknownFieldError(`unknown kind "${name}"${hint ? `; did you mean "${hint}"?` : ''} (kinds: ${KINDS.join(', ')})`);
}

/**
 * Follows a dotted path such as `Notebook.spec.body.flavor`. Lists are stepped through (`containers.name`;
 * an index or `[]` may be written), and a key that holds dots (`os.modelarts/name`) is matched whole.
 */
export function explainField(path: string): ExplainedField {
  const segments = path
    .replace(/\[\d*\]/g, '')
    .split('.')
    .filter((s) => s !== '' && !/^\d+$/.test(s));
  if (segments.length === 0) throw new UsageError(`explain needs a field path, e.g. ${EXAMPLE_PATH}`);
  const kind = resolveKindOf(segments[0]!);
  let schema = manifestJsonSchema(kind) as JsonSchema;
  let description = schema.description ?? '';
  let required: boolean | undefined;
  const walked: string[] = [kind];

  for (let i = 1; i < segments.length; ) {
    const objects = objectsOf(schema);
    let matched: { name: string; width: number; owner: JsonSchema } | undefined;
    // The longest run of segments that names a property, so keys with dots in them are found.
    for (let width = segments.length - i; width >= 1 && !matched; width--) {
      const name = segments.slice(i, i + width).join('.');
      const owner = objects.find((o) => o.properties && Object.hasOwn(o.properties, name));
      if (owner) matched = { name, width, owner };
    }
    if (matched) {
      const { name, width, owner } = matched;
      schema = owner.properties![name]!;
      description = schema.description ?? '';
      required = owner.required?.includes(name) ?? false;
      walked.push(name);
      i += width;
      continue;
    }
    const name = segments[i]!;
    const map = objects.find((o) => typeof o.additionalProperties === 'object' && o.additionalProperties);
    const keys = map?.propertyNames?.enum as string[] | undefined;
    if (map && (!keys || keys.includes(name))) {
      // A key of a map: described by the map itself.
      description = `(a value of ${walked.at(-1)}) ${description}`.trim();
      schema = map.additionalProperties as JsonSchema;
      required = false;
      walked.push(name);
      i += 1;
      continue;
    }
    const known = keys ?? fieldNames(schema);
    const at = walked.join('.');
    if (known.length === 0) throw new UnknownFieldError(`${at} is of type ${typeOf(schema)} and has no fields; "${name}" cannot follow it`);
    const hint = nearest(name, known);
    throw new UnknownFieldError(`unknown field "${name}" in ${at}${hint ? `; did you mean "${at}.${hint}"?` : ''}`);
  }
  return { path: walked.join('.'), schema, description, required };
}

/** A short type name: `string`, `integer`, `list of object`, `map of string`, `string | list of object`. */
function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return typeof schema.const === 'string' ? 'string' : typeof schema.const;
  const union = options(schema);
  if (union.length > 0 && schema.type === undefined) return [...new Set(union.map(typeOf))].join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  if (type === 'array') return schema.items && Object.keys(schema.items).length > 0 ? `list of ${typeOf(schema.items)}` : 'list';
  if (type === 'object' && !schema.properties && typeof schema.additionalProperties === 'object') {
    const values = schema.additionalProperties;
    return Object.keys(values).length > 0 ? `map of ${typeOf(values)}` : 'map';
  }
  return type ?? 'any';
}

/** The value rules the schema states: allowed values, ranges, lengths, pattern. */
function rulesOf(schema: JsonSchema): string[] {
  const rules: string[] = [];
  if (schema.const !== undefined) rules.push(`exactly ${JSON.stringify(schema.const)}`);
  if (schema.enum) rules.push(`one of: ${schema.enum.map((v) => (v === '' ? '"" (empty)' : String(v))).join(', ')}`);
  const range = (min: number | undefined, max: number | undefined, unit: string) => {
    const units = (n: number) => (unit === '' ? `${n}` : `${n} ${unit}${n === 1 ? '' : 's'}`);
    if (min !== undefined && max !== undefined) rules.push(min === max ? `exactly ${units(min)}` : `${min} to ${units(max)}`);
    else if (min !== undefined) rules.push(`at least ${units(min)}`);
    else if (max !== undefined) rules.push(`at most ${units(max)}`);
  };
  // zod bounds every integer by the safe-integer range, which says nothing to a reader.
  const bound = (n: number | undefined) => (n === undefined || Math.abs(n) === Number.MAX_SAFE_INTEGER ? undefined : n);
  range(bound(schema.minimum), bound(schema.maximum), '');
  if (schema.exclusiveMinimum !== undefined) rules.push(`greater than ${schema.exclusiveMinimum}`);
  if (schema.exclusiveMaximum !== undefined) rules.push(`less than ${schema.exclusiveMaximum}`);
  range(schema.minLength, schema.maxLength, 'character');
  range(schema.minItems, schema.maxItems, 'item');
  if (schema.pattern) rules.push(`pattern ${schema.pattern}`);
  if (schema.format) rules.push(`format ${schema.format}`);
  const keys = schema.propertyNames?.enum;
  if (keys) rules.push(`keys: ${keys.join(', ')}`);
  if (schema.items && !schema.items.properties) rules.push(...rulesOf(schema.items).map((r) => `each item: ${r}`));
  if (typeof schema.additionalProperties === 'object' && !schema.properties)
    rules.push(...rulesOf(schema.additionalProperties).map((r) => `each value: ${r}`));
  for (const option of schema.type === undefined ? options(schema) : []) {
    const inner = rulesOf(option);
    if (inner.length > 0) rules.push(`as ${typeOf(option)}: ${inner.join('; ')}`);
  }
  return rules;
}

const WIDTH = 100;

function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines;
}

function renderExplanation(field: ExplainedField): string[] {
  const lines = [`FIELD:    ${field.path}`, `TYPE:     ${typeOf(field.schema)}`];
  if (field.required !== undefined) lines.push(`REQUIRED: ${field.required ? 'yes' : 'no'}`);
  const rules = rulesOf(field.schema);
  if (rules.length > 0) lines.push(...rules.map((rule, i) => `${i === 0 ? 'ALLOWED:  ' : '          '}${rule}`));
  lines.push('', 'DESCRIPTION:', ...wrap(field.description || '(none)', '  '));
  const objects = objectsOf(field.schema).filter((o) => o.properties);
  if (objects.length > 0) {
    lines.push('', 'FIELDS:');
    for (const object of objects) {
      for (const [name, child] of Object.entries(object.properties!)) {
        lines.push(
          `  ${name} <${typeOf(child)}>${object.required?.includes(name) ? ' (required)' : ''}`,
          ...wrap(child.description ?? '', '    '),
        );
      }
    }
  }
  return lines;
}

/** The same facts as the text, for scripts and editors: the field, its rules and, for an object, its fields. */
function explanationJson(field: ExplainedField) {
  const fields = objectsOf(field.schema)
    .filter((o) => o.properties)
    .flatMap((object) =>
      Object.entries(object.properties!).map(([name, child]) => ({
        name,
        type: typeOf(child),
        required: object.required?.includes(name) ?? false,
        description: child.description ?? '',
      })),
    );
  return {
    path: field.path,
    type: typeOf(field.schema),
    ...(field.required !== undefined ? { required: field.required } : {}),
    rules: rulesOf(field.schema),
    description: field.description,
    fields,
  };
}

export async function explainCommand(args: string[], io: Io): Promise<number> {
  const paths: string[] = [];
  let format = 'text';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--format' || arg.startsWith('--format=')) {
      format = arg === '--format' ? (args[++i] ?? '') : arg.slice('--format='.length);
      if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not "${format}"`);
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else paths.push(arg);
  }
  if (paths.length !== 1) throw new UsageError(`explain takes one field path, e.g. ${EXAMPLE_PATH}`);
  let field: ExplainedField;
  try {
    field = explainField(paths[0]!);
  } catch (error) {
    // A mistyped path is answered with the nearest field, not the whole usage text.
    if (error instanceof UnknownFieldError) {
      io.stderr(`hwc-provisioner: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (format === 'json') io.stdout(JSON.stringify(explanationJson(field), null, 2));
  else for (const line of renderExplanation(field)) io.stdout(line);
  return 0;
}

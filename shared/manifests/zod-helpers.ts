/** Building blocks for the per-kind schemas: strict objects with did-you-mean, case-tolerant enums, readable messages. */
import { closest, distance } from 'fastest-levenshtein';
import * as z from 'zod';
import { MAX_ECHOED_KEYS, MAX_ECHOED_MESSAGE_CHARS, quoted } from './limits';

/** The known field closest to `key`, when it is close enough to be a plausible typo. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const lower = key.toLowerCase();
  const exactCase = known.find((k) => k.toLowerCase() === lower);
  if (exactCase) return exactCase;
  const best = closest(
    lower,
    known.map((k) => k.toLowerCase()),
  );
  const match = known.find((k) => k.toLowerCase() === best)!;
  // A third of the length tolerates one slip in short names and a transposition in long ones.
  return distance(lower, best) <= Math.max(2, Math.floor(key.length / 3)) ? match : undefined;
}

/**
 * Names each unknown key (with the closest known field, or the known fields when `known` is given), as many
 * as fit one message: keys are input, so their number and length are bounded (limits.ts) and the rest counted.
 */
export function unknownFieldsMessage(keys: readonly string[], known: readonly string[]): string {
  const parts: string[] = [];
  let length = 0;
  for (const key of keys) {
    const hint = suggest(key, known);
    const name = quoted(key);
    const part = hint
      ? `unknown field ${name}; did you mean "${hint}"?`
      : known.length > 0
        ? `unknown field ${name}; known fields: ${known.join(', ')}`
        : `unknown field ${name}`;
    // Room is kept for the count of the keys left out.
    if (parts.length > 0 && (parts.length === MAX_ECHOED_KEYS || length + part.length + 2 > MAX_ECHOED_MESSAGE_CHARS - 40)) break;
    parts.push(part);
    length += part.length + 2;
  }
  const more = keys.length - parts.length;
  if (more > 0) parts.push(`… and ${more} more unknown field${more === 1 ? '' : 's'}`);
  return parts.join('; ');
}

/**
 * An object that rejects unknown fields, naming each one and the closest known field:
 * typos are the commonest manifest mistake, and Huawei silently ignores some unknown fields.
 */
export function strict<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknownFieldsMessage(issue.keys, known) : undefined),
  });
}

/** A type error message that says "is required" when the field is absent, which is the usual mistake. */
const typed = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`);

function caseInsensitivePattern(values: readonly string[]): RegExp {
  const alternatives = values.map((v) =>
    [...v]
      .map((ch) => (/[a-z]/i.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : ch.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')))
      .join(''),
  );
  return new RegExp(`^(?:${alternatives.join('|')})$`);
}

/** An enum matched exactly, with a message listing the allowed values. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: (issue) => (issue.input === undefined ? 'is required' : `must be one of: ${values.join(', ')}`) });
}

/**
 * An enum accepted in any letter case and kept as written: the reference's own examples
 * write some values in lower case (e.g. `evs`, `managed`) where the tables list upper case.
 */
export function anyCaseOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string({ error: typed('a string') })
    .regex(caseInsensitivePattern(values), { error: `must be one of: ${values.join(', ')} (any letter case)` });
}

/** A string of bounded length with a message that quotes the bound. */
export function text(opts: { min?: number; max?: number } = {}) {
  let s = z.string({ error: typed('a string') });
  if (opts.min !== undefined)
    s = s.min(opts.min, { error: opts.min === 1 ? 'must not be empty' : `must be at least ${opts.min} characters` });
  if (opts.max !== undefined) s = s.max(opts.max, { error: `must be at most ${opts.max} characters` });
  return s;
}

/** An integer in [min, max] with a message that quotes the range. */
export function integer(min?: number, max?: number) {
  let n = z.number({ error: typed('a number') }).int({ error: 'must be an integer' });
  const range =
    min !== undefined && max !== undefined ? `between ${min} and ${max}` : min !== undefined ? `at least ${min}` : `at most ${max}`;
  if (min !== undefined) n = n.min(min, { error: `must be ${range}` });
  if (max !== undefined) n = n.max(max, { error: `must be ${range}` });
  return n;
}

/** Readable defaults for issues a schema did not word itself; applied at parse time. */
export const friendlyError: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}, not ${describe(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'string')
        return Number(issue.minimum) === 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `must have at most ${issue.maximum} item${Number(issue.maximum) === 1 ? '' : 's'}`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'unrecognized_keys':
      return unknownFieldsMessage(issue.keys, []);
    case 'invalid_format':
      return `must be a valid ${issue.format}`;
    default:
      return undefined;
  }
};

function article(expected: string): string {
  if (expected === 'array') return 'a list';
  if (expected === 'object' || expected === 'record' || expected === 'map') return 'a mapping';
  if (expected === 'int') return 'an integer';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

/**
 * The policy document: which sources may provision which kinds in which Huawei projects and regions, with CEL
 * limits and approval triggers. Parsed with the manifests' own YAML guards (size, nesting, aliases, forbidden
 * keys), validated strictly, and compiled once: globs, expressions and kinds that cannot work fail at load, each
 * error naming its rule and its line:column, rather than on the first request that reaches them.
 */
import picomatch from 'picomatch';
import * as z from 'zod';
import { isKind, KINDS, type Kind } from '../kinds/registry';
import { builtOnFirstUse } from '../lazy';
import { clipText, MAX_ECHOED_PATH_CHARS, quoted } from '../manifests/limits';
import { parseSource, type ParsedDocument } from '../manifests/parse';
import { friendlyError, oneOf, strict, suggest, text } from '../manifests/zod-helpers';
import { ExpressionCompileError, policyLanguage, type Expression, type PolicyLanguage } from './cel';

export const POLICY_API_VERSION = 'hwc-provisioner.io/v1';

const PROVIDERS = ['github', 'gitlab', 'jira', 'api', 'queue'] as const;
export type PolicyProvider = (typeof PROVIDERS)[number];

/** One problem of a policy document, positioned as manifest issues are (1-based), with the rule it is in. */
export interface PolicyIssue {
  /** Dotted path from the document root, e.g. `rules.2.limits.0.expression`. */
  path: string;
  /** The rule's name (or `#3` when it has no usable name), for problems inside a rule. */
  rule?: string;
  message: string;
  line: number;
  column: number;
}

export function formatPolicyIssue(file: string, issue: PolicyIssue): string {
  const where = `${issue.path}${issue.rule ? ` (rule ${issue.rule})` : ''}`;
  return `${file}:${issue.line}:${issue.column} ${where ? `${where}: ` : ''}${issue.message}`;
}

/** A policy that cannot be used. Its message lists every problem, one `file:line:column path (rule name): message` per line. */
export class PolicyDocumentError extends Error {
  readonly code = 'POLICY_INVALID';
  constructor(
    readonly file: string,
    readonly issues: readonly PolicyIssue[],
  ) {
    super(issues.map((issue) => formatPolicyIssue(file, issue)).join('\n'));
    this.name = 'PolicyDocumentError';
  }
}

type Matcher = (value: string) => boolean;

/** What a rule's `match` compiled to: each present key narrows the sources the rule speaks for. */
export interface PolicyMatch {
  readonly providers?: ReadonlySet<PolicyProvider>;
  readonly repository?: Matcher;
  readonly branch?: Matcher;
  readonly jiraProject?: Matcher;
  readonly caller?: Matcher;
  readonly owner?: Matcher;
}

interface PolicyLimit {
  readonly name: string;
  readonly expression: Expression;
  readonly message: string;
}

interface PolicyApproval {
  readonly kinds: ReadonlySet<string>;
  readonly projects: ReadonlySet<string>;
  readonly when?: Expression;
  /** `provider:user` identities; empty: anyone who holds the approve role. */
  readonly approvers: readonly string[];
  readonly message?: string;
}

export interface PolicyRule {
  readonly name: string;
  readonly description?: string;
  readonly match: PolicyMatch;
  /** `any` where the document says "*" (projects, regions) or leaves the key out (regions, kinds). */
  readonly grant: {
    readonly projects: ReadonlySet<string> | 'any';
    readonly regions: ReadonlySet<string> | 'any';
    readonly kinds: ReadonlySet<Kind> | 'any';
  };
  readonly limits: readonly PolicyLimit[];
  readonly approval?: PolicyApproval;
}

/** A parsed, compiled policy. Rules keep document order: the first that matches and grants decides. */
export interface Policy {
  readonly file: string;
  readonly denyMessage?: string;
  readonly rules: readonly PolicyRule[];
}

const NAME = /^[a-z0-9-]{1,63}$/;
const MAX_RULES = 200;
const MAX_LIMITS = 20;
const MAX_LIST = 100;

/** Built on first use: only a function reading a policy needs them, and most invocations read none. */
const policySchemas = builtOnFirstUse(() => {
  const ruleName = z.string().regex(NAME, 'must be 1-63 characters: lower-case letters, digits and "-"');
  /** A list, or one value written alone (`provider: github`). */
  const oneOrMany = <T extends z.ZodType>(item: T, min = 1) =>
    z.preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(item).min(min).max(MAX_LIST));
  const glob = text({ min: 1, max: 200 });
  const PROJECT_ID = /^[A-Za-z0-9-]{1,64}$/;
  const projectId = z.string().regex(PROJECT_ID, 'must be a Huawei project id (letters, digits, -)');
  const projectOrAny = z.string().regex(/^([A-Za-z0-9-]{1,64}|\*)$/, 'must be a Huawei project id (letters, digits, -) or "*"');
  const regionOrAny = z.string().regex(/^([a-z]{2,3}(-[a-z]+)+-\d+|\*)$/, 'must be a region like cn-north-4, or "*"');
  const kindName = z.string().superRefine((value, ctx) => {
    if (isKind(value)) return;
    const hint = suggest(value, KINDS);
    ctx.addIssue({
      code: 'custom',
      message: `unknown kind ${quoted(value)}${hint ? `; did you mean "${hint}"?` : ''}; expected one of ${KINDS.join(', ')}`,
    });
  });
  const identity = z
    .string()
    .regex(/^(github|gitlab|jira|api|queue):\S{1,200}$/, `must be provider:user with a provider among ${PROVIDERS.join(', ')}`);

  const LimitSchema = strict({
    name: ruleName,
    expression: text({ min: 1 }),
    message: text({ min: 1, max: 500 }),
  });

  const RuleSchema = strict({
    name: ruleName,
    description: text({ max: 500 }).optional(),
    match: strict({
      provider: oneOrMany(oneOf(PROVIDERS)).optional(),
      repository: oneOrMany(glob).optional(),
      branch: oneOrMany(glob).optional(),
      jiraProject: oneOrMany(glob).optional(),
      caller: oneOrMany(glob).optional(),
      owner: oneOrMany(glob).optional(),
    }).optional(),
    grant: strict({
      projects: oneOrMany(projectOrAny),
      regions: oneOrMany(regionOrAny).optional(),
      kinds: oneOrMany(kindName).optional(),
    }),
    limits: z.array(LimitSchema).max(MAX_LIMITS).optional(),
    approval: strict({
      kinds: oneOrMany(kindName, 0).optional(),
      projects: oneOrMany(projectId, 0).optional(),
      when: text({ min: 1 }).optional(),
      approvers: oneOrMany(identity, 0).optional(),
      message: text({ min: 1, max: 500 }).optional(),
    }).optional(),
  });

  const literal = (value: string) =>
    z.literal(value, { error: (issue) => (issue.input === undefined ? `is required: ${value}` : `must be ${value}`) });

  const PolicySchema = strict({
    apiVersion: literal(POLICY_API_VERSION),
    kind: literal('Policy'),
    denyMessage: text({ min: 1, max: 500 }).optional(),
    rules: z.array(RuleSchema).max(MAX_RULES),
  });
  return { RuleSchema, PolicySchema };
});
type RuleInput = z.infer<ReturnType<typeof policySchemas>['RuleSchema']>;

/** The keys of `match` that only some providers' sources carry: a rule asking for one elsewhere never matches. */
const CARRIED_BY: Record<'repository' | 'branch' | 'jiraProject' | 'caller', readonly PolicyProvider[]> = {
  repository: ['github', 'gitlab'],
  branch: ['github', 'gitlab'],
  jiraProject: ['jira'],
  caller: ['api', 'queue'],
};

/**
 * Repository paths, Jira keys and owner namespaces compare case-insensitively, as the providers (and ownership)
 * treat them; branches and caller names are exact. `dot`: a repository may be named `.github`.
 */
function matcher(patterns: readonly string[], nocase: boolean): Matcher {
  return picomatch([...patterns], { dot: true, nocase, windows: false });
}

/**
 * Parses and compiles a policy document. `file` names it in errors (a path, or the parameter it came from).
 * Rejects with PolicyDocumentError listing every problem found.
 */
export async function parsePolicy(text: string, file: string): Promise<Policy> {
  const documents = parseSource(text).filter((doc) => !doc.empty);
  const first = documents[0];
  if (!first) throw new PolicyDocumentError(file, [{ path: '', message: 'the policy is empty', line: 1, column: 1 }]);
  if (documents.length > 1) {
    const at = documents[1]!.positionOf([]);
    throw new PolicyDocumentError(file, [{ path: '', message: 'a policy is one YAML document; this file holds more', ...at }]);
  }
  if (first.problems.length > 0) {
    throw new PolicyDocumentError(
      file,
      first.problems.map((p) => ({ path: p.path.join('.'), message: p.message, ...p.position })),
    );
  }
  const issues = new Issues(first, text);
  if (first.data === null || typeof first.data !== 'object' || Array.isArray(first.data)) {
    issues.add([], 'a policy must be a mapping with apiVersion, kind and rules');
    throw issues.error(file);
  }
  const parsed = policySchemas().PolicySchema.safeParse(first.data, { error: friendlyError, jitless: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.add(issue.path, issue.message, issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined);
    }
    throw issues.error(file);
  }
  const language = await policyLanguage();
  const rules = parsed.data.rules.map((rule, i) => compileRule(rule, i, issues, language));
  const names = new Map<string, number>();
  parsed.data.rules.forEach((rule, i) => {
    const earlier = names.get(rule.name);
    if (earlier === undefined) names.set(rule.name, i);
    else {
      const at = first.positionOf(['rules', earlier, 'name']);
      issues.add(['rules', i, 'name'], `rule name ${rule.name} is already used by rules.${earlier} (line ${at.line})`);
    }
  });
  if (issues.any()) throw issues.error(file);
  return { file, ...(parsed.data.denyMessage ? { denyMessage: parsed.data.denyMessage } : {}), rules };
}

function compileRule(rule: RuleInput, index: number, issues: Issues, language: PolicyLanguage): PolicyRule {
  const at = (...path: PropertyKey[]) => ['rules', index, ...path];
  const match = rule.match ?? {};
  const compiled: { -readonly [K in keyof PolicyMatch]: PolicyMatch[K] } = {};
  if (match.provider) compiled.providers = new Set(match.provider);
  for (const key of ['repository', 'branch', 'jiraProject', 'caller', 'owner'] as const) {
    const patterns = match[key];
    if (!patterns) continue;
    try {
      compiled[key] = matcher(patterns, key !== 'branch' && key !== 'caller');
    } catch (error) {
      issues.add(at('match', key), `is not a usable glob: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (key !== 'owner' && match.provider && !match.provider.some((p) => CARRIED_BY[key].includes(p))) {
      issues.add(at('match', key), `never matches: only ${CARRIED_BY[key].join(' and ')} sources have a ${key}`);
    }
  }

  const expression = (source: string, path: PropertyKey[]): Expression | undefined => {
    try {
      return language.compile(source);
    } catch (error) {
      if (!(error instanceof ExpressionCompileError)) throw error;
      const message = `does not compile (at character ${error.offset + 1} of the expression): ${error.message}`;
      issues.add(path, message, undefined, { expression: source, offset: error.offset });
      return undefined;
    }
  };

  const limits: PolicyLimit[] = [];
  const limitNames = new Set<string>();
  (rule.limits ?? []).forEach((limit, j) => {
    if (limitNames.has(limit.name)) issues.add(at('limits', j, 'name'), `limit name ${limit.name} is used twice in this rule`);
    limitNames.add(limit.name);
    const compiledLimit = expression(limit.expression, at('limits', j, 'expression'));
    if (compiledLimit) limits.push({ name: limit.name, expression: compiledLimit, message: limit.message });
  });

  let approval: PolicyApproval | undefined;
  if (rule.approval) {
    const { kinds, projects, when, approvers, message } = rule.approval;
    const compiledWhen = when === undefined ? undefined : expression(when, at('approval', 'when'));
    approval = {
      kinds: new Set(kinds ?? []),
      projects: new Set(projects ?? []),
      ...(compiledWhen ? { when: compiledWhen } : {}),
      approvers: [...new Set(approvers ?? [])],
      ...(message ? { message } : {}),
    };
  }

  const anyOr = <T>(values: readonly T[] | undefined): ReadonlySet<T> | 'any' =>
    values === undefined || values.includes('*' as T) ? 'any' : new Set(values);
  return {
    name: rule.name,
    ...(rule.description ? { description: rule.description } : {}),
    match: compiled,
    grant: {
      projects: anyOr(rule.grant.projects),
      regions: anyOr(rule.grant.regions),
      kinds: anyOr(rule.grant.kinds as Kind[] | undefined),
    },
    limits,
    ...(approval ? { approval } : {}),
  };
}

/** Problems found so far, positioned in the document and labelled with their rule. */
class Issues {
  private readonly list: PolicyIssue[] = [];
  constructor(
    private readonly doc: ParsedDocument,
    private readonly text: string,
  ) {}

  /** `within`: a place inside the scalar at `path`, pointed at exactly when the scalar is written on one line as it reads. */
  add(path: readonly PropertyKey[], message: string, key?: string, within?: { expression: string; offset: number }): void {
    const position = { ...(key === undefined ? this.doc.positionOf(path) : this.doc.positionOf(path, { key })) };
    if (within) position.column += this.columnsInto(position, within.expression, within.offset);
    const rule = path[0] === 'rules' && typeof path[1] === 'number' ? this.ruleLabel(path[1]) : undefined;
    const dotted = clipText(path.map(String).join('.'), MAX_ECHOED_PATH_CHARS);
    this.list.push({ path: dotted, ...(rule ? { rule } : {}), message, ...position });
  }

  any(): boolean {
    return this.list.length > 0;
  }

  error(file: string): PolicyDocumentError {
    return new PolicyDocumentError(
      file,
      [...this.list].sort((a, b) => a.line - b.line || a.column - b.column),
    );
  }

  /**
   * How far into the scalar starting at `position` the character at `offset` of its value is: exact for a plain
   * or quoted scalar on one line without escapes, else 0 (the scalar's start), as a block scalar's lines are
   * indented and an escape makes source and value differ.
   */
  private columnsInto(position: { line: number; column: number }, value: string, offset: number): number {
    const line = this.text.split('\n', position.line)[position.line - 1] ?? '';
    const start = position.column - 1;
    if (line.startsWith(value, start)) return offset;
    if ((line[start] === '"' || line[start] === "'") && line.startsWith(value, start + 1)) return offset + 1;
    return 0;
  }

  /** The name the rule was given, when it is one; else its place, since a broken name cannot label anything. */
  private ruleLabel(index: number): string {
    const rules = (this.doc.data as { rules?: unknown }).rules;
    const name = Array.isArray(rules) ? (rules[index] as { name?: unknown } | undefined)?.name : undefined;
    return typeof name === 'string' && NAME.test(name) ? name : `#${index + 1}`;
  }
}

/**
 * CEL expressions of a policy (limits and approval conditions): compiled and type-checked once at load, evaluated
 * against one resource within a time budget. The library bounds an expression's structure at parse time only
 * (AST nodes, nesting, literal sizes); nothing in it bounds evaluation, and a macro nested in a macro over a
 * list of the manifest, or a backtracking `matches()`, can run for minutes. Evaluation therefore runs under the
 * watchdog of node:vm, which interrupts any JavaScript running too long, the library's own included.
 */
import { createContext, Script, type Context } from 'node:vm';
import type { Environment, ParseError, TypeError as CelTypeError } from '@marcbachmann/cel-js';

/** Longer than any real condition (the examples are under 150 characters), short enough to read in a review. */
export const MAX_EXPRESSION_CHARS = 2_000;

/**
 * What one resource's expressions may take together, in milliseconds. Real conditions take microseconds: only a
 * condition that needs fixing reaches it, and the refusal names it.
 */
export const EVALUATION_BUDGET_MS = 50;

/** The library's parse-time limits, below its defaults (which are sized for any program, not a policy condition). */
const LIMITS = { maxAstNodes: 1_000, maxDepth: 32, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 16 };

/** Manifests nest about ten levels and parsing refuses more than 24; anything deeper is not a manifest. */
const MAX_VALUE_DEPTH = 64;

/** An expression that cannot be used, with where in its text the problem is (0-based offset). */
export class ExpressionCompileError extends Error {
  readonly code = 'CEL_INVALID';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ExpressionCompileError';
  }
}

/** A compiled expression: call it with the variables. It throws what the library throws (EvaluationError, mostly). */
export interface Expression {
  readonly source: string;
  evaluate(variables: { object: unknown; oldObject: unknown; source: unknown }): unknown;
}

/** The policy language, its library loaded: compiles expressions. */
export interface PolicyLanguage {
  /**
   * Parses and type-checks `source`: syntax errors, unknown variables and operators no operand types allow fail
   * here, at load, rather than on the first resource. An expression whose type is known to be other than bool is
   * refused too; `dyn` (most of them, as the manifest's fields are untyped) is checked at evaluation.
   */
  compile(source: string): Expression;
}

let language: Promise<PolicyLanguage> | undefined;

/**
 * The policy language, loaded on first use. The CEL library builds its function and operator tables as it loads:
 * 6-8 ms of every cold start that bundles it, where most functions and deployments read no policy. A leaf
 * package, so importing it dynamically leaves the rest of the bundle's tree-shaking as it was.
 */
export function policyLanguage(): Promise<PolicyLanguage> {
  language ??= import('@marcbachmann/cel-js').then(({ Environment }) => {
    const env = new Environment({ limits: LIMITS })
      .registerVariable('object', 'map')
      .registerVariable('oldObject', 'dyn')
      .registerVariable('source', 'map');
    return { compile: (source) => compileWith(env, source) };
  });
  return language;
}

function compileWith(env: Environment, source: string): Expression {
  if (source.length > MAX_EXPRESSION_CHARS) {
    throw new ExpressionCompileError(`is ${source.length} characters; the limit is ${MAX_EXPRESSION_CHARS}`, MAX_EXPRESSION_CHARS);
  }
  let compiled: ReturnType<Environment['parse']>;
  try {
    compiled = env.parse(source);
  } catch (error) {
    throw fromCelError(error);
  }
  const checked = compiled.check();
  if (!checked.valid) throw fromCelError(checked.error);
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    throw new ExpressionCompileError(`must evaluate to a boolean, not ${checked.type}`, 0);
  }
  return { source, evaluate: (variables) => compiled(variables) };
}

function fromCelError(error: unknown): ExpressionCompileError {
  const cel = error as Partial<ParseError | CelTypeError> | undefined;
  if (cel instanceof Error && typeof cel.summary === 'string') return new ExpressionCompileError(cel.summary, cel.range?.start ?? 0);
  return new ExpressionCompileError(error instanceof Error ? error.message : String(error), 0);
}

/**
 * A JSON value as CEL sees it: whole numbers become CEL ints (BigInt), so `r.count + 1 <= 5` works as written
 * (a JavaScript number is a CEL double, and CEL adds no double to an int). Absent values are left out, so
 * `has(x.y)` tells them apart. Copies: an expression never sees the caller's objects.
 */
export function celValue(value: unknown, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) throw new Error(`the value nests deeper than ${MAX_VALUE_DEPTH} levels`);
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map((item) => celValue(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, celValue(v, depth + 1)]),
    );
  }
  return value;
}

/** The watchdog's error, as node:vm raises it when the budget is spent. */
const TIMEOUT_CODE = 'ERR_SCRIPT_EXECUTION_TIMEOUT';

let sandbox: { context: Context; script: Script } | undefined;

/**
 * Runs `work` with a time budget: `{ done: false }` when the budget ran out (the work is interrupted wherever it
 * was). Nothing runs inside the sandbox but a call back into this realm: the context only lends its watchdog.
 * Errors `work` throws are its own to catch; one escaping is rethrown.
 */
export function withinBudget<T>(work: () => T, budgetMs: number = EVALUATION_BUDGET_MS): { done: true; value: T } | { done: false } {
  sandbox ??= { context: createContext({}), script: new Script('work()') };
  const { context, script } = sandbox;
  context.work = work;
  try {
    return { done: true, value: script.runInContext(context, { timeout: budgetMs }) as T };
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === TIMEOUT_CODE) return { done: false };
    throw error;
  } finally {
    context.work = undefined;
  }
}

/**
 * The CEL layer's bounds: what compiles, how JSON values reach expressions, and that the time budget interrupts
 * work the library itself would never stop.
 */
import { describe, expect, it } from 'vitest';
import {
  celValue,
  EVALUATION_BUDGET_MS,
  ExpressionCompileError,
  MAX_EXPRESSION_CHARS,
  policyLanguage,
  withinBudget,
} from '../../shared/policy/cel';

const { compile } = await policyLanguage();

function compileError(source: string): ExpressionCompileError {
  try {
    compile(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionCompileError);
    return error as ExpressionCompileError;
  }
  throw new Error(`${source} compiled`);
}

const vars = (object: unknown, source: unknown = {}) => ({ object: celValue(object), oldObject: null, source: celValue(source) });

describe('compile', () => {
  it('compiles boolean expressions over object, oldObject and source', () => {
    const expression = compile("object.kind == 'Notebook' && oldObject == null && source.provider == 'api'");
    expect(expression.evaluate(vars({ kind: 'Notebook' }, { provider: 'api' }))).toBe(true);
    expect(expression.evaluate(vars({ kind: 'ResourcePool' }, { provider: 'api' }))).toBe(false);
  });

  it('refuses syntax errors, unknown variables and operand types no operator takes, with the offset', () => {
    expect(compileError('object.kind == ')).toMatchObject({ code: 'CEL_INVALID', offset: 15, message: 'Unexpected token: EOF' });
    expect(compileError('manifest.kind == "x"')).toMatchObject({ offset: 0, message: 'Unknown variable: manifest' });
    expect(compileError('object.kind == "a" && 1 + "b" == 2')).toMatchObject({
      offset: 22,
      message: expect.stringMatching(/no such overload/),
    });
  });

  it('refuses an expression whose type is known not to be bool', () => {
    expect(compileError('"a" + "b"').message).toBe('must evaluate to a boolean, not string');
    expect(compileError('size(object) + 1').message).toBe('must evaluate to a boolean, not int');
  });

  it('bounds the length and the structure', () => {
    expect(compileError(`true${' || true'.repeat(MAX_EXPRESSION_CHARS / 8)}`).message).toMatch(/characters; the limit is 2000$/);
    expect(compileError(`${'['.repeat(40)}true${']'.repeat(40)}.size() > 0`).message).toMatch(/depth/i);
    expect(compileError(`[${Array.from({ length: 300 }, (_, i) => i).join(',')}].size() > 0`).message).toMatch(/list/i);
  });
});

describe('celValue', () => {
  it('turns whole numbers into CEL ints, so arithmetic with int literals works', () => {
    expect(celValue({ count: 2, ratio: 0.5, list: [1, 'a', null], nested: { n: -3 } })).toEqual({
      count: 2n,
      ratio: 0.5,
      list: [1n, 'a', null],
      nested: { n: -3n },
    });
    expect(compile('object.count + 1 <= 3 && object.ratio < 1.0').evaluate(vars({ count: 2, ratio: 0.5 }))).toBe(true);
  });

  it('leaves absent values out, so has() tells them apart', () => {
    const expression = compile('has(object.branch)');
    expect(expression.evaluate(vars({ branch: undefined }))).toBe(false);
    expect(expression.evaluate(vars({ branch: 'main' }))).toBe(true);
  });

  it('copies: an expression never holds the caller’s objects', () => {
    const input = { a: { b: 1 } };
    const copy = celValue(input) as { a: unknown };
    expect(copy.a).not.toBe(input.a);
  });

  it('refuses a value nested beyond any manifest', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 80; i++) deep = { d: deep };
    expect(() => celValue(deep)).toThrow(/nests deeper than 64 levels/);
  });
});

describe('withinBudget', () => {
  it('returns what the work returns, and lets its errors out', () => {
    expect(withinBudget(() => 42)).toEqual({ done: true, value: 42 });
    expect(() =>
      withinBudget(() => {
        throw new RangeError('mine');
      }),
    ).toThrow('mine');
  });

  it('interrupts an expression the library would evaluate for minutes: macros nested over a big list', () => {
    const expression = compile('object.l.all(a, object.l.all(b, object.l.all(c, a + b + c >= 0)))');
    const variables = vars({ l: Array.from({ length: 3_000 }, (_, i) => i) });
    const started = performance.now();
    expect(withinBudget(() => expression.evaluate(variables))).toEqual({ done: false });
    // 27 billion steps cut at the budget; generous for a loaded machine.
    expect(performance.now() - started).toBeLessThan(EVALUATION_BUDGET_MS + 1_000);
  });

  it('interrupts a backtracking regular expression', () => {
    const expression = compile("object.s.matches('^(a+)+$')");
    expect(withinBudget(() => expression.evaluate(vars({ s: `${'a'.repeat(40)}b` })))).toEqual({ done: false });
  });

  it('leaves the library usable after an interruption', () => {
    const expression = compile('object.l.all(a, object.l.all(b, a + b >= 0))');
    expect(withinBudget(() => expression.evaluate(vars({ l: Array.from({ length: 100_000 }, (_, i) => i) })))).toEqual({ done: false });
    expect(withinBudget(() => expression.evaluate(vars({ l: [1, 2, 3] })))).toEqual({ done: true, value: true });
  });
});

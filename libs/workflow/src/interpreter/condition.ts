import { parseCondition, type ComparisonOperator, type ConditionAst } from '@gnomon/contracts';
import { lookupPath, type RunScope } from './run-scope';

/**
 * Evaluates a condition (source or parsed) to a boolean. Parsing a source may throw
 * ConditionSyntaxError; evaluation never throws on data:
 *
 * - a missing path is null; `exists(path)` is true when the path has a value (null included);
 * - `==` is strict deep JSON equality (no coercion; values of different types are unequal) and
 *   `!=` its negation; `<` `<=` `>` `>=` compare number with number or string with string
 *   (by UTF-16 code units) and are false for anything else;
 * - `x in list` is true when list is an array holding a value equal to x;
 * - `&&`, `||` and `!` treat only `true` as true (`!null` is true, `'yes' && true` is false);
 * - `len` counts string characters (code points), array items or object keys, else null;
 *   `contains(s, part)` is substring search on strings, membership on arrays, else false;
 *   `lower`/`upper` change a string's case, else null.
 *
 * The condition holds when the whole expression evaluates to `true`.
 */
export function evaluateCondition(condition: ConditionAst | string, scope: RunScope): boolean {
  const ast = typeof condition === 'string' ? parseCondition(condition) : condition;
  return evaluate(ast, scope) === true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Deep equality of JSON values; values of different JSON types are never equal. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && jsonEqual(a[key], b[key]))
    );
  }
  return false;
}

function compare(op: ComparisonOperator, left: unknown, right: unknown): boolean {
  switch (op) {
    case '==':
      return jsonEqual(left, right);
    case '!=':
      return !jsonEqual(left, right);
    case 'in':
      return Array.isArray(right) && right.some((item) => jsonEqual(left, item));
    default: {
      const comparable =
        (typeof left === 'number' && typeof right === 'number') ||
        (typeof left === 'string' && typeof right === 'string');
      if (!comparable) return false;
      const [l, r] = [left, right] as [number | string, number | string];
      if (op === '<') return l < r;
      if (op === '<=') return l <= r;
      if (op === '>') return l > r;
      return l >= r;
    }
  }
}

function call(fn: string, args: unknown[]): unknown {
  const [first, second] = args;
  switch (fn) {
    case 'len':
      if (typeof first === 'string') return Array.from(first).length;
      if (Array.isArray(first)) return first.length;
      if (isRecord(first)) return Object.keys(first).length;
      return null;
    case 'contains':
      if (typeof first === 'string') return typeof second === 'string' && first.includes(second);
      if (Array.isArray(first)) return first.some((item) => jsonEqual(item, second));
      return false;
    case 'lower':
      return typeof first === 'string' ? first.toLowerCase() : null;
    case 'upper':
      return typeof first === 'string' ? first.toUpperCase() : null;
    default:
      return null;
  }
}

function evaluate(ast: ConditionAst, scope: RunScope): unknown {
  switch (ast.kind) {
    case 'literal':
      return ast.value;
    case 'path': {
      const found = lookupPath(ast.path, scope);
      return found.found ? found.value : null;
    }
    case 'array':
      return ast.items.map((item) => evaluate(item, scope));
    case 'not':
      return evaluate(ast.operand, scope) !== true;
    case 'and':
      return ast.operands.every((operand) => evaluate(operand, scope) === true);
    case 'or':
      return ast.operands.some((operand) => evaluate(operand, scope) === true);
    case 'compare':
      return compare(ast.op, evaluate(ast.left, scope), evaluate(ast.right, scope));
    case 'call': {
      if (ast.fn === 'exists') {
        const [arg] = ast.args;
        return arg.kind === 'path' && lookupPath(arg.path, scope).found;
      }
      return call(
        ast.fn,
        ast.args.map((arg) => evaluate(arg, scope)),
      );
    }
  }
}

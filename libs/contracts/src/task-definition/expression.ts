import { ConditionSyntaxError, tokenize, type Token } from './expression-lexer';
import type { ValuePath } from './value-path';

export { ConditionSyntaxError } from './expression-lexer';

/**
 * Condition expressions (the `when` of a branch case): a small, side-effect-free language parsed
 * by a hand-written tokenizer and recursive-descent parser. It is interpreted over the AST,
 * never compiled to JavaScript.
 *
 * ```
 * expression := or
 * or         := and ("||" and)*
 * and        := comparison ("&&" comparison)*
 * comparison := unary (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") unary)?
 * unary      := "!" unary | primary
 * primary    := number | string | "true" | "false" | "null" | path
 *             | "(" expression ")" | "[" (expression ("," expression)*)? "]"
 *             | function "(" (expression ("," expression)*)? ")"
 * function   := "exists" | "len" | "contains" | "lower" | "upper"
 * ```
 *
 * - Numbers: `12`, `-3.5`, `1e3`. Strings: `'single'` or `"double"` quoted, with `\\ \' \" \n
 *   \r \t \uXXXX` escapes. Paths: as in templates, without braces (`steps.a.output.x[0]`).
 * - `!` binds tighter than comparisons (as in JavaScript): write `!(a == b)`.
 * - Comparisons do not chain: `a < b < c` is a syntax error.
 * - At most CONDITION_LIMITS.maxLength characters and CONDITION_LIMITS.maxDepth levels of
 *   nesting (each `!`, parenthesis, array literal and function call is one level).
 */

export const CONDITION_LIMITS = { maxLength: 1_000, maxDepth: 32 } as const;

/** Functions and their arity. `exists` takes a path. */
export const CONDITION_FUNCTIONS = { exists: 1, len: 1, contains: 2, lower: 1, upper: 1 } as const;
export type ConditionFunction = keyof typeof CONDITION_FUNCTIONS;

export const COMPARISON_OPERATORS = ['==', '!=', '<', '<=', '>', '>=', 'in'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

/** A parsed condition; `column` (1-based) is where the node's operator or value begins. */
export type ConditionAst =
  | { kind: 'literal'; value: string | number | boolean | null; column: number }
  | { kind: 'path'; path: ValuePath; column: number }
  | { kind: 'array'; items: ConditionAst[]; column: number }
  | { kind: 'not'; operand: ConditionAst; column: number }
  | { kind: 'and' | 'or'; operands: ConditionAst[]; column: number }
  | {
      kind: 'compare';
      op: ComparisonOperator;
      left: ConditionAst;
      right: ConditionAst;
      column: number;
    }
  | { kind: 'call'; fn: ConditionFunction; args: ConditionAst[]; column: number };

const LITERAL_WORDS: Record<string, boolean | null> = { true: true, false: false, null: null };

function isFunction(word: string): word is ConditionFunction {
  return Object.prototype.hasOwnProperty.call(CONDITION_FUNCTIONS, word);
}

function describeToken(token: Token): string {
  if (token.kind === 'end') return 'end of expression';
  const text = token.text.length > 30 ? `${token.text.slice(0, 30)}…` : token.text;
  return JSON.stringify(text);
}

class ConditionParser {
  private at = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): ConditionAst {
    const ast = this.parseOr();
    this.expectEnd();
    return ast;
  }

  private peek(): Token {
    return this.tokens[this.at];
  }

  private next(): Token {
    const token = this.tokens[this.at];
    if (token.kind !== 'end') this.at++;
    return token;
  }

  private isOp(op: string, token = this.peek()): boolean {
    return token.kind === 'op' && token.op === op;
  }

  private unexpected(token: Token): never {
    throw new ConditionSyntaxError(`unexpected ${describeToken(token)}`, token.column);
  }

  private expectOp(op: string): void {
    const token = this.next();
    if (!this.isOp(op, token))
      throw new ConditionSyntaxError(
        `expected "${op}" but found ${describeToken(token)}`,
        token.column,
      );
  }

  private expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') this.unexpected(token);
  }

  private nested<T>(column: number, parse: () => T): T {
    this.depth++;
    if (this.depth > CONDITION_LIMITS.maxDepth)
      throw new ConditionSyntaxError(
        `expression nests deeper than ${CONDITION_LIMITS.maxDepth} levels`,
        column,
      );
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private parseOr(): ConditionAst {
    return this.parseChain('||', 'or', () => this.parseAnd());
  }

  private parseAnd(): ConditionAst {
    return this.parseChain('&&', 'and', () => this.parseComparison());
  }

  private parseChain(op: string, kind: 'and' | 'or', operand: () => ConditionAst): ConditionAst {
    const first = operand();
    if (!this.isOp(op)) return first;
    const column = this.peek().column;
    const operands = [first];
    while (this.isOp(op)) {
      this.next();
      operands.push(operand());
    }
    return { kind, operands, column };
  }

  private comparisonOperator(token: Token): ComparisonOperator | undefined {
    if (token.kind === 'word' && token.word === 'in') return 'in';
    if (token.kind !== 'op') return undefined;
    return COMPARISON_OPERATORS.find((op) => op === token.op);
  }

  private parseComparison(): ConditionAst {
    const left = this.parseUnary();
    const opToken = this.peek();
    const op = this.comparisonOperator(opToken);
    if (!op) return left;
    this.next();
    const right = this.parseUnary();
    const chained = this.peek();
    if (this.comparisonOperator(chained))
      throw new ConditionSyntaxError(
        `comparisons cannot be chained; add parentheses before ${describeToken(chained)}`,
        chained.column,
      );
    return { kind: 'compare', op, left, right, column: opToken.column };
  }

  private parseUnary(): ConditionAst {
    const token = this.peek();
    if (!this.isOp('!', token)) return this.parsePrimary();
    this.next();
    return this.nested(token.column, () => ({
      kind: 'not',
      operand: this.parseUnary(),
      column: token.column,
    }));
  }

  private parseList(close: string): ConditionAst[] {
    const items: ConditionAst[] = [];
    if (this.isOp(close)) {
      this.next();
      return items;
    }
    for (;;) {
      items.push(this.parseOr());
      const token = this.next();
      if (this.isOp(close, token)) return items;
      if (!this.isOp(',', token))
        throw new ConditionSyntaxError(
          `expected "," or "${close}" but found ${describeToken(token)}`,
          token.column,
        );
    }
  }

  private parsePrimary(): ConditionAst {
    const token = this.next();
    const column = token.column;
    switch (token.kind) {
      case 'number':
      case 'string':
        return { kind: 'literal', value: token.value, column };
      case 'path':
        return { kind: 'path', path: token.path, column };
      case 'word':
        return this.parseWord(token.word, column, token);
      case 'op':
        if (token.op === '(')
          return this.nested(column, () => {
            const inner = this.parseOr();
            this.expectOp(')');
            return inner;
          });
        if (token.op === '[')
          return this.nested(column, () => ({
            kind: 'array',
            items: this.parseList(']'),
            column,
          }));
        return this.unexpected(token);
      default:
        return this.unexpected(token);
    }
  }

  private parseWord(word: string, column: number, token: Token): ConditionAst {
    if (Object.prototype.hasOwnProperty.call(LITERAL_WORDS, word))
      return { kind: 'literal', value: LITERAL_WORDS[word], column };
    if (!isFunction(word)) {
      if (word === 'in') this.unexpected(token);
      throw new ConditionSyntaxError(
        `unknown name "${word}"; expected a path (input…, steps.<id>.output…), a literal or one of ${Object.keys(CONDITION_FUNCTIONS).join(', ')}`,
        column,
      );
    }
    if (!this.isOp('('))
      throw new ConditionSyntaxError(
        `expected "(" after ${word} but found ${describeToken(this.peek())}`,
        this.peek().column,
      );
    this.next();
    const args = this.nested(column, () => this.parseList(')'));
    const arity = CONDITION_FUNCTIONS[word];
    if (args.length !== arity)
      throw new ConditionSyntaxError(
        `${word}() takes ${arity} argument${arity === 1 ? '' : 's'}, got ${args.length}`,
        column,
      );
    if (word === 'exists' && args[0].kind !== 'path')
      throw new ConditionSyntaxError('exists() takes a path', args[0].column);
    return { kind: 'call', fn: word, args, column };
  }
}

/** Parses a condition expression; throws ConditionSyntaxError (with a 1-based column). */
export function parseCondition(source: string): ConditionAst {
  if (source.length > CONDITION_LIMITS.maxLength)
    throw new ConditionSyntaxError(
      `expression is longer than ${CONDITION_LIMITS.maxLength} characters`,
      CONDITION_LIMITS.maxLength + 1,
    );
  const tokens = tokenize(source);
  if (tokens[0].kind === 'end') throw new ConditionSyntaxError('empty expression', 1);
  return new ConditionParser(tokens).parse();
}

/** Every path an expression reads, in source order. */
export function conditionPaths(ast: ConditionAst): { path: ValuePath; column: number }[] {
  switch (ast.kind) {
    case 'literal':
      return [];
    case 'path':
      return [{ path: ast.path, column: ast.column }];
    case 'array':
      return ast.items.flatMap(conditionPaths);
    case 'not':
      return conditionPaths(ast.operand);
    case 'and':
    case 'or':
      return ast.operands.flatMap(conditionPaths);
    case 'compare':
      return [...conditionPaths(ast.left), ...conditionPaths(ast.right)];
    case 'call':
      return ast.args.flatMap(conditionPaths);
  }
}

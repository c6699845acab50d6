import {
  CONDITION_LIMITS,
  conditionPaths,
  ConditionSyntaxError,
  parseCondition,
  type ConditionAst,
} from './expression';
import { formatPath } from './value-path';

/** A compact rendering of an AST: `(and (== input.a 1) (not true))`. */
function show(ast: ConditionAst): string {
  switch (ast.kind) {
    case 'literal':
      return JSON.stringify(ast.value);
    case 'path':
      return formatPath(ast.path);
    case 'array':
      return `[${ast.items.map(show).join(' ')}]`;
    case 'not':
      return `(not ${show(ast.operand)})`;
    case 'and':
    case 'or':
      return `(${ast.kind} ${ast.operands.map(show).join(' ')})`;
    case 'compare':
      return `(${ast.op} ${show(ast.left)} ${show(ast.right)})`;
    case 'call':
      return `(${ast.fn} ${ast.args.map(show).join(' ')})`;
  }
}

const parsed = (source: string) => show(parseCondition(source));

function syntaxError(source: string): string {
  try {
    parseCondition(source);
  } catch (error) {
    if (error instanceof ConditionSyntaxError) return error.message;
    throw error;
  }
  throw new Error(`"${source}" parsed`);
}

describe('parseCondition: precedence', () => {
  it('binds && tighter than ||', () => {
    expect(parsed('input.a || input.b && input.c')).toBe('(or input.a (and input.b input.c))');
    expect(parsed('input.a && input.b || input.c')).toBe('(or (and input.a input.b) input.c)');
  });

  it('binds comparisons tighter than && and ||', () => {
    expect(parsed("steps.classify.output.priority == 'high' && input.amount > 100")).toBe(
      '(and (== steps.classify.output.priority "high") (> input.amount 100))',
    );
    expect(parsed('input.a != 1 || input.b <= 2')).toBe('(or (!= input.a 1) (<= input.b 2))');
  });

  it('binds ! tighter than comparisons and &&', () => {
    expect(parsed('!input.a == true')).toBe('(== (not input.a) true)');
    expect(parsed('!input.a && input.b')).toBe('(and (not input.a) input.b)');
    expect(parsed('!!input.a')).toBe('(not (not input.a))');
  });

  it('lets parentheses override precedence', () => {
    expect(parsed('(input.a || input.b) && input.c')).toBe('(and (or input.a input.b) input.c)');
    expect(parsed('!(input.a == 1)')).toBe('(not (== input.a 1))');
  });

  it('flattens chains of the same logical operator', () => {
    expect(parsed('true && false && null')).toBe('(and true false null)');
    expect(parsed('true || false || null')).toBe('(or true false null)');
  });

  it('parses every comparison operator', () => {
    for (const op of ['==', '!=', '<', '<=', '>', '>='])
      expect(parsed(`input.a ${op} 1`)).toBe(`(${op} input.a 1)`);
    expect(parsed("input.tier in ['gold', 'silver']")).toBe('(in input.tier ["gold" "silver"])');
    expect(parsed('input.tier in steps.plans.output.tiers')).toBe(
      '(in input.tier steps.plans.output.tiers)',
    );
  });
});

describe('parseCondition: values', () => {
  it('parses number literals', () => {
    expect(parseCondition('12')).toMatchObject({ kind: 'literal', value: 12 });
    expect(parseCondition('-3.5')).toMatchObject({ kind: 'literal', value: -3.5 });
    expect(parseCondition('1e3')).toMatchObject({ kind: 'literal', value: 1000 });
    expect(parseCondition('2.5E-1')).toMatchObject({ kind: 'literal', value: 0.25 });
  });

  it('parses string literals in both quotes with escapes', () => {
    expect(parseCondition(`'it\\'s'`)).toMatchObject({ value: "it's" });
    expect(parseCondition(`"say \\"hi\\""`)).toMatchObject({ value: 'say "hi"' });
    expect(parseCondition(`'a\\nb\\tc\\\\d\\u00e9'`)).toMatchObject({ value: 'a\nb\tc\\dé' });
    expect(parseCondition(`"it's"`)).toMatchObject({ value: "it's" });
  });

  it('parses true, false and null', () => {
    expect(parsed('[true, false, null]')).toBe('[true false null]');
    expect(parsed('[]')).toBe('[]');
  });

  it('parses paths into input and step outputs', () => {
    expect(parseCondition('steps.my-step.output.items[2]["full name"].x')).toMatchObject({
      kind: 'path',
      path: { root: 'step', stepId: 'my-step', segments: ['items', 2, 'full name', 'x'] },
      column: 1,
    });
    expect(parseCondition('input')).toMatchObject({ path: { root: 'input', segments: [] } });
  });

  it('parses function calls', () => {
    expect(parsed('exists(input.a)')).toBe('(exists input.a)');
    expect(parsed("contains(lower(input.text), 'refund')")).toBe(
      '(contains (lower input.text) "refund")',
    );
    expect(parsed('len(upper(input.s)) >= 3')).toBe('(>= (len (upper input.s)) 3)');
  });

  it('records columns', () => {
    const ast = parseCondition('input.a == 1 && steps.b.output');
    expect(ast).toMatchObject({ kind: 'and', column: 14 });
    expect(conditionPaths(ast)).toEqual([
      { path: { root: 'input', segments: ['a'] }, column: 1 },
      { path: { root: 'step', stepId: 'b', segments: [] }, column: 17 },
    ]);
  });
});

describe('parseCondition: errors', () => {
  it.each([
    ['(input.a == 1))', 'unexpected ")" at column 15'],
    ['input.a == 1 && )', 'unexpected ")" at column 17'],
    ['input.a ==', 'unexpected end of expression at column 11'],
    ['(input.a == 1', 'expected ")" but found end of expression at column 14'],
    ['input.a = 1', 'unexpected "="; did you mean "=="? at column 9'],
    ['input.a & true', 'unexpected "&"; did you mean "&&"? at column 9'],
    ['input.a | true', 'unexpected "|"; did you mean "||"? at column 9'],
    ['input.a == #', 'unexpected "#" at column 12'],
    ["input.a == 'open", 'unterminated string at column 12'],
    ["'a\\qb'", 'invalid escape "\\q" in string at column 3'],
    ['1 < 2 < 3', 'comparisons cannot be chained; add parentheses before "<" at column 7'],
    ['1 == 1 in [1]', 'comparisons cannot be chained; add parentheses before "in" at column 8'],
    ['input.a input.b', 'unexpected "input.b" at column 9'],
    ['in [1]', 'unexpected "in" at column 1'],
    ['[1, 2', 'expected "," or "]" but found end of expression at column 6'],
    ['[1 2]', 'expected "," or "]" but found "2" at column 4'],
    ['1e999 > 1', 'number out of range at column 1'],
    ['', 'empty expression at column 1'],
    ['   ', 'empty expression at column 1'],
    ['steps.x', 'expected ".output" after "steps.x" at column 8'],
    ['steps.X.output', 'invalid step id "X" at column 7'],
    ['input.', 'expected a key after "." but found end of text at column 7'],
    ['input[x]', 'expected an index or a quoted key after "[" but found "x" at column 7'],
    ['input[1', 'expected "]" but found end of text at column 8'],
    [
      'inputs == 1',
      'unknown name "inputs"; expected a path (input…, steps.<id>.output…), a literal or one of exists, len, contains, lower, upper at column 1',
    ],
  ])('%s → %s', (source, message) => {
    expect(syntaxError(source)).toBe(message);
  });

  it('rejects unknown names, including JavaScript globals', () => {
    for (const name of ['constructor', 'process', 'globalThis', 'eval', 'Function', 'this']) {
      expect(syntaxError(`${name} == 1`)).toBe(
        `unknown name "${name}"; expected a path (input…, steps.<id>.output…), a literal or one of exists, len, contains, lower, upper at column 1`,
      );
    }
    expect(syntaxError('input.constructor()')).toBe('unexpected "(" at column 18');
  });

  it('checks function calls', () => {
    expect(syntaxError('len(input.a, 2)')).toBe('len() takes 1 argument, got 2 at column 1');
    expect(syntaxError('true && contains(input.a)')).toBe(
      'contains() takes 2 arguments, got 1 at column 9',
    );
    expect(syntaxError("exists('a')")).toBe('exists() takes a path at column 8');
    expect(syntaxError('len input.a')).toBe(
      'expected "(" after len but found "input.a" at column 5',
    );
  });

  it('carries the column on the error', () => {
    const error = (() => {
      try {
        parseCondition('true && )');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConditionSyntaxError);
    expect(error).toMatchObject({ column: 9, reason: 'unexpected ")"' });
  });
});

describe('parseCondition: limits', () => {
  const nest = (depth: number, open: string, close: string) =>
    `${open.repeat(depth)}true${close.repeat(depth)}`;

  it(`accepts ${CONDITION_LIMITS.maxLength} characters and rejects one more`, () => {
    const longest = `'${'x'.repeat(CONDITION_LIMITS.maxLength - 2)}'`;
    expect(parseCondition(longest)).toMatchObject({ kind: 'literal' });
    expect(syntaxError(`${longest} `)).toBe(
      'expression is longer than 1000 characters at column 1001',
    );
  });

  it(`accepts ${CONDITION_LIMITS.maxDepth} levels of nesting and rejects 33`, () => {
    expect(parseCondition(nest(32, '(', ')'))).toMatchObject({ kind: 'literal', value: true });
    expect(syntaxError(nest(33, '(', ')'))).toBe(
      'expression nests deeper than 32 levels at column 33',
    );
    expect(parseCondition(nest(32, '!', ''))).toMatchObject({ kind: 'not' });
    expect(syntaxError(nest(33, '!', ''))).toBe(
      'expression nests deeper than 32 levels at column 33',
    );
    expect(syntaxError(nest(33, '[', ']'))).toBe(
      'expression nests deeper than 32 levels at column 33',
    );
    expect(parseCondition(nest(32, 'lower(', ')'))).toMatchObject({ kind: 'call' });
    expect(syntaxError(nest(33, 'lower(', ')'))).toBe(
      'expression nests deeper than 32 levels at column 193',
    );
  });

  it('counts mixed nesting', () => {
    expect(syntaxError(`${'!('.repeat(17)}true${')'.repeat(17)}`)).toBe(
      'expression nests deeper than 32 levels at column 33',
    );
  });
});

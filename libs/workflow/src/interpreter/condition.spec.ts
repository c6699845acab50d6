import { ConditionSyntaxError, parseCondition } from '@gnomon/contracts';
import { evaluateCondition, jsonEqual } from './condition';
import type { RunScope } from './run-scope';

const scope: RunScope = {
  input: {
    amount: 150,
    zero: 0,
    text: 'Refund please',
    empty: '',
    tier: 'gold',
    tiers: ['gold', 'silver'],
    vip: true,
    off: false,
    note: null,
    obj: { a: 1, b: [1, 2] },
    list: [1, 'two', { three: 3 }],
    emoji: '👍ok',
  },
  steps: {
    classify: { output: { priority: 'high', confidence: 0.93 } },
    plain: { output: 'ok' },
  },
};

const holds = (source: string) => evaluateCondition(source, scope);

describe('evaluateCondition: the language example', () => {
  it('evaluates the branch condition of the example', () => {
    const when = "steps.classify.output.priority == 'high' && input.amount > 100";
    expect(holds(when)).toBe(true);
    expect(evaluateCondition(when, { ...scope, input: { amount: 100 } })).toBe(false);
  });

  it('accepts a parsed AST as well as source', () => {
    expect(evaluateCondition(parseCondition('input.vip'), scope)).toBe(true);
  });
});

describe('evaluateCondition: operators', () => {
  it.each([
    ['input.amount == 150', true],
    ['input.amount == 151', false],
    ["input.tier == 'gold'", true],
    ['input.amount != 150', false],
    ["input.tier != 'silver'", true],
    ['input.amount < 151', true],
    ['input.amount < 150', false],
    ['input.amount <= 150', true],
    ['input.amount > 149.5', true],
    ['input.amount >= 150.01', false],
    ["'apple' < 'banana'", true],
    ["'b' >= 'a'", true],
    ["'B' > 'a'", false],
    ['input.vip && input.amount > 100', true],
    ['input.vip && input.off', false],
    ['input.off || input.vip', true],
    ['input.off || input.note', false],
    ['!input.off', true],
    ['!input.vip', false],
    ['!(input.amount > 100)', false],
    ["input.tier in ['gold', 'platinum']", true],
    ["'bronze' in input.tiers", false],
    ['input.tier in input.tiers', true],
    ['input.obj in [1, 2]', false],
    ['input.obj in [1, input.obj]', true],
    ['null in [1, null]', true],
  ])('%s → %s', (source, expected) => {
    expect(holds(source)).toBe(expected);
  });

  it('applies precedence: && before ||, ! before comparison', () => {
    expect(holds('input.vip || input.off && input.off')).toBe(true); // vip || (off && off)
    expect(holds('(input.vip || input.off) && input.off')).toBe(false);
    expect(holds('!input.off == true')).toBe(true); // (!off) == true
    expect(holds('!input.vip == false')).toBe(true); // (!vip) == false
  });
});

describe('evaluateCondition: strict types', () => {
  it.each([
    ["input.amount == '150'", false],
    ["input.amount != '150'", true],
    ['input.zero == false', false],
    ['input.empty == false', false],
    ['input.note == false', false],
    ['input.note == null', true],
    ['input.missing == null', true],
    ["input.amount > '100'", false],
    ["input.amount < '100'", false],
    ["'150' >= 100", false],
    ['input.vip > false', false],
    ['input.note < 1', false],
    ['input.list > 0', false],
    ['input.obj == input.obj', true],
    ['input.obj == input.list', false],
    ['[1, 2] == [1, 2]', true],
    ['[1, 2] == [2, 1]', false],
    ["input.tier in 'golden'", false],
    ['1 in 1', false],
  ])('%s → %s', (source, expected) => {
    expect(holds(source)).toBe(expected);
  });

  it('treats only true as true in logic and in the result', () => {
    expect(holds('input.amount')).toBe(false);
    expect(holds('input.text && true')).toBe(false);
    expect(holds('input.zero || input.empty || input.note')).toBe(false);
    expect(holds('!input.text')).toBe(true);
    expect(holds('!input.missing')).toBe(true);
    expect(holds("'true'")).toBe(false);
  });

  it('compares JSON values deeply', () => {
    expect(jsonEqual({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
  });
});

describe('evaluateCondition: paths and functions', () => {
  it('evaluates a missing path to null without throwing', () => {
    expect(holds('input.a.b.c == null')).toBe(true);
    expect(holds('steps.nothing.output.x == null')).toBe(true);
    expect(holds('steps.plain.output.x == null')).toBe(true);
    expect(holds('input.list[9] == null')).toBe(true);
    expect(holds('input.list[2].three == 3')).toBe(true);
    expect(holds('input.obj[0] == null')).toBe(true);
  });

  it('never reaches JavaScript prototypes or built-in members', () => {
    expect(holds('input.constructor == null')).toBe(true);
    expect(holds('input.obj.__proto__ == null')).toBe(true);
    expect(holds('input.obj.hasOwnProperty == null')).toBe(true);
    expect(holds('input.text.length == null')).toBe(true);
    expect(holds('input.list.length == null')).toBe(true);
    expect(holds('exists(input.constructor)')).toBe(false);
    expect(holds('exists(steps.constructor.output)')).toBe(false);
    expect(holds('len(input.constructor) == null')).toBe(true);
  });

  it('exists: true for a present value, null included', () => {
    expect(holds('exists(input.amount)')).toBe(true);
    expect(holds('exists(input.note)')).toBe(true);
    expect(holds('exists(input.nope)')).toBe(false);
    expect(holds('exists(steps.classify.output.priority)')).toBe(true);
    expect(holds('exists(steps.later.output)')).toBe(false);
  });

  it('len counts characters, items and keys, else null', () => {
    expect(holds('len(input.text) == 13')).toBe(true);
    expect(holds('len(input.emoji) == 3')).toBe(true);
    expect(holds('len(input.list) == 3')).toBe(true);
    expect(holds('len(input.obj) == 2')).toBe(true);
    expect(holds('len(input.amount) == null')).toBe(true);
    expect(holds('len(input.missing) == null')).toBe(true);
  });

  it('contains searches strings and arrays, else false', () => {
    expect(holds("contains(input.text, 'fund')")).toBe(true);
    expect(holds("contains(input.text, 'FUND')")).toBe(false);
    expect(holds("contains(input.tiers, 'silver')")).toBe(true);
    expect(holds('contains(input.list, input.list[2])')).toBe(true);
    expect(holds("contains(input.list, 'three')")).toBe(false);
    expect(holds('contains(input.text, 1)')).toBe(false);
    expect(holds("contains(input.obj, 'a')")).toBe(false);
    expect(holds("contains(input.missing, 'a')")).toBe(false);
  });

  it('lower and upper change case of strings, else null', () => {
    expect(holds("contains(lower(input.text), 'refund')")).toBe(true);
    expect(holds("upper(input.tier) == 'GOLD'")).toBe(true);
    expect(holds('lower(input.amount) == null')).toBe(true);
  });
});

describe('evaluateCondition: errors', () => {
  it('throws ConditionSyntaxError for malformed source', () => {
    expect(() => holds('input.amount >')).toThrow(ConditionSyntaxError);
  });

  it('does not throw on odd scopes', () => {
    const odd = { input: undefined, steps: {} } as RunScope;
    expect(evaluateCondition('input == null && !exists(input)', odd)).toBe(true);
    const weird = { input: 1, steps: { a: null } } as unknown as RunScope;
    expect(evaluateCondition('steps.a.output == null', weird)).toBe(true);
  });
});

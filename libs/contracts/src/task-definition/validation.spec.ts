import { definitionOf, issuesOf, llm, SUPPORT_TASK, tool } from './task-definition.fixtures';
import { TaskDefinition } from './task-definition.schema';
import { stepTemplates, taskDefinitionIssues } from './validation';

const approval = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'approval',
  prompt: 'OK?',
  ...extra,
});
const branch = (id: string, cases: [string, string][], fallback: string, extra = {}) => ({
  id,
  type: 'branch',
  cases: cases.map(([when, next]) => ({ when, next })),
  default: fallback,
  ...extra,
});

describe('step references', () => {
  it('rejects duplicate step ids', () => {
    expect(issuesOf(definitionOf([tool('a', { next: 'b' }), tool('b'), tool('a')]))).toEqual([
      'steps[2].id: duplicate step id "a" (also steps[0])',
    ]);
  });

  it('rejects an unknown start', () => {
    expect(issuesOf(definitionOf([tool('a')], { start: 'begin' }))).toEqual([
      'start: unknown step "begin"',
      // Nothing is reachable from a start that does not exist, but that is not reported twice.
    ]);
  });

  it('rejects unknown steps in every exit field', () => {
    const steps = [
      tool('a', { next: 'r' }),
      branch(
        'r',
        [
          ['true', 'x1'],
          ['false', 'ok'],
        ],
        'x2',
      ),
      approval('ok', { next: 'x3', onReject: 'x4', onTimeout: 'x5' }),
      { id: 'fan', type: 'parallel', branches: [{ start: 'x6' }, { start: 'p' }], next: 'x7' },
      tool('p'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[1].cases[0].next: unknown step "x1"',
      'steps[1].default: unknown step "x2"',
      'steps[2].next: unknown step "x3"',
      'steps[2].onReject: unknown step "x4"',
      'steps[2].onTimeout: unknown step "x5"',
      'steps[3].branches[0].start: unknown step "x6"',
      'steps[3].next: unknown step "x7"',
      'steps[3]: step "fan" is not reachable from start "a"',
      'steps[4]: step "p" is not reachable from start "a"',
    ]);
  });

  it('reports a malformed reference once, by its format', () => {
    expect(issuesOf(definitionOf([tool('a', { next: 'Not An Id' })]))).toEqual([
      'steps[0].next: lower-case letters, digits, _ and -, starting with a letter (max 63)',
    ]);
  });

  it('rejects steps that cannot be reached from start', () => {
    expect(issuesOf(definitionOf([tool('a'), tool('b', { next: 'c' }), tool('c')]))).toEqual([
      'steps[1]: step "b" is not reachable from start "a"',
      'steps[2]: step "c" is not reachable from start "a"',
    ]);
  });

  it('reports every problem at once', () => {
    const steps = [
      llm('a', { next: 'gone', prompt: 'Hi {{steps.ghost.output}}' }),
      tool('a'),
      branch('r', [['input.x ==', 'a']], 'a'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[2].cases[0].when: unexpected end of expression at column 11',
      'steps[1].id: duplicate step id "a" (also steps[0])',
      'steps[0].next: unknown step "gone"',
      'steps[0].prompt: unknown step "ghost" at column 4',
      'steps[2]: step "r" is not reachable from start "a"',
    ]);
  });
});

describe('templates in definitions', () => {
  it('accepts placeholders over the input and known steps', () => {
    const steps = [
      llm('a', {
        next: 'b',
        system: 'Be {{ input.tone }}',
        prompt: '{{input.items[0]["full name"]}}',
      }),
      tool('b', { input: { nested: [{ x: 'v={{steps.a.output.v}}' }], n: 3, ok: true } }),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([]);
  });

  it('rejects malformed templates in every templated field, with the column', () => {
    const steps = [
      llm('a', { next: 'b', system: 'Be {{input.tone', prompt: 'x {{}}' }),
      approval('b', { prompt: 'Pay {{ amount }}?', next: 'c' }),
      tool('c', { input: { list: ['ok', { deep: '{{input.a..b}}' }], key: '{{steps.a}}' } }),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[0].system: unclosed "{{" at column 4',
      'steps[0].prompt: empty placeholder at column 3',
      'steps[1].prompt: unknown name "amount"; a path starts with input or steps.<id>.output at column 8',
      'steps[2].input.list[1].deep: expected a key after "." but found "." at column 11',
      'steps[2].input.key: expected ".output" after "steps.a" at column 10',
    ]);
  });

  it('rejects placeholders that name unknown steps, in every templated field', () => {
    const steps = [
      llm('a', { next: 'b', system: '{{steps.nope.output}}', prompt: 'x {{steps.a.output}}' }),
      approval('b', { prompt: 'Pay {{steps.pay.output.amount}}?', next: 'c' }),
      tool('c', { input: { list: ['{{steps.zz.output}}'] } }),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[0].system: unknown step "nope" at column 1',
      'steps[1].prompt: unknown step "pay" at column 5',
      'steps[2].input.list[0]: unknown step "zz" at column 1',
    ]);
  });
});

describe('conditions in definitions', () => {
  it('rejects malformed conditions with the column', () => {
    const steps = [
      branch(
        'r',
        [
          ['input.a == 1', 'b'],
          ['(input.a == 1))', 'b'],
        ],
        'b',
      ),
      tool('b'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[0].cases[1].when: unexpected ")" at column 15',
    ]);
  });

  it('rejects conditions that read unknown steps', () => {
    const steps = [
      branch('r', [['exists(steps.b.output) && steps.c.output.x > 1', 'b']], 'b'),
      tool('b'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[0].cases[0].when: unknown step "c" at column 27',
    ]);
  });
});

describe('taskDefinitionIssues and stepTemplates', () => {
  it('has no issue for the language example', () => {
    expect(taskDefinitionIssues(TaskDefinition.parse(SUPPORT_TASK))).toEqual([]);
  });

  it('lists the templated strings of a step with their paths', () => {
    const parsed = TaskDefinition.parse(
      definitionOf([tool('a', { input: { a: ['x', { b: 'y' }], n: 1 } })]),
    );
    expect(stepTemplates(parsed.steps[0])).toEqual([
      { source: 'x', path: ['input', 'a', 0] },
      { source: 'y', path: ['input', 'a', 1, 'b'] },
    ]);
  });
});

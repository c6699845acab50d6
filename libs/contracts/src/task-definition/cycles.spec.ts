import { definitionOf, issuesOf, tool } from './task-definition.fixtures';

const NO_BOUND = 'has no bound; set maxVisits on one of its steps';
const branch = (id: string, when: string, next: string, fallback: string, extra = {}) => ({
  id,
  type: 'branch',
  cases: [{ when, next }],
  default: fallback,
  ...extra,
});

describe('cycles', () => {
  it('rejects a step that leads to itself without a bound', () => {
    expect(issuesOf(definitionOf([tool('a', { next: 'a' })]))).toEqual([
      `steps[0].next: cycle a → a ${NO_BOUND}`,
    ]);
    expect(issuesOf(definitionOf([tool('a', { next: 'a', maxVisits: 3 })]))).toEqual([]);
  });

  it('rejects an unbounded cycle at the edge that closes it', () => {
    const steps = [
      tool('classify', { next: 'route' }),
      branch('route', 'input.retry == true', 'classify', 'done'),
      tool('done'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      `steps[1].cases[0].next: cycle classify → route → classify ${NO_BOUND}`,
    ]);
  });

  it.each([0, 1])('accepts the cycle when step %i has maxVisits', (bounded) => {
    const steps = [
      tool('classify', { next: 'route' }),
      branch('route', 'input.retry == true', 'classify', 'done'),
      tool('done'),
    ];
    Object.assign(steps[bounded], { maxVisits: 4 });
    expect(issuesOf(definitionOf(steps))).toEqual([]);
  });

  it('follows default, onReject and onTimeout edges (reporting the shortest cycle)', () => {
    const approval = {
      id: 'ask',
      type: 'approval',
      prompt: 'OK?',
      onReject: 'fix',
      onTimeout: 'end',
    };
    const steps: Record<string, unknown>[] = [
      approval,
      tool('fix', { next: 'check' }),
      branch('check', 'false', 'end', 'ask'),
      tool('end'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      `steps[2].default: cycle ask → fix → check → ask ${NO_BOUND}`,
    ]);
    steps[0] = { ...approval, onTimeout: 'ask' };
    expect(issuesOf(definitionOf(steps))).toEqual([
      `steps[0].onTimeout: cycle ask → ask ${NO_BOUND}`,
    ]);
    steps[0] = { ...approval, onTimeout: 'ask', maxVisits: 3 };
    expect(issuesOf(definitionOf(steps))).toEqual([]);
  });

  it('reports each unbounded cycle', () => {
    const steps = [
      tool('a', { next: 'b' }),
      tool('b', { next: 'a2' }),
      branch('a2', 'true', 'a', 'c'),
      tool('c', { next: 'd' }),
      tool('d', { next: 'c' }),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      `steps[2].cases[0].next: cycle a → b → a2 → a ${NO_BOUND}`,
      `steps[4].next: cycle c → d → c ${NO_BOUND}`,
    ]);
  });

  it('rejects an inner cycle that avoids the bounded step', () => {
    // a ⇄ b is bounded by a, but b ⇄ c loops forever without passing a.
    const steps = [
      tool('a', { next: 'b', maxVisits: 2 }),
      branch('b', 'input.x == 1', 'a', 'c'),
      branch('c', 'input.y == 1', 'b', 'end'),
      tool('end'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      `steps[2].cases[0].next: cycle b → c → b ${NO_BOUND}`,
    ]);
  });

  it('treats a parallel step and its join as graph edges', () => {
    const steps = [
      { id: 'fan', type: 'parallel', branches: [{ start: 'x' }, { start: 'y' }], next: 'join' },
      tool('x'),
      tool('y'),
      branch('join', 'input.again == true', 'fan', 'end'),
      tool('end'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      `steps[3].cases[0].next: cycle fan → join → fan ${NO_BOUND}`,
    ]);
    Object.assign(steps[0], { maxVisits: 3 });
    expect(issuesOf(definitionOf(steps))).toEqual([]);
  });
});

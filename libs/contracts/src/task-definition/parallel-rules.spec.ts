import { definitionOf, issuesOf, llm, tool } from './task-definition.fixtures';

const fan = (branches: string[], next = 'join', extra = {}) => ({
  id: 'fan',
  type: 'parallel',
  branches: branches.map((start) => ({ start })),
  next,
  ...extra,
});
const approval = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'approval',
  prompt: 'OK?',
  ...extra,
});

describe('parallel branches', () => {
  it('accepts branches of several steps, with a bounded loop and a branching step inside', () => {
    const steps = [
      fan(['a', 'b']),
      tool('a', { next: 'a2' }),
      {
        id: 'a2',
        type: 'branch',
        cases: [{ when: 'len(steps.a2.output) < 3', next: 'a' }],
        default: 'a3',
        maxVisits: 5,
      },
      tool('a3'),
      llm('b'),
      tool('join'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([]);
  });

  it('rejects a branch that starts at its own parallel step', () => {
    const steps = [fan(['fan', 'b'], 'join', { maxVisits: 2 }), tool('b'), tool('join')];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[0].branches[0].start: a branch cannot start at its own parallel step',
    ]);
  });

  it('rejects a branch that leads back to its parallel step', () => {
    const steps = [
      fan(['a', 'b'], 'join', { maxVisits: 2 }),
      tool('a', { next: 'fan' }),
      tool('b'),
      tool('join'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[0].branches[0].start: branch leads back to its parallel step "fan"',
    ]);
  });

  it('rejects approval and parallel steps inside a branch', () => {
    const steps = [
      fan(['a', 'b']),
      approval('a'),
      tool('b', { next: 'inner' }),
      { id: 'inner', type: 'parallel', branches: [{ start: 'c' }, { start: 'd' }], next: 'e' },
      tool('c'),
      tool('d'),
      tool('e'),
      tool('join'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[0].branches[0]: branch contains approval step "a"; approval and parallel steps cannot run inside a parallel branch',
      'steps[0].branches[1]: branch contains parallel step "inner"; approval and parallel steps cannot run inside a parallel branch',
    ]);
  });

  it('rejects branches that share steps', () => {
    const steps = [
      fan(['a', 'b', 'c']),
      tool('a', { next: 'shared' }),
      tool('b', { next: 'shared' }),
      tool('c'),
      tool('shared'),
      tool('join'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[2].next: "shared" is inside branches[0] of parallel step "fan" and can only be entered through the branch start "a"',
      'steps[1].next: "shared" is inside branches[1] of parallel step "fan" and can only be entered through the branch start "b"',
      'steps[0].branches[1]: branch shares step "shared" with branches[0]',
    ]);
  });

  it('rejects entering a branch from outside, at its start or inside it', () => {
    const steps = [
      tool('begin', { next: 'router' }),
      {
        id: 'router',
        type: 'branch',
        cases: [{ when: 'input.x == 1', next: 'a2' }],
        default: 'fan',
      },
      fan(['a', 'b']),
      tool('a', { next: 'a2' }),
      tool('a2'),
      tool('b'),
      tool('join', { next: 'b' }),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[1].cases[0].next: "a2" is inside branches[0] of parallel step "fan" and can only be entered through the branch start "a"',
      'steps[6].next: "b" is inside branches[1] of parallel step "fan" and can only be entered through the branch start "b"',
    ]);
  });

  it('rejects a join inside a branch and a run that starts inside one', () => {
    const steps = [fan(['a', 'b'], 'a'), tool('a'), tool('b')];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[0].next: "a" is inside branches[0] of parallel step "fan" and can only be entered through the branch start "a"',
    ]);
    const startInside = [
      tool('b', { next: 'fan' }),
      fan(['a', 'b'], 'join', { maxVisits: 3 }),
      tool('a'),
      tool('join'),
    ];
    expect(issuesOf(definitionOf(startInside))).toEqual([
      'steps[1].branches[1].start: branch leads back to its parallel step "fan"',
    ]);
    const startAtBranch = [tool('a'), fan(['a', 'b']), tool('b'), tool('join')];
    expect(issuesOf(definitionOf(startAtBranch))).toEqual([
      'steps[1]: step "fan" is not reachable from start "a"',
      'steps[2]: step "b" is not reachable from start "a"',
      'steps[3]: step "join" is not reachable from start "a"',
      'start: "a" is inside branches[0] of parallel step "fan" and can only be entered through the branch start "a"',
    ]);
  });

  it('rejects a branch that never ends', () => {
    const steps = [
      fan(['a', 'b']),
      tool('a', { next: 'a2', maxVisits: 3 }),
      tool('a2', { next: 'a' }),
      tool('b'),
      tool('join'),
    ];
    expect(issuesOf(definitionOf(steps))).toEqual([
      'steps[0].branches[0]: branch never ends: each of its steps leads to another',
    ]);
  });
});

import { stepById, reachableSteps, stepExits } from './graph';
import { checkTaskReferences, modelNamesOf, toolNamesOf } from './references';
import { SUPPORT_TASK } from './task-definition.fixtures';
import { TaskDefinition } from './task-definition.schema';

const task = TaskDefinition.parse(SUPPORT_TASK);

describe('checkTaskReferences', () => {
  it('finds nothing when every tool and model exists', () => {
    const calls: string[] = [];
    const issues = checkTaskReferences(task, {
      toolExists: (name, version) => (calls.push(`tool ${name}@${version ?? 'current'}`), true),
      modelExists: (name) => (calls.push(`model ${name}`), true),
    });
    expect(issues).toEqual([]);
    expect(calls).toEqual([
      'model gpt-4o-mini',
      'tool crm-lookup@current',
      'tool crm-lookup@3',
      'model cheap',
      'tool crm-history@current',
      'model cheap',
      'model gpt-4o-mini',
      'tool mailer@current',
      'model gpt-4o-mini',
      'tool pager@current',
    ]);
  });

  it('reports unknown tools (with their pinned version) and models, with paths', () => {
    const issues = checkTaskReferences(task, {
      toolExists: (name, version) => name !== 'pager' && !(name === 'crm-lookup' && version === 3),
      modelExists: (name) => name !== 'cheap',
    });
    expect(issues).toEqual([
      { path: ['steps', 2, 'tool'], message: 'unknown tool "crm-lookup" version 3' },
      { path: ['steps', 5, 'model'], message: 'unknown model "cheap"' },
      { path: ['steps', 7, 'model'], message: 'unknown model "cheap"' },
      { path: ['steps', 11, 'tool'], message: 'unknown tool "pager"' },
    ]);
  });

  it('reports unknown tools offered to a model', () => {
    const issues = checkTaskReferences(task, {
      toolExists: (name, version) => !(name === 'crm-lookup' && version === undefined),
      modelExists: () => true,
    });
    expect(issues).toEqual([
      { path: ['steps', 0, 'tools', 0], message: 'unknown tool "crm-lookup"' },
    ]);
  });
});

describe('definition helpers', () => {
  it('lists tool and model names once each, in order of use', () => {
    expect(toolNamesOf(task)).toEqual(['crm-lookup', 'crm-history', 'mailer', 'pager']);
    expect(modelNamesOf(task)).toEqual(['gpt-4o-mini', 'cheap']);
  });

  it('finds steps by id', () => {
    expect(stepById(task, 'review')).toMatchObject({ id: 'review', type: 'approval' });
    expect(stepById(task, 'nope')).toBeUndefined();
  });

  it('lists the exits of each step type with their field paths', () => {
    expect(stepExits(stepById(task, 'route')!)).toEqual([
      { target: 'lookup', path: ['cases', 0, 'next'], kind: 'next' },
      { target: 'fan', path: ['default'], kind: 'next' },
    ]);
    expect(stepExits(stepById(task, 'review')!).map((e) => e.path.join('.'))).toEqual([
      'next',
      'onReject',
      'onTimeout',
    ]);
    expect(stepExits(stepById(task, 'fan')!)).toEqual([
      { target: 'a', path: ['branches', 0, 'start'], kind: 'branch' },
      { target: 'b', path: ['branches', 1, 'start'], kind: 'branch' },
      { target: 'join', path: ['next'], kind: 'next' },
    ]);
    expect(stepExits(stepById(task, 'notify')!)).toEqual([]);
  });

  it('computes the steps reachable from a step', () => {
    expect([...reachableSteps(task, 'b')].sort()).toEqual(['b', 'b2']);
    expect(reachableSteps(task, 'review')).toEqual(
      new Set(['review', 'notify', 'apologise', 'escalate']),
    );
    expect(reachableSteps(task, 'nope').size).toBe(0);
  });
});

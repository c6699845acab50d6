import { TaskDefinition } from '@gnomon/contracts';
import { branchOf, InterpreterError, nextStep } from './next-step';
import type { RunScope } from './run-scope';

const definition = TaskDefinition.parse({
  language: 'gnomon.task/v1',
  start: 'classify',
  steps: [
    { id: 'classify', type: 'llm', model: 'gpt-4o-mini', prompt: '{{input.text}}', next: 'route' },
    {
      id: 'route',
      type: 'branch',
      cases: [
        { when: "steps.classify.output.priority == 'high'", next: 'review' },
        { when: 'input.amount > 100', next: 'lookup' },
        { when: 'input.amount > 50', next: 'review' },
      ],
      default: 'fan',
    },
    { id: 'lookup', type: 'tool', tool: 'crm-lookup', next: 'review' },
    {
      id: 'review',
      type: 'approval',
      prompt: 'OK?',
      next: 'notify',
      onReject: 'apologise',
      onTimeout: 'escalate',
    },
    { id: 'fan', type: 'parallel', branches: [{ start: 'a' }, { start: 'b' }], next: 'join' },
    { id: 'a', type: 'llm', model: 'cheap', prompt: 'a' },
    { id: 'b', type: 'tool', tool: 'crm-history', next: 'b2' },
    { id: 'b2', type: 'tool', tool: 'crm-digest' },
    { id: 'join', type: 'approval', prompt: 'Send?' },
    { id: 'notify', type: 'tool', tool: 'mailer' },
    { id: 'apologise', type: 'llm', model: 'gpt-4o-mini', prompt: 'Sorry' },
    { id: 'escalate', type: 'tool', tool: 'pager' },
  ],
});

const scopeWith = (priority: string, amount: number): RunScope => ({
  input: { text: 't', amount },
  steps: { classify: { output: { priority } } },
});

describe('nextStep', () => {
  it('follows next from llm and tool steps', () => {
    expect(nextStep(definition, 'classify')).toEqual({ kind: 'step', stepId: 'route' });
    expect(nextStep(definition, 'lookup')).toEqual({ kind: 'step', stepId: 'review' });
  });

  it('ends the run successfully after an llm or tool step without next', () => {
    expect(nextStep(definition, 'notify')).toEqual({
      kind: 'end',
      status: 'SUCCEEDED',
      reason: 'step "notify" has no next step',
    });
    expect(nextStep(definition, 'apologise')).toEqual({
      kind: 'end',
      status: 'SUCCEEDED',
      reason: 'step "apologise" has no next step',
    });
  });

  it('takes the first branch case whose condition holds, else the default', () => {
    const route = (priority: string, amount: number) =>
      nextStep(definition, 'route', { scope: scopeWith(priority, amount) });
    expect(route('high', 500)).toEqual({ kind: 'step', stepId: 'review' });
    expect(route('low', 500)).toEqual({ kind: 'step', stepId: 'lookup' });
    expect(route('low', 60)).toEqual({ kind: 'step', stepId: 'review' });
    expect(route('low', 10)).toEqual({ kind: 'step', stepId: 'fan' });
    expect(nextStep(definition, 'route', { scope: { input: {}, steps: {} } })).toEqual({
      kind: 'step',
      stepId: 'fan',
    });
  });

  it('routes approvals by decision', () => {
    expect(nextStep(definition, 'review', { decision: 'approved' })).toEqual({
      kind: 'step',
      stepId: 'notify',
    });
    expect(nextStep(definition, 'review', { decision: 'rejected' })).toEqual({
      kind: 'step',
      stepId: 'apologise',
    });
    expect(nextStep(definition, 'review', { decision: 'expired' })).toEqual({
      kind: 'step',
      stepId: 'escalate',
    });
  });

  it('ends the run by decision when an approval has no exit for it', () => {
    expect(nextStep(definition, 'join', { decision: 'approved' })).toEqual({
      kind: 'end',
      status: 'SUCCEEDED',
      reason: 'approval "join" was approved',
    });
    expect(nextStep(definition, 'join', { decision: 'rejected' })).toEqual({
      kind: 'end',
      status: 'FAILED',
      reason: 'approval "join" was rejected',
    });
    expect(nextStep(definition, 'join', { decision: 'expired' })).toEqual({
      kind: 'end',
      status: 'TIMED_OUT',
      reason: 'approval "join" expired',
    });
  });

  it('fans out a parallel step', () => {
    expect(nextStep(definition, 'fan')).toEqual({
      kind: 'parallel',
      branchStarts: ['a', 'b'],
      join: 'join',
    });
  });

  it('ends only the branch when a step inside a parallel branch has no next', () => {
    expect(nextStep(definition, 'b')).toEqual({ kind: 'step', stepId: 'b2' });
    expect(nextStep(definition, 'b2')).toEqual({
      kind: 'end',
      status: 'SUCCEEDED',
      reason: 'step "b2" has no next step',
      branch: { parallelStepId: 'fan', branchIndex: 1, start: 'b', join: 'join' },
    });
    expect(nextStep(definition, 'a')).toMatchObject({
      kind: 'end',
      branch: { parallelStepId: 'fan', branchIndex: 0, start: 'a', join: 'join' },
    });
  });

  it('refuses an unknown step or a missing outcome', () => {
    expect(() => nextStep(definition, 'nope')).toThrow(new InterpreterError('unknown step "nope"'));
    expect(() => nextStep(definition, 'route')).toThrow(
      new InterpreterError('branch step "route" needs the run scope'),
    );
    expect(() => nextStep(definition, 'review')).toThrow(
      new InterpreterError('approval step "review" needs a decision'),
    );
    expect(() => nextStep(definition, 'review', {})).toThrow(InterpreterError);
  });
});

describe('branchOf', () => {
  it('names the parallel branch a step belongs to', () => {
    expect(branchOf(definition, 'a')).toEqual({
      parallelStepId: 'fan',
      branchIndex: 0,
      start: 'a',
      join: 'join',
    });
    expect(branchOf(definition, 'b2')).toEqual({
      parallelStepId: 'fan',
      branchIndex: 1,
      start: 'b',
      join: 'join',
    });
  });

  it('is undefined outside branches, for the parallel step and for its join', () => {
    for (const id of ['classify', 'fan', 'join', 'notify', 'nope'])
      expect(branchOf(definition, id)).toBeUndefined();
  });
});

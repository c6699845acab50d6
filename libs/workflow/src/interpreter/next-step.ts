import {
  parseCondition,
  reachableSteps,
  stepById,
  type ConditionAst,
  type TaskDefinition,
} from '@gnomon/contracts';
import { evaluateCondition } from './condition';
import type { RunScope } from './run-scope';

export type ApprovalDecision = 'approved' | 'rejected' | 'expired';
export type EndStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

/** Where a step sits in a parallel step: which branch, its start, and the join after it. */
export interface BranchMembership {
  parallelStepId: string;
  branchIndex: number;
  start: string;
  join: string;
}

/** What follows a step. */
export type NextStep =
  | { kind: 'step'; stepId: string }
  | {
      kind: 'end';
      status: EndStatus;
      reason: string;
      /**
       * Set when the ending step is inside a parallel branch: then only the branch ends
       * (status is always SUCCEEDED), and the run goes on at the join once all branches end.
       */
      branch?: BranchMembership;
    }
  | { kind: 'parallel'; branchStarts: string[]; join: string };

/** What the worker learnt from running the step: branch steps need the scope, approvals the decision. */
export interface StepResult {
  scope?: RunScope;
  decision?: ApprovalDecision;
}

/** A misuse of the interpreter (unknown step, missing outcome): a bug in the caller. */
export class InterpreterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterpreterError';
  }
}

/**
 * The parallel branch a step belongs to, if any (in a valid definition a step is in at most one
 * branch). Inside a branch, a step without an exit ends the branch, not the run.
 */
export function branchOf(definition: TaskDefinition, stepId: string): BranchMembership | undefined {
  for (const step of definition.steps) {
    if (step.type !== 'parallel') continue;
    for (const [branchIndex, branch] of step.branches.entries())
      if (reachableSteps(definition, branch.start).has(stepId))
        return { parallelStepId: step.id, branchIndex, start: branch.start, join: step.next };
  }
  return undefined;
}

const conditionCache = new WeakMap<object, ConditionAst>();

function conditionOf(branchCase: { when: string }): ConditionAst {
  let ast = conditionCache.get(branchCase);
  if (!ast) {
    ast = parseCondition(branchCase.when);
    conditionCache.set(branchCase, ast);
  }
  return ast;
}

function end(
  definition: TaskDefinition,
  stepId: string,
  status: EndStatus,
  reason: string,
): NextStep {
  const branch = status === 'SUCCEEDED' ? branchOf(definition, stepId) : undefined;
  return branch ? { kind: 'end', status, reason, branch } : { kind: 'end', status, reason };
}

function goTo(stepId: string): NextStep {
  return { kind: 'step', stepId };
}

/**
 * What follows a finished step of a validated definition:
 * - llm, tool: `next`, else the end (SUCCEEDED; inside a parallel branch, the end of the branch);
 * - branch: the `next` of the first case whose condition holds over `outcome.scope`, else
 *   `default`;
 * - approval: by `outcome.decision`, approved → `next` or end SUCCEEDED, rejected → `onReject`
 *   or end FAILED, expired → `onTimeout` or end TIMED_OUT;
 * - parallel: the branch starts to run and the join to continue at.
 * Throws InterpreterError for an unknown step or a missing outcome.
 */
export function nextStep(
  definition: TaskDefinition,
  stepId: string,
  outcome: StepResult = {},
): NextStep {
  const step = stepById(definition, stepId);
  if (!step) throw new InterpreterError(`unknown step "${stepId}"`);
  switch (step.type) {
    case 'llm':
    case 'tool':
      return step.next !== undefined
        ? goTo(step.next)
        : end(definition, step.id, 'SUCCEEDED', `step "${step.id}" has no next step`);
    case 'branch': {
      const scope = outcome.scope;
      if (!scope) throw new InterpreterError(`branch step "${step.id}" needs the run scope`);
      const match = step.cases.find((c) => evaluateCondition(conditionOf(c), scope));
      return goTo(match ? match.next : step.default);
    }
    case 'approval':
      switch (outcome.decision) {
        case 'approved':
          return step.next !== undefined
            ? goTo(step.next)
            : end(definition, step.id, 'SUCCEEDED', `approval "${step.id}" was approved`);
        case 'rejected':
          return step.onReject !== undefined
            ? goTo(step.onReject)
            : end(definition, step.id, 'FAILED', `approval "${step.id}" was rejected`);
        case 'expired':
          return step.onTimeout !== undefined
            ? goTo(step.onTimeout)
            : end(definition, step.id, 'TIMED_OUT', `approval "${step.id}" expired`);
        default:
          throw new InterpreterError(`approval step "${step.id}" needs a decision`);
      }
    case 'parallel':
      return {
        kind: 'parallel',
        branchStarts: step.branches.map((branch) => branch.start),
        join: step.next,
      };
  }
}

import { reachableSteps, stepExits } from './graph';
import type { ParallelStep, TaskDefinition } from './task-definition.schema';
import type { StepIndex, TaskIssue } from './validation';

/**
 * Rules of parallel branches (v1). A branch is every step reachable from its start. It must:
 * not reach its own parallel step; contain no approval or parallel step; share no step with a
 * sibling branch; be entered only through its start, and only by its parallel step; and have
 * an end (a step without an exit), which ends the branch.
 */
export function parallelIssues(definition: TaskDefinition, steps: StepIndex): TaskIssue[] {
  const issues: TaskIssue[] = [];
  definition.steps.forEach((step, p) => {
    if (step.type !== 'parallel' || steps.get(step.id) !== p) return;
    const seen: { b: number; members: Set<string> }[] = [];
    step.branches.forEach((branch, b) => {
      if (!steps.has(branch.start)) return; // unknown start: reported as a reference
      const members = reachableSteps(definition, branch.start);
      const at = ['steps', p, 'branches', b];
      if (members.has(step.id)) {
        issues.push({
          path: [...at, 'start'],
          message:
            branch.start === step.id
              ? 'a branch cannot start at its own parallel step'
              : `branch leads back to its parallel step "${step.id}"`,
        });
        return;
      }
      issues.push(...branchIssues(definition, steps, step, p, b, members));
      for (const other of seen) {
        const shared = [...members].find((id) => other.members.has(id));
        if (shared === undefined) continue;
        issues.push({
          path: at,
          message: `branch shares step "${shared}" with branches[${other.b}]`,
        });
        break;
      }
      seen.push({ b, members });
    });
  });
  return issues;
}

function branchIssues(
  definition: TaskDefinition,
  steps: StepIndex,
  parallel: ParallelStep,
  p: number,
  b: number,
  members: Set<string>,
): TaskIssue[] {
  const issues: TaskIssue[] = [];
  const at = ['steps', p, 'branches', b];
  const start = parallel.branches[b].start;
  const memberSteps = definition.steps.filter(
    (step, i) => members.has(step.id) && steps.get(step.id) === i,
  );
  for (const member of memberSteps)
    if (member.type === 'approval' || member.type === 'parallel')
      issues.push({
        path: at,
        message: `branch contains ${member.type} step "${member.id}"; approval and parallel steps cannot run inside a parallel branch`,
      });
  if (!memberSteps.some((member) => stepExits(member).length === 0))
    issues.push({ path: at, message: 'branch never ends: each of its steps leads to another' });

  const entered = (id: string) =>
    `"${id}" is inside branches[${b}] of parallel step "${parallel.id}" and can only be entered through the branch start "${start}"`;
  if (members.has(definition.start))
    issues.push({ path: ['start'], message: entered(definition.start) });
  definition.steps.forEach((outside, i) => {
    if (members.has(outside.id) || steps.get(outside.id) !== i) return;
    for (const exit of stepExits(outside)) {
      if (!members.has(exit.target)) continue;
      // The parallel step's own branch edges into this branch: its start (allowed) or a
      // sibling's start inside this branch (reported as shared steps).
      if (outside.id === parallel.id && exit.kind === 'branch') continue;
      issues.push({ path: ['steps', i, ...exit.path], message: entered(exit.target) });
    }
  });
  return issues;
}

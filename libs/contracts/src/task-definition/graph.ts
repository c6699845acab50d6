import type { TaskDefinition, TaskStep } from './task-definition.schema';

/** One outgoing edge of a step: the field that names the target (relative to the step). */
export interface StepExit {
  target: string;
  path: (string | number)[];
  /** `branch`: a parallel step's branch start; `next`: every other edge. */
  kind: 'next' | 'branch';
}

/** The steps a step can lead to, in field order (next, cases, default, onReject, onTimeout). */
export function stepExits(step: TaskStep): StepExit[] {
  const exits: StepExit[] = [];
  const add = (target: string | undefined, path: (string | number)[], kind: StepExit['kind']) => {
    if (target !== undefined) exits.push({ target, path, kind });
  };
  switch (step.type) {
    case 'llm':
    case 'tool':
      add(step.next, ['next'], 'next');
      break;
    case 'approval':
      add(step.next, ['next'], 'next');
      add(step.onReject, ['onReject'], 'next');
      add(step.onTimeout, ['onTimeout'], 'next');
      break;
    case 'branch':
      step.cases.forEach((c, index) => add(c.next, ['cases', index, 'next'], 'next'));
      add(step.default, ['default'], 'next');
      break;
    case 'parallel':
      step.branches.forEach((b, index) => add(b.start, ['branches', index, 'start'], 'branch'));
      add(step.next, ['next'], 'next');
      break;
  }
  return exits;
}

/** The step with this id (the first, should a definition that failed validation repeat it). */
export function stepById(definition: TaskDefinition, id: string): TaskStep | undefined {
  return definition.steps.find((step) => step.id === id);
}

/**
 * Ids of the steps reachable from `from` (itself included) following every exit, branch starts
 * included. Unknown ids are skipped. For a parallel branch start this is the branch.
 */
export function reachableSteps(definition: TaskDefinition, from: string): Set<string> {
  const byId = new Map<string, TaskStep>();
  for (const step of definition.steps) if (!byId.has(step.id)) byId.set(step.id, step);
  const seen = new Set<string>();
  const queue = byId.has(from) ? [from] : [];
  while (queue.length) {
    const id = queue.shift() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const exit of stepExits(byId.get(id) as TaskStep))
      if (byId.has(exit.target) && !seen.has(exit.target)) queue.push(exit.target);
  }
  return seen;
}

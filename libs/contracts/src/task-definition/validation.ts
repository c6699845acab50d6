import type { z } from 'zod';
import { conditionPaths, ConditionSyntaxError, parseCondition } from './expression';
import { cycleIssues } from './cycles';
import { reachableSteps, stepExits } from './graph';
import { parallelIssues } from './parallel-rules';
import type { TaskDefinition, TaskStep } from './task-definition.schema';
import { stringLeaves, templatePaths } from './template';
import { STEP_ID_PATTERN, type ValuePath } from './value-path';

/** A problem in a definition: `path` is relative to the definition (`['steps', 2, 'next']`). */
export interface TaskIssue {
  path: (string | number)[];
  message: string;
}

/** Index of the first step with each id. */
export type StepIndex = ReadonlyMap<string, number>;

/** Every templated string of a step, with its path relative to the step. */
export function stepTemplates(step: TaskStep): { source: string; path: (string | number)[] }[] {
  switch (step.type) {
    case 'llm':
      return [
        ...(step.system !== undefined ? [{ source: step.system, path: ['system'] }] : []),
        { source: step.prompt, path: ['prompt'] },
      ];
    case 'approval':
      return [{ source: step.prompt, path: ['prompt'] }];
    case 'tool':
      return stringLeaves(step.input, ['input']);
    default:
      return [];
  }
}

function unknownStepsIn(
  paths: { path: ValuePath; column: number }[],
  steps: StepIndex,
  at: (string | number)[],
): TaskIssue[] {
  return paths.flatMap(({ path, column }) =>
    path.root === 'step' && !steps.has(path.stepId)
      ? [{ path: at, message: `unknown step "${path.stepId}" at column ${column}` }]
      : [],
  );
}

function referenceIssues(definition: TaskDefinition, steps: StepIndex): TaskIssue[] {
  const issues: TaskIssue[] = [];
  // References that are not even shaped like an id were reported by the field's own schema.
  const checkRef = (target: string, path: (string | number)[]) => {
    if (STEP_ID_PATTERN.test(target) && !steps.has(target))
      issues.push({ path, message: `unknown step "${target}"` });
  };
  checkRef(definition.start, ['start']);
  definition.steps.forEach((step, i) => {
    for (const exit of stepExits(step)) checkRef(exit.target, ['steps', i, ...exit.path]);
    for (const template of stepTemplates(step)) {
      const result = templatePaths(template.source);
      if ('paths' in result)
        issues.push(...unknownStepsIn(result.paths, steps, ['steps', i, ...template.path]));
    }
    if (step.type === 'branch')
      step.cases.forEach((branchCase, c) => {
        try {
          const paths = conditionPaths(parseCondition(branchCase.when));
          issues.push(...unknownStepsIn(paths, steps, ['steps', i, 'cases', c, 'when']));
        } catch (error) {
          if (!(error instanceof ConditionSyntaxError)) throw error; // reported by the field
        }
      });
  });
  return issues;
}

function unreachableIssues(definition: TaskDefinition, steps: StepIndex): TaskIssue[] {
  if (!steps.has(definition.start)) return [];
  const reached = reachableSteps(definition, definition.start);
  return definition.steps.flatMap((step, i) =>
    steps.get(step.id) === i && !reached.has(step.id)
      ? [
          {
            path: ['steps', i],
            message: `step "${step.id}" is not reachable from start "${definition.start}"`,
          },
        ]
      : [],
  );
}

/**
 * Every semantic rule of a structurally valid definition: unique ids, known step references
 * (exits, templates, conditions), reachability from start, parallel branch rules and bounded
 * cycles. Returns all problems, in that order.
 */
export function taskDefinitionIssues(definition: TaskDefinition): TaskIssue[] {
  const issues: TaskIssue[] = [];
  const steps = new Map<string, number>();
  definition.steps.forEach((step, i) => {
    const first = steps.get(step.id);
    if (first === undefined) steps.set(step.id, i);
    else
      issues.push({
        path: ['steps', i, 'id'],
        message: `duplicate step id "${step.id}" (also steps[${first}])`,
      });
  });
  issues.push(
    ...referenceIssues(definition, steps),
    ...unreachableIssues(definition, steps),
    ...parallelIssues(definition, steps),
    ...cycleIssues(definition, steps),
  );
  return issues;
}

/** The document-level refinement of TaskDefinition: reports taskDefinitionIssues as zod issues. */
export function validateTaskGraph(definition: TaskDefinition, ctx: z.RefinementCtx): void {
  for (const issue of taskDefinitionIssues(definition))
    ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
}

import type { TaskDefinition } from './task-definition.schema';
import type { TaskIssue } from './validation';

/** Lookups into the tenant's registries, answered by the caller (the control plane). */
export interface TaskReferenceLookup {
  /** Whether the tenant has a live tool of this name (and, when given, this version). */
  toolExists(name: string, version?: number): boolean;
  /** Whether this is a catalog model id or a route alias the tenant may use. */
  modelExists(name: string): boolean;
}

/**
 * Tools and models a parsed definition names that the tenant does not have, with the path of
 * each mention (`steps[1].tool: unknown tool "crm" version 3`). Empty when all exist.
 */
export function checkTaskReferences(
  definition: TaskDefinition,
  lookup: TaskReferenceLookup,
): TaskIssue[] {
  const issues: TaskIssue[] = [];
  definition.steps.forEach((step, i) => {
    if (step.type === 'tool' && !lookup.toolExists(step.tool, step.version))
      issues.push({
        path: ['steps', i, 'tool'],
        message:
          step.version === undefined
            ? `unknown tool "${step.tool}"`
            : `unknown tool "${step.tool}" version ${step.version}`,
      });
    if (step.type === 'llm') {
      if (!lookup.modelExists(step.model))
        issues.push({ path: ['steps', i, 'model'], message: `unknown model "${step.model}"` });
      (step.tools ?? []).forEach((tool, t) => {
        if (!lookup.toolExists(tool))
          issues.push({ path: ['steps', i, 'tools', t], message: `unknown tool "${tool}"` });
      });
    }
  });
  return issues;
}

/** Every tool name the definition uses (tool steps and llm tools), once each, in order. */
export function toolNamesOf(definition: TaskDefinition): string[] {
  const names = definition.steps.flatMap((step) =>
    step.type === 'tool' ? [step.tool] : step.type === 'llm' ? (step.tools ?? []) : [],
  );
  return [...new Set(names)];
}

/** Every model name (catalog id or route alias) the definition uses, once each, in order. */
export function modelNamesOf(definition: TaskDefinition): string[] {
  return [
    ...new Set(definition.steps.flatMap((step) => (step.type === 'llm' ? [step.model] : []))),
  ];
}

import { z } from 'zod';
import { TaskDefinition } from './task-definition.schema';

/**
 * The published JSON Schema (draft 2020-12) of a task definition as tenants write it (defaults
 * optional). It describes the structure only: the semantic rules (references, cycles, branches,
 * templates, conditions) are enforced by TaskDefinition. docs/task-definition.schema.json is this
 * output, kept equal by a spec.
 */
export function taskDefinitionJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(TaskDefinition, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  });
}

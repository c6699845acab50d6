import type { TaskDefinition, TaskVersionView, TaskView } from '@gnomon/contracts';
import type { TaskVersionRow } from '@gnomon/db';
import type { TaskRecord } from './task.repository';

// The definition column holds what TaskDefinition parsed before it was stored.
const definitionOf = (row: TaskVersionRow) => row.definition as unknown as TaskDefinition;

export function taskVersionView(row: TaskVersionRow): TaskVersionView {
  return {
    taskId: row.taskId,
    version: row.version,
    definition: definitionOf(row),
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}

/** A task with its current version's definition. */
export function taskView({ task, version }: TaskRecord): TaskView {
  return {
    id: task.id,
    name: task.name,
    description: task.description,
    currentVersion: task.currentVersion,
    definition: definitionOf(version),
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
  };
}

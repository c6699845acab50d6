import { TaskDefinition } from '@gnomon/contracts';
import type { SqlSession } from '@gnomon/db';

/** Loads the task version a run pinned, parsed (it was validated when it was written). */
export class TaskVersionReader {
  private readonly cache = new Map<string, TaskDefinition>();

  async definition(s: SqlSession, taskVersionId: string): Promise<TaskDefinition> {
    const cached = this.cache.get(taskVersionId);
    if (cached) return cached;
    const [row] = await s.query<{ definition: unknown }>(
      `SELECT definition FROM task_versions WHERE id = $1::uuid`,
      [taskVersionId],
    );
    if (!row) throw new Error(`task version ${taskVersionId} not found`);
    const definition = TaskDefinition.parse(row.definition);
    // Versions are immutable, so caching by id is safe; the bound keeps memory flat.
    if (this.cache.size >= 1_000) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(taskVersionId, definition);
    return definition;
  }

  /** The cached definition, if this process has read it before (no database work). */
  cached(taskVersionId: string): TaskDefinition | undefined {
    return this.cache.get(taskVersionId);
  }
}

import { Injectable } from '@nestjs/common';
import { isTaskId, type TaskDefinition, type TaskListQuery } from '@gnomon/contracts';
import type { TaskRow, TaskVersionRow, TenantTx } from '@gnomon/db';
import type { CursorPosition } from '@gnomon/http-api';
import { afterCursor } from '../platform/pagination';

/** A task and its current version. */
export interface TaskRecord {
  task: TaskRow;
  version: TaskVersionRow;
}

export interface NewTask {
  name: string;
  description: string;
  definition: TaskDefinition;
  createdBy: string;
}

export interface NewTaskVersion {
  /** Replaces the task's description when given. */
  description?: string;
  definition: TaskDefinition;
  createdBy: string;
}

/** Tasks and their immutable versions; a task is addressed by its id or by its name. */
@Injectable()
export class TaskRepository {
  /** Creates the task and its version 1. A taken name is a unique violation (P2002). */
  async create(t: TenantTx, task: NewTask): Promise<TaskRecord> {
    const now = new Date(); // the task and its version 1 share their creation time
    const row = await t.db.task.create({
      data: {
        tenantId: t.scope.tenantId,
        name: task.name,
        description: task.description,
        currentVersion: 1,
        createdAt: now,
        updatedAt: now,
      },
    });
    const version = await this.insertVersion(t, row.id, 1, task, now);
    return { task: row, version };
  }

  /** A task by id or name, with its current version. */
  async find(t: TenantTx, ref: string): Promise<TaskRecord | null> {
    const where = isTaskId(ref) ? { id: ref.toLowerCase() } : { name: ref };
    const task = await t.db.task.findFirst({ where: { ...where, tenantId: t.scope.tenantId } });
    if (!task) return null;
    const version = await this.findVersion(t, task.id, task.currentVersion);
    return version ? { task, version } : null;
  }

  findVersion(t: TenantTx, taskId: string, version: number): Promise<TaskVersionRow | null> {
    return t.db.taskVersion.findFirst({ where: { tenantId: t.scope.tenantId, taskId, version } });
  }

  /** Tasks, newest first, with their current versions. */
  async list(
    t: TenantTx,
    query: TaskListQuery,
    after: CursorPosition | null,
  ): Promise<TaskRecord[]> {
    const tasks = await t.db.task.findMany({
      where: {
        tenantId: t.scope.tenantId,
        ...(query.name ? { name: { startsWith: likeLiteral(query.name) } } : {}),
        ...afterCursor(after),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    if (tasks.length === 0) return [];
    const versions = await t.db.taskVersion.findMany({
      where: {
        tenantId: t.scope.tenantId,
        OR: tasks.map((task) => ({ taskId: task.id, version: task.currentVersion })),
      },
    });
    const byTask = new Map(versions.map((version) => [version.taskId, version]));
    return tasks.flatMap((task) => {
      const version = byTask.get(task.id);
      return version ? [{ task, version }] : [];
    });
  }

  /**
   * Writes the next version of a task and makes it current. The number comes from
   * `UPDATE … SET current_version = current_version + 1 … RETURNING`, which holds the task's
   * row lock until commit, so concurrent writers queue and get distinct numbers (the unique
   * (task_id, version) backs this up). Null when the task is not there.
   */
  async addVersion(t: TenantTx, taskId: string, next: NewTaskVersion): Promise<TaskRecord | null> {
    const updated = await t.db.task.updateManyAndReturn({
      where: { id: taskId, tenantId: t.scope.tenantId },
      data: {
        currentVersion: { increment: 1 },
        updatedAt: new Date(),
        ...(next.description !== undefined ? { description: next.description } : {}),
      },
    });
    const task = updated[0];
    if (!task) return null;
    const version = await this.insertVersion(t, task.id, task.currentVersion, next, task.updatedAt);
    return { task, version };
  }

  /** Versions of a task, newest first, below version `before` when given. */
  listVersions(
    t: TenantTx,
    taskId: string,
    limit: number,
    before: number | null,
  ): Promise<TaskVersionRow[]> {
    return t.db.taskVersion.findMany({
      where: {
        tenantId: t.scope.tenantId,
        taskId,
        ...(before !== null ? { version: { lt: before } } : {}),
      },
      orderBy: { version: 'desc' },
      take: limit + 1,
    });
  }

  private insertVersion(
    t: TenantTx,
    taskId: string,
    version: number,
    source: { definition: TaskDefinition; createdBy: string },
    createdAt: Date,
  ): Promise<TaskVersionRow> {
    return t.db.taskVersion.create({
      data: {
        tenantId: t.scope.tenantId,
        taskId,
        version,
        definition: source.definition,
        createdBy: source.createdBy,
        createdAt,
      },
    });
  }
}

/** Prisma passes `startsWith` to LIKE as is: `_` and `%` would be wildcards. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

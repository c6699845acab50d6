import { Injectable } from '@nestjs/common';
import {
  taskDefinitionJsonSchema,
  type CreateTaskRequest,
  type PageQuery,
  type TaskDefinition,
  type TaskListQuery,
  type TaskVersionView,
  type TaskView,
  type UpdateTaskRequest,
} from '@gnomon/contracts';
import { TenantDatabase, type TenantScope, type TenantTx } from '@gnomon/db';
import { ApiError, CursorCodec, notFound, toPage, type TenantCaller } from '@gnomon/http-api';
import { AuditTrail } from '../audit/audit-trail';
import { isUniqueViolation } from '../platform/prisma-errors';
import { TaskReferenceChecker } from './task-references';
import { TaskRepository, type TaskRecord } from './task.repository';
import { taskVersionView, taskView } from './task-views';

const authorOf = (caller: TenantCaller) => `${caller.principal.type}:${caller.principal.id}`;

/**
 * The tenant's tasks: a definition passes the language's rules (the request schema) and names
 * only tools and models the tenant has before anything is written; every change is a new
 * immutable version.
 */
@Injectable()
export class TaskService {
  private jsonSchema: Record<string, unknown> | null = null;

  constructor(
    private readonly db: TenantDatabase,
    private readonly tasks: TaskRepository,
    private readonly references: TaskReferenceChecker,
    private readonly audit: AuditTrail,
    private readonly cursors: CursorCodec,
  ) {}

  async create(caller: TenantCaller, body: CreateTaskRequest): Promise<TaskView> {
    try {
      return await this.db.inTenant(caller.tenant, async (t) => {
        await this.assertReferences(t, body.definition);
        const record = await this.tasks.create(t, {
          name: body.name,
          description: body.description,
          definition: body.definition,
          createdBy: authorOf(caller),
        });
        await this.audit.record(t, caller, {
          action: 'task.created',
          targetType: 'task',
          targetId: record.task.id,
          metadata: { name: record.task.name, version: 1 },
        });
        return taskView(record);
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ApiError('conflict', `a task named "${body.name}" already exists`);
      throw error;
    }
  }

  list(caller: TenantCaller, query: TaskListQuery) {
    // The filter is part of the list's name, so a cursor only continues the same listing.
    const list = `tasks:${query.name ?? ''}`;
    const tenantId = caller.tenant.tenantId;
    const after = query.cursor ? this.cursors.decode(query.cursor, list, tenantId) : null;
    return this.db.inTenant(caller.tenant, async (t) => {
      const records = await this.tasks.list(t, query, after);
      const rows = records.map((record) => ({
        record,
        id: record.task.id,
        createdAt: record.task.createdAt,
      }));
      return toPage(
        rows,
        query.limit,
        (row) => taskView(row.record),
        (last) => this.cursors.encode(list, tenantId, last),
      );
    });
  }

  async get(scope: TenantScope, ref: string): Promise<TaskView> {
    return taskView(await this.db.inTenant(scope, (t) => this.existing(t, ref)));
  }

  /** A new version (and the description, when given); earlier versions stay as they were. */
  async update(caller: TenantCaller, ref: string, body: UpdateTaskRequest): Promise<TaskView> {
    return this.db.inTenant(caller.tenant, async (t) => {
      const { task } = await this.existing(t, ref);
      await this.assertReferences(t, body.definition);
      const record = await this.tasks.addVersion(t, task.id, {
        description: body.description,
        definition: body.definition,
        createdBy: authorOf(caller),
      });
      if (!record) throw notFound('task');
      await this.audit.record(t, caller, {
        action: 'task.updated',
        targetType: 'task',
        targetId: task.id,
        metadata: { name: task.name, version: record.version.version },
      });
      return taskView(record);
    });
  }

  versions(caller: TenantCaller, ref: string, query: PageQuery) {
    const tenantId = caller.tenant.tenantId;
    return this.db.inTenant(caller.tenant, async (t) => {
      const { task } = await this.existing(t, ref);
      const list = `task-versions:${task.id}`;
      // Paged by number: the cursor's position carries the last version number in place of a
      // row id (created_at need not follow version order under concurrent updates).
      const before = query.cursor
        ? versionOf(this.cursors.decode(query.cursor, list, tenantId))
        : null;
      const rows = await this.tasks.listVersions(t, task.id, query.limit, before);
      return toPage(rows, query.limit, taskVersionView, (last) =>
        this.cursors.encode(list, tenantId, {
          createdAt: last.createdAt,
          id: String(last.version),
        }),
      );
    });
  }

  async version(scope: TenantScope, ref: string, version: number): Promise<TaskVersionView> {
    return this.db.inTenant(scope, async (t) => {
      const { task } = await this.existing(t, ref);
      const row = await this.tasks.findVersion(t, task.id, version);
      if (!row) throw notFound('task version');
      return taskVersionView(row);
    });
  }

  /** The published JSON Schema of the task definition language (built once). */
  schema(): Record<string, unknown> {
    this.jsonSchema ??= taskDefinitionJsonSchema();
    return this.jsonSchema;
  }

  private async existing(t: TenantTx, ref: string): Promise<TaskRecord> {
    const record = await this.tasks.find(t, ref);
    if (!record) throw notFound('task');
    return record;
  }

  /** A 400 naming every tool and model the definition uses that the tenant does not have. */
  private async assertReferences(t: TenantTx, definition: TaskDefinition): Promise<void> {
    const problems = await this.references.problems(t, definition);
    if (problems.length > 0) {
      throw new ApiError(
        'validation_failed',
        problems.map((p) => `${p.path}: ${p.message}`).join('; '),
        { errors: problems },
      );
    }
  }
}

function versionOf(position: { id: string }): number {
  const version = Number(position.id);
  if (!Number.isSafeInteger(version) || version < 1)
    throw new ApiError('invalid_cursor', 'malformed cursor');
  return version;
}

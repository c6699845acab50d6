import { Injectable } from '@nestjs/common';
import type {
  CreateToolRequest,
  PageQuery,
  ToolListQuery,
  ToolVersionView,
  ToolView,
  UpdateToolRequest,
} from '@gnomon/contracts';
import { TenantDatabase, type TenantScope, type TenantTx } from '@gnomon/db';
import { ApiError, CursorCodec, notFound, toPage, type TenantCaller } from '@gnomon/http-api';
import { ToolSchemaValidator } from '@gnomon/tools';
import { AuditTrail } from '../audit/audit-trail';
import { isUniqueViolation } from '../platform/prisma-errors';
import {
  definitionOf,
  definitionProblems,
  toolVersionView,
  toolView,
  type ToolDefinition,
  type ToolRecord,
} from './tool-definition';
import { ToolRepository } from './tool.repository';

const authorOf = (caller: TenantCaller) => `${caller.principal.type}:${caller.principal.id}`;

/**
 * The tenant's tool registry: definitions are checked (schemas compile, URLs parse) before
 * anything is written, every change is a new immutable version, and deleting is soft.
 */
@Injectable()
export class ToolService {
  private readonly schemas = new ToolSchemaValidator();

  constructor(
    private readonly db: TenantDatabase,
    private readonly tools: ToolRepository,
    private readonly audit: AuditTrail,
    private readonly cursors: CursorCodec,
  ) {}

  async create(caller: TenantCaller, body: CreateToolRequest): Promise<ToolView> {
    const definition = this.checked(body);
    try {
      return await this.db.inTenant(caller.tenant, async (t) => {
        const record = await this.tools.create(t, {
          name: body.name,
          kind: body.kind,
          definition,
          createdBy: authorOf(caller),
        });
        await this.audit.record(t, caller, {
          action: 'tool.created',
          targetType: 'tool',
          targetId: record.tool.id,
          metadata: { name: record.tool.name, kind: record.tool.kind, version: 1 },
        });
        return toolView(record);
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ApiError('conflict', `a tool named "${body.name}" already exists`);
      throw error;
    }
  }

  list(caller: TenantCaller, query: ToolListQuery) {
    // The filters are part of the list's name, so a cursor only continues the same listing.
    const list = `tools:${query.kind ?? ''}:${query.name ?? ''}`;
    const tenantId = caller.tenant.tenantId;
    const after = query.cursor ? this.cursors.decode(query.cursor, list, tenantId) : null;
    return this.db.inTenant(caller.tenant, async (t) => {
      const records = await this.tools.list(t, query, after);
      const rows = records.map((record) => ({
        record,
        id: record.tool.id,
        createdAt: record.tool.createdAt,
      }));
      return toPage(
        rows,
        query.limit,
        (row) => toolView(row.record),
        (last) => this.cursors.encode(list, tenantId, last),
      );
    });
  }

  async get(scope: TenantScope, ref: string): Promise<ToolView> {
    return toolView(await this.db.inTenant(scope, (t) => this.live(t, ref)));
  }

  /** A new version; the body's kind must be the tool's (a tool's kind never changes). */
  async update(caller: TenantCaller, ref: string, body: UpdateToolRequest): Promise<ToolView> {
    const definition = this.checked(body);
    return this.db.inTenant(caller.tenant, async (t) => {
      const { tool } = await this.live(t, ref);
      if (body.kind !== tool.kind) {
        const message = `must be "${tool.kind}": a tool's kind never changes (create a new tool)`;
        throw new ApiError('validation_failed', `body.kind: ${message}`, {
          errors: [{ path: 'body.kind', message }],
        });
      }
      const record = await this.tools.addVersion(t, tool.id, definition, authorOf(caller));
      if (!record) throw notFound('tool');
      await this.audit.record(t, caller, {
        action: 'tool.updated',
        targetType: 'tool',
        targetId: tool.id,
        metadata: { name: tool.name, version: record.version.version },
      });
      return toolView(record);
    });
  }

  /** Soft delete: the tool disappears (404) and its name is free again; versions are kept. */
  async remove(caller: TenantCaller, ref: string): Promise<void> {
    await this.db.inTenant(caller.tenant, async (t) => {
      const { tool } = await this.live(t, ref);
      if (!(await this.tools.softDelete(t, tool))) throw notFound('tool');
      await this.audit.record(t, caller, {
        action: 'tool.deleted',
        targetType: 'tool',
        targetId: tool.id,
        metadata: { name: tool.name, version: tool.currentVersion },
      });
    });
  }

  versions(caller: TenantCaller, ref: string, query: PageQuery) {
    const tenantId = caller.tenant.tenantId;
    return this.db.inTenant(caller.tenant, async (t) => {
      const { tool } = await this.live(t, ref);
      const list = `tool-versions:${tool.id}`;
      // Versions are paged by number: the cursor's position carries the last version number
      // in place of a row id (created_at is when each transaction began, so concurrent
      // updates need not be in version order by time).
      const before = query.cursor
        ? versionOf(this.cursors.decode(query.cursor, list, tenantId))
        : null;
      const rows = await this.tools.listVersions(t, tool.id, query.limit, before);
      return toPage(
        rows,
        query.limit,
        (row) => toolVersionView(tool.kind, row),
        (last) =>
          this.cursors.encode(list, tenantId, {
            createdAt: last.createdAt,
            id: String(last.version),
          }),
      );
    });
  }

  async version(scope: TenantScope, ref: string, version: number): Promise<ToolVersionView> {
    return this.db.inTenant(scope, async (t) => {
      const { tool } = await this.live(t, ref);
      const row = await this.tools.findVersion(t, tool.id, version);
      if (!row) throw notFound('tool version');
      return toolVersionView(tool.kind, row);
    });
  }

  private async live(t: TenantTx, ref: string): Promise<ToolRecord> {
    const record = await this.tools.find(t, ref);
    if (!record) throw notFound('tool');
    return record;
  }

  /** The body's definition, or a 400 naming every problem zod could not see. */
  private checked(body: CreateToolRequest | UpdateToolRequest): ToolDefinition {
    const definition = definitionOf(body);
    const problems = definitionProblems(definition, this.schemas);
    if (problems.length > 0) {
      throw new ApiError(
        'validation_failed',
        problems.map((p) => `${p.path}: ${p.message}`).join('; '),
        { errors: problems },
      );
    }
    return definition;
  }
}

function versionOf(position: { id: string }): number {
  const version = Number(position.id);
  if (!Number.isSafeInteger(version) || version < 1)
    throw new ApiError('invalid_cursor', 'malformed cursor');
  return version;
}

import { Injectable } from '@nestjs/common';
import { isToolId, type ToolKind, type ToolListQuery } from '@gnomon/contracts';
import { Prisma, type TenantTx, type ToolRow, type ToolVersionRow } from '@gnomon/db';
import type { CursorPosition } from '@gnomon/http-api';
import { afterCursor } from '../platform/pagination';
import type { ToolDefinition, ToolRecord } from './tool-definition';

export interface NewTool {
  name: string;
  kind: ToolKind;
  definition: ToolDefinition;
  createdBy: string;
}

/**
 * Tools and their immutable versions. Only live (not deleted) tools are found; a tool is
 * addressed by its id or by its name.
 */
@Injectable()
export class ToolRepository {
  /** Creates the tool and its version 1. A taken name is a unique violation (P2002). */
  async create(t: TenantTx, tool: NewTool): Promise<ToolRecord> {
    const now = new Date(); // the tool and its version 1 share their creation time
    const row = await t.db.tool.create({
      data: {
        tenantId: t.scope.tenantId,
        name: tool.name,
        kind: tool.kind,
        description: tool.definition.description,
        currentVersion: 1,
        createdAt: now,
        updatedAt: now,
      },
    });
    const version = await this.insertVersion(t, row.id, 1, tool.definition, tool.createdBy, now);
    return { tool: row, version };
  }

  /** A live tool by id or name, with its current version. */
  async find(t: TenantTx, ref: string): Promise<ToolRecord | null> {
    const where = isToolId(ref) ? { id: ref.toLowerCase() } : { name: ref };
    const tool = await t.db.tool.findFirst({
      where: { ...where, tenantId: t.scope.tenantId, deletedAt: null },
    });
    if (!tool) return null;
    const version = await this.findVersion(t, tool.id, tool.currentVersion);
    return version ? { tool, version } : null;
  }

  /** The live tool of this name with its current definition (what a run step executes). */
  findByName(t: TenantTx, name: string): Promise<ToolRecord | null> {
    return isToolId(name) ? Promise.resolve(null) : this.find(t, name);
  }

  /** One version of a tool (deleted or not: runs keep pointing at the versions they used). */
  findVersion(t: TenantTx, toolId: string, version: number): Promise<ToolVersionRow | null> {
    return t.db.toolVersion.findFirst({
      where: { tenantId: t.scope.tenantId, toolId, version },
    });
  }

  /** Live tools, newest first, with their current versions. */
  async list(
    t: TenantTx,
    query: ToolListQuery,
    after: CursorPosition | null,
  ): Promise<ToolRecord[]> {
    const tools = await t.db.tool.findMany({
      where: {
        tenantId: t.scope.tenantId,
        deletedAt: null,
        ...(query.kind ? { kind: query.kind } : {}),
        ...(query.name ? { name: { startsWith: likeLiteral(query.name) } } : {}),
        ...afterCursor(after),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    if (tools.length === 0) return [];
    const versions = await t.db.toolVersion.findMany({
      where: {
        tenantId: t.scope.tenantId,
        OR: tools.map((tool) => ({ toolId: tool.id, version: tool.currentVersion })),
      },
    });
    const byTool = new Map(versions.map((version) => [version.toolId, version]));
    return tools.flatMap((tool) => {
      const version = byTool.get(tool.id);
      return version ? [{ tool, version }] : [];
    });
  }

  /**
   * Writes the next version of a live tool and makes it current. The version number comes
   * from `UPDATE … SET current_version = current_version + 1 … RETURNING`, which holds the
   * tool's row lock until commit, so concurrent updates queue and get distinct numbers (the
   * unique (tool_id, version) backs this up). Null when the tool is gone (deleted meanwhile).
   */
  async addVersion(
    t: TenantTx,
    toolId: string,
    definition: ToolDefinition,
    createdBy: string,
  ): Promise<ToolRecord | null> {
    const updated = await t.db.tool.updateManyAndReturn({
      where: { id: toolId, tenantId: t.scope.tenantId, deletedAt: null },
      data: { currentVersion: { increment: 1 }, description: definition.description },
    });
    const tool = updated[0];
    if (!tool) return null;
    const version = await this.insertVersion(
      t,
      tool.id,
      tool.currentVersion,
      definition,
      createdBy,
    );
    return { tool, version };
  }

  /**
   * Soft delete. The name is freed by renaming the row to `<name>~<id>`: `~` never occurs in
   * a live name, so the plain unique (tenant_id, name) cannot collide (see schema.prisma).
   */
  async softDelete(t: TenantTx, tool: ToolRow): Promise<boolean> {
    const { count } = await t.db.tool.updateMany({
      where: { id: tool.id, tenantId: t.scope.tenantId, deletedAt: null },
      data: { deletedAt: new Date(), name: `${tool.name}~${tool.id}` },
    });
    return count === 1;
  }

  /** Versions of a tool, newest first, after (below) version `before` when given. */
  listVersions(
    t: TenantTx,
    toolId: string,
    limit: number,
    before: number | null,
  ): Promise<ToolVersionRow[]> {
    return t.db.toolVersion.findMany({
      where: {
        tenantId: t.scope.tenantId,
        toolId,
        ...(before !== null ? { version: { lt: before } } : {}),
      },
      orderBy: { version: 'desc' },
      take: limit + 1,
    });
  }

  private insertVersion(
    t: TenantTx,
    toolId: string,
    version: number,
    definition: ToolDefinition,
    createdBy: string,
    createdAt = new Date(),
  ): Promise<ToolVersionRow> {
    const json = (value: object | null) =>
      value === null ? Prisma.DbNull : (value as Prisma.InputJsonObject);
    return t.db.toolVersion.create({
      data: {
        tenantId: t.scope.tenantId,
        toolId,
        version,
        description: definition.description,
        source: definition.source,
        request: json(definition.request),
        inputSchema: json(definition.inputSchema),
        outputSchema: json(definition.outputSchema),
        allowNet: definition.allowNet,
        limits: definition.limits,
        createdBy,
        createdAt,
      },
    });
  }
}

/** Prisma passes `startsWith` to LIKE as is: `_` and `%` would be wildcards. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

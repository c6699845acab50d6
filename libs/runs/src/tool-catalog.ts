import type {
  HttpRequestTemplate,
  JsonSchemaDocument,
  PartialToolLimits,
  ToolExecutionRequest,
} from '@gnomon/contracts';
import type { TenantTx, ToolRow, ToolVersionRow } from '@gnomon/db';

export interface ExecutableToolVersion {
  name: string;
  version: number;
  tool: ToolExecutionRequest['tool'];
  limits: PartialToolLimits;
}

/**
 * A stored tool version as the tool runtime takes it (`ToolExecutionRequest.tool`), with the
 * tool's own limits. The JSON columns were validated by the contracts before they were stored.
 */
export function executableTool(tool: ToolRow, row: ToolVersionRow): ExecutableToolVersion {
  const common = {
    name: tool.name,
    allowNet: row.allowNet ?? [],
    inputSchema: row.inputSchema as JsonSchemaDocument | null,
    outputSchema: row.outputSchema as JsonSchemaDocument | null,
  };
  const executable: ToolExecutionRequest['tool'] =
    tool.kind === 'http'
      ? { kind: 'http', request: row.request as HttpRequestTemplate, ...common }
      : { kind: tool.kind as 'js' | 'ts' | 'python', source: row.source ?? '', ...common };
  return {
    name: tool.name,
    version: row.version,
    tool: executable,
    limits: row.limits as PartialToolLimits,
  };
}

/** Reads the tenant's tools as runs call them: by name, at a pinned or the current version. */
export class ToolCatalog {
  async find(t: TenantTx, name: string, version?: number): Promise<ExecutableToolVersion | null> {
    const tool = await t.db.tool.findFirst({ where: { name, deletedAt: null } });
    if (!tool) return null;
    const row = await t.db.toolVersion.findFirst({
      where: { toolId: tool.id, version: version ?? tool.currentVersion },
    });
    return row ? executableTool(tool, row) : null;
  }

  /** The tool's description and input schema, for offering it to a model as a function. */
  async describe(
    t: TenantTx,
    name: string,
  ): Promise<{ description: string; inputSchema: JsonSchemaDocument | null } | null> {
    const tool = await t.db.tool.findFirst({ where: { name, deletedAt: null } });
    if (!tool) return null;
    const row = await t.db.toolVersion.findFirst({
      where: { toolId: tool.id, version: tool.currentVersion },
    });
    return row
      ? { description: row.description, inputSchema: row.inputSchema as JsonSchemaDocument | null }
      : null;
  }
}

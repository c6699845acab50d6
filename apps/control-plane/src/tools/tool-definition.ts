import type {
  CreateToolRequest,
  HttpRequestTemplate,
  JsonSchemaDocument,
  PartialToolLimits,
  ToolExecutionRequest,
  ToolKind,
  ToolVersionView,
  ToolView,
  UpdateToolRequest,
} from '@gnomon/contracts';
import type { ToolRow, ToolVersionRow } from '@gnomon/db';
import { executableTool } from '@gnomon/runs';
import { ToolSchemaError, urlTemplateProblem, type ToolSchemaValidator } from '@gnomon/tools';

/** A live tool and its current version. */
export interface ToolRecord {
  tool: ToolRow;
  version: ToolVersionRow;
}

/** What one version stores, taken from a create or update body (already parsed by zod). */
export interface ToolDefinition {
  description: string;
  source: string | null;
  request: HttpRequestTemplate | null;
  inputSchema: JsonSchemaDocument | null;
  outputSchema: JsonSchemaDocument | null;
  allowNet: string[];
  limits: PartialToolLimits;
}

export function definitionOf(body: CreateToolRequest | UpdateToolRequest): ToolDefinition {
  return {
    description: body.description,
    source: body.source ?? null,
    request: body.request ?? null,
    inputSchema: body.inputSchema,
    outputSchema: body.outputSchema,
    allowNet: body.allowNet,
    limits: body.limits,
  };
}

export interface DefinitionProblem {
  path: string;
  message: string;
}

/**
 * What zod cannot check about a definition: that its JSON Schemas compile, and that an http
 * tool's URL is an http(s) URL once its placeholders are filled. Paths are the request's
 * (`body.inputSchema`), as in every other validation error.
 */
export function definitionProblems(
  definition: ToolDefinition,
  schemas: ToolSchemaValidator,
): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  for (const field of ['inputSchema', 'outputSchema'] as const) {
    const schema = definition[field];
    if (!schema) continue;
    try {
      schemas.compile(schema);
    } catch (error) {
      if (!(error instanceof ToolSchemaError)) throw error;
      problems.push({ path: `body.${field}`, message: error.message });
    }
  }
  if (definition.request) {
    const problem = urlTemplateProblem(definition.request.url);
    if (problem) problems.push({ path: 'body.request.url', message: problem });
  }
  return problems;
}

/** A stored version as the API shows it, apart from which tool it belongs to. */
function versionFields(kind: string, row: ToolVersionRow): Omit<ToolVersionView, 'toolId'> {
  // The JSON columns were validated by the contracts before they were stored.
  return {
    version: row.version,
    kind: kind as ToolKind,
    description: row.description,
    source: row.source,
    request: row.request as HttpRequestTemplate | null,
    inputSchema: row.inputSchema as JsonSchemaDocument | null,
    outputSchema: row.outputSchema as JsonSchemaDocument | null,
    allowNet: row.allowNet ?? [],
    limits: row.limits as PartialToolLimits,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}

export function toolVersionView(kind: string, row: ToolVersionRow): ToolVersionView {
  return { toolId: row.toolId, ...versionFields(kind, row) };
}

export function toolView({ tool, version }: ToolRecord): ToolView {
  return {
    id: tool.id,
    name: tool.name,
    ...versionFields(tool.kind, version),
    createdAt: tool.createdAt.toISOString(),
    updatedAt: version.createdAt.toISOString(),
  };
}

/**
 * The current version as the tool runtime takes it (`ToolExecutionRequest.tool`), with the
 * tool's own limits: the same mapping the orchestrator worker uses (libs/runs).
 */
export function executableToolOf(record: ToolRecord): {
  tool: ToolExecutionRequest['tool'];
  limits: PartialToolLimits;
} {
  const { tool, limits } = executableTool(record.tool, record.version);
  return { tool, limits };
}

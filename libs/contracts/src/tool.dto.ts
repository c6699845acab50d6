import { z } from 'zod';

/**
 * Tools: tenant-written code (or one HTTP request template) that agents call. The tool
 * registry on the control plane stores definitions; the tool runtime executes them.
 */

export const TOOL_KINDS = ['js', 'ts', 'python', 'http'] as const;
export const ToolKind = z.enum(TOOL_KINDS);
export type ToolKind = z.infer<typeof ToolKind>;

export const TOOL_EXECUTION_STATUSES = [
  'SUCCEEDED',
  'FAILED',
  'TIMEOUT',
  'MEMORY_LIMIT',
  'OUTPUT_LIMIT',
  'EGRESS_DENIED',
  'PERMISSION_DENIED',
] as const;
export const ToolExecutionStatus = z.enum(TOOL_EXECUTION_STATUSES);
export type ToolExecutionStatus = z.infer<typeof ToolExecutionStatus>;

export const TOOL_LIMIT_BOUNDS = {
  timeoutMs: { min: 100, max: 300_000, default: 10_000 },
  memoryMb: { min: 32, max: 2_048, default: 128 },
  outputBytes: { min: 1_024, max: 10 * 1024 * 1024, default: 1024 * 1024 },
} as const;

const bounded = (bound: { min: number; max: number }) =>
  z.number().int().min(bound.min).max(bound.max);

/** Hard limits of one execution; every field falls back to the tool's, then the platform's default. */
export const ToolLimits = z.strictObject({
  timeoutMs: bounded(TOOL_LIMIT_BOUNDS.timeoutMs).describe(
    'Wall-clock deadline; the whole sandbox process tree is killed when it passes',
  ),
  memoryMb: bounded(TOOL_LIMIT_BOUNDS.memoryMb).describe(
    'Engine heap limit (plus an OS-level cap where the host allows it)',
  ),
  outputBytes: bounded(TOOL_LIMIT_BOUNDS.outputBytes).describe(
    'Cap on the JSON output and, separately, on stdout + stderr',
  ),
});
export type ToolLimits = z.infer<typeof ToolLimits>;
export const PartialToolLimits = ToolLimits.partial();
export type PartialToolLimits = z.infer<typeof PartialToolLimits>;

export function resolveToolLimits(...layers: (PartialToolLimits | undefined | null)[]): ToolLimits {
  const limits: ToolLimits = {
    timeoutMs: TOOL_LIMIT_BOUNDS.timeoutMs.default,
    memoryMb: TOOL_LIMIT_BOUNDS.memoryMb.default,
    outputBytes: TOOL_LIMIT_BOUNDS.outputBytes.default,
  };
  for (const layer of layers) {
    if (!layer) continue;
    if (layer.timeoutMs !== undefined) limits.timeoutMs = layer.timeoutMs;
    if (layer.memoryMb !== undefined) limits.memoryMb = layer.memoryMb;
    if (layer.outputBytes !== undefined) limits.outputBytes = layer.outputBytes;
  }
  return limits;
}

/**
 * A host a tool may reach: `api.example.com`, `*.example.com` (any sub-domain, not the apex),
 * optionally with `:port`; IPv4 literals and bracketed IPv6 literals are accepted but still
 * pass the runtime's SSRF rules.
 */
export const AllowedHost = z
  .string()
  .max(260)
  .transform((host) => host.toLowerCase())
  .pipe(
    z
      .string()
      .regex(
        /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/,
        'must be a host name, *.domain or [ipv6], optionally with :port',
      ),
  );
export const AllowNet = z
  .array(AllowedHost)
  .max(50)
  .default([])
  .describe('Hosts the tool may reach through the egress proxy; none by default');

export const HTTP_TOOL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'not a header name');

/**
 * The request an `http` tool makes. `{{input.a.b}}` placeholders are filled from the input:
 * inside `url` and `query` values they are URL-encoded, inside header values inserted as text,
 * and a body string that is exactly one placeholder becomes the input value itself (any JSON).
 */
export const HttpRequestTemplate = z.strictObject({
  method: z.enum(HTTP_TOOL_METHODS).default('GET'),
  url: z.string().min(1).max(2_048),
  query: z
    .record(z.string().min(1).max(100), z.string().max(2_048))
    .refine((q) => Object.keys(q).length <= 50, 'at most 50 query parameters')
    .optional(),
  headers: z
    .record(HeaderName, z.string().max(8_192))
    .refine((h) => Object.keys(h).length <= 50, 'at most 50 headers')
    .optional(),
  body: z.json().optional(),
});
export type HttpRequestTemplate = z.infer<typeof HttpRequestTemplate>;

export const MAX_TOOL_SOURCE_BYTES = 256 * 1024;
const utf8 = new TextEncoder();
export const ToolSource = z
  .string()
  .min(1)
  .refine((s) => utf8.encode(s).length <= MAX_TOOL_SOURCE_BYTES, 'source is larger than 256 KiB');

const MAX_SCHEMA_BYTES = 64 * 1024;
/** A JSON Schema (draft 2020-12) document; compiled and checked by the registry and the runtime. */
export const JsonSchemaDocument = z
  .record(z.string(), z.json())
  .refine((s) => JSON.stringify(s).length <= MAX_SCHEMA_BYTES, 'schema is larger than 64 KiB');
export type JsonSchemaDocument = z.infer<typeof JsonSchemaDocument>;

const CodeBody = {
  source: ToolSource.describe(
    'js/ts: a module whose default export maps the JSON input to a JSON output; python: defines main(input)',
  ),
  allowNet: AllowNet,
};

/** What the runtime executes; the tool's schemas travel with it so the runtime validates I/O. */
export const ExecutableTool = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('js'), ...CodeBody }),
  z.strictObject({ kind: z.literal('ts'), ...CodeBody }),
  z.strictObject({ kind: z.literal('python'), ...CodeBody }),
  z.strictObject({ kind: z.literal('http'), request: HttpRequestTemplate, allowNet: AllowNet }),
]);
export type ExecutableTool = z.infer<typeof ExecutableTool>;

const WorkflowId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits and . _ : - (max 128)');

export const MAX_TOOL_INPUT_BYTES = 1024 * 1024;

/** `POST /v1/executions` on the tool runtime (internal service credential). */
export const ToolExecutionRequest = z.strictObject({
  tenantId: z.uuid(),
  runId: WorkflowId,
  stepId: WorkflowId,
  tool: ExecutableTool.and(
    z.object({
      name: z.string().max(64).optional(),
      inputSchema: JsonSchemaDocument.nullish(),
      outputSchema: JsonSchemaDocument.nullish(),
    }),
  ),
  input: z
    .json()
    .refine(
      (v) => JSON.stringify(v ?? null).length <= MAX_TOOL_INPUT_BYTES,
      'input is larger than 1 MiB',
    ),
  limits: PartialToolLimits.optional(),
});
export type ToolExecutionRequest = z.infer<typeof ToolExecutionRequest>;

export const ToolArtifact = z.object({
  key: z.string().describe('S3 key under tenants/{tenantId}/runs/{runId}/steps/{stepId}/'),
  size: z.number().int(),
  contentType: z.string(),
});
export type ToolArtifact = z.infer<typeof ToolArtifact>;

export const ToolExecutionResult = z.object({
  executionId: z.uuid(),
  status: ToolExecutionStatus,
  output: z.json().nullable(),
  error: z
    .object({ message: z.string(), path: z.string().optional() })
    .nullable()
    .describe('Why the execution did not succeed; null when it did'),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number().int(),
  artifacts: z.array(ToolArtifact),
});
export type ToolExecutionResult = z.infer<typeof ToolExecutionResult>;

// ---- Tool registry (control plane, /api/v1/tools) ----

const TOOL_NAME = /^[a-z][a-z0-9_-]{0,63}$/;
const UUID_SHAPED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tool's name, unique among the tenant's live tools. Never shaped like a UUID (see ToolRef). */
export const ToolName = z
  .string()
  .regex(TOOL_NAME, 'lower-case letters, digits, _ and -, starting with a letter')
  .refine(
    (name) => !UUID_SHAPED.test(name),
    'must not look like a UUID (tools are addressed by id or by name)',
  );

/** The `{id}` of `/api/v1/tools/{id}`: the tool's id, or its name. */
export const ToolRef = z
  .string()
  .refine(
    (ref) => UUID_SHAPED.test(ref) || TOOL_NAME.test(ref),
    'must be a tool id (UUID) or a tool name',
  )
  .describe("The tool's id or its name");

/** Whether a ToolRef is an id (otherwise it is a name). */
export const isToolId = (ref: string): boolean => UUID_SHAPED.test(ref);

export const ToolParams = z.strictObject({ id: ToolRef });
export type ToolParams = z.infer<typeof ToolParams>;

export const ToolVersionParams = z.strictObject({
  id: ToolRef,
  version: z.coerce.number().int().min(1).max(2_147_483_647),
});
export type ToolVersionParams = z.infer<typeof ToolVersionParams>;

const DefinitionFields = {
  description: z.string().max(2_000).default(''),
  source: ToolSource.optional(),
  request: HttpRequestTemplate.optional(),
  inputSchema: JsonSchemaDocument.nullable().default(null),
  outputSchema: JsonSchemaDocument.nullable().default(null),
  allowNet: AllowNet,
  limits: PartialToolLimits.default({}),
};

function requireBodyOfKind(
  value: { kind: ToolKind; source?: string; request?: unknown },
  ctx: z.RefinementCtx,
) {
  if (value.kind === 'http') {
    if (value.request === undefined)
      ctx.addIssue({ code: 'custom', path: ['request'], message: 'an http tool needs request' });
    if (value.source !== undefined)
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'an http tool has no source' });
  } else {
    if (value.source === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['source'],
        message: `a ${value.kind} tool needs source`,
      });
    if (value.request !== undefined)
      ctx.addIssue({ code: 'custom', path: ['request'], message: 'only http tools have request' });
  }
}

/** `POST /api/v1/tools`: creates version 1. */
export const CreateToolRequest = z
  .strictObject({ name: ToolName, kind: ToolKind, ...DefinitionFields })
  .superRefine(requireBodyOfKind);
export type CreateToolRequest = z.infer<typeof CreateToolRequest>;

/** `PUT /api/v1/tools/{id}`: a new immutable version; the kind of a tool never changes. */
export const UpdateToolRequest = z
  .strictObject({ kind: ToolKind, ...DefinitionFields })
  .superRefine(requireBodyOfKind);
export type UpdateToolRequest = z.infer<typeof UpdateToolRequest>;

export const ToolVersionView = z.object({
  toolId: z.uuid(),
  version: z.number().int(),
  kind: ToolKind,
  description: z.string(),
  source: z.string().nullable(),
  request: HttpRequestTemplate.nullable(),
  inputSchema: JsonSchemaDocument.nullable(),
  outputSchema: JsonSchemaDocument.nullable(),
  allowNet: z.array(z.string()),
  limits: PartialToolLimits,
  createdBy: z
    .string()
    .nullable()
    .describe('Who wrote this version: "<actor type>:<key id>", e.g. "API_KEY:…"'),
  createdAt: z.iso.datetime().describe('When this version was written'),
});
export type ToolVersionView = z.infer<typeof ToolVersionView>;

/** A tool with its current version's definition. */
export const ToolView = ToolVersionView.omit({ toolId: true }).extend({
  id: z.uuid(),
  name: ToolName,
  version: z.number().int().describe('The current version'),
  createdBy: ToolVersionView.shape.createdBy.describe('Who wrote the current version'),
  createdAt: z.iso.datetime().describe('When the tool was created (version 1)'),
  updatedAt: z.iso.datetime().describe('When the current version was written'),
});
export type ToolView = z.infer<typeof ToolView>;

export const ToolListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(1024).optional(),
  kind: ToolKind.optional(),
  name: z.string().max(64).optional().describe('Prefix of the tool name'),
});
export type ToolListQuery = z.infer<typeof ToolListQuery>;

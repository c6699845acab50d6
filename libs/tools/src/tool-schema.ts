import { createHash } from 'node:crypto';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';

/** One reason a value does not match a tool's schema, e.g. `input.items[0].qty: must be >= 1`. */
export interface SchemaViolation {
  path: string;
  message: string;
}

export class ToolSchemaError extends Error {
  override readonly name = 'ToolSchemaError';
}

export type SchemaCheck = { ok: true } | { ok: false; violations: SchemaViolation[] };

const MAX_CACHED = 500;
const MAX_VIOLATIONS = 20;

/**
 * Compiles tenant-supplied JSON Schemas (draft 2020-12) and checks tool input and output
 * against them. Remote `$ref`s are never fetched (no loader is configured), unknown formats
 * are ignored rather than rejected, and compiled validators are cached by content hash.
 */
export class ToolSchemaValidator {
  private readonly ajv = new Ajv2020({
    allErrors: true,
    strict: false,
    validateFormats: false,
    // A schema's own $id must not let two tenants' schemas collide in one shared registry.
    addUsedSchema: false,
  });
  private readonly cache = new Map<string, ValidateFunction>();

  /** Throws ToolSchemaError naming the problem when `schema` is not a usable JSON Schema. */
  compile(schema: Record<string, unknown>): ValidateFunction {
    const key = createHash('sha256').update(JSON.stringify(schema)).digest('base64url');
    const cached = this.cache.get(key);
    if (cached) return cached;
    let validate: ValidateFunction;
    try {
      validate = this.ajv.compile(schema);
    } catch (error) {
      throw new ToolSchemaError(
        `not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, validate);
    return validate;
  }

  /** Checks `value` against `schema`; `root` names the value in paths (`input`, `output`). */
  check(schema: Record<string, unknown>, value: unknown, root: string): SchemaCheck {
    const validate = this.compile(schema);
    if (validate(value)) return { ok: true };
    const violations = (validate.errors ?? [])
      .slice(0, MAX_VIOLATIONS)
      .map((error) => violationOf(error, root));
    return { ok: false, violations };
  }
}

function violationOf(error: ErrorObject, root: string): SchemaViolation {
  let path = root + pointerToPath(error.instancePath);
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty?: string }).missingProperty;
    if (missing) path += propertyAccess(missing);
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty?: string }).additionalProperty;
    if (extra) return { path: path + propertyAccess(extra), message: 'is not allowed' };
  }
  return { path, message: error.message ?? `fails ${error.keyword}` };
}

/** `/items/0/name` → `.items[0].name` (RFC 6901 escapes undone). */
function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((token) => (/^\d+$/.test(token) ? `[${token}]` : propertyAccess(token)))
    .join('');
}

function propertyAccess(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** Renders violations as one line, e.g. for a problem detail or a FAILED execution message. */
export function describeViolations(violations: readonly SchemaViolation[]): string {
  return violations.map((v) => `${v.path}: ${v.message}`).join('; ');
}

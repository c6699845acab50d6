import { formatPath, parseTemplate } from '@gnomon/contracts';
import { lookupPath, type RunScope } from './run-scope';

/** A placeholder whose path has no value in the run scope. */
export class TemplateError extends Error {
  constructor(
    /** The placeholder's path, e.g. `steps.lookup.output.amount`. */
    readonly path: string,
    /** 1-based column of the placeholder in its template. */
    readonly column: number,
  ) {
    super(`no value at ${path} (template column ${column})`);
    this.name = 'TemplateError';
  }
}

/**
 * Renders a template. A string that is exactly one placeholder yields the raw value (any JSON);
 * otherwise strings are inserted as they are and other values as their JSON text.
 * Throws TemplateSyntaxError for a malformed template and TemplateError for a missing value.
 */
export function renderTemplate(source: string, scope: RunScope): unknown {
  const parts = parseTemplate(source);
  const resolve = (part: (typeof parts)[number] & { kind: 'path' }) => {
    const found = lookupPath(part.path, scope);
    if (!found.found) throw new TemplateError(formatPath(part.path), part.column);
    return found.value;
  };
  if (parts.length === 1 && parts[0].kind === 'path') return resolve(parts[0]);
  return parts
    .map((part) => {
      if (part.kind === 'text') return part.text;
      const value = resolve(part);
      return typeof value === 'string' ? value : JSON.stringify(value);
    })
    .join('');
}

/**
 * Renders every string in a JSON value (object keys are not templates). Rendered values are not
 * rendered again. Builds new objects and arrays; the input is not modified.
 */
export function renderValue(json: unknown, scope: RunScope): unknown {
  if (typeof json === 'string') return renderTemplate(json, scope);
  if (Array.isArray(json)) return json.map((item) => renderValue(item, scope));
  if (json !== null && typeof json === 'object')
    // fromEntries defines own properties, so a "__proto__" key stays data.
    return Object.fromEntries(
      Object.entries(json).map(([key, item]) => [key, renderValue(item, scope)]),
    );
  return json;
}

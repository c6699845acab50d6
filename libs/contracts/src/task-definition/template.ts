import { PathSyntaxError, scanPath, type ValuePath } from './value-path';

/**
 * Templates: strings with `{{ path }}` placeholders, e.g. `"Classify: {{input.text}}"`.
 *
 * - White space inside the braces is allowed: `{{ input.text }}`.
 * - `\{{` is a literal `{{` (in JSON source: `"\\{{"`); a lone `}}` is literal text.
 * - At render time a string that is exactly one placeholder yields the raw JSON value; otherwise
 *   strings are inserted as they are and any other value as its JSON text. A path without a
 *   value is an error (the interpreter's TemplateError), never an empty string.
 */

export type TemplatePart =
  | { kind: 'text'; text: string }
  | {
      kind: 'path';
      path: ValuePath;
      /** 1-based column of the placeholder's `{{`. */
      column: number;
    };

/** A malformed template; `column` is 1-based. */
export class TemplateSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly column: number,
  ) {
    super(`${reason} at column ${column}`);
    this.name = 'TemplateSyntaxError';
  }
}

const BLANK = /[ \t\r\n]/;

function skipBlanks(source: string, offset: number): number {
  let at = offset;
  while (at < source.length && BLANK.test(source.charAt(at))) at++;
  return at;
}

/** Splits a template into literal text and placeholders; throws TemplateSyntaxError. */
export function parseTemplate(source: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let at = 0;
  while (at < source.length) {
    if (source.startsWith('\\{{', at)) {
      text += '{{';
      at += 3;
      continue;
    }
    if (!source.startsWith('{{', at)) {
      text += source.charAt(at);
      at++;
      continue;
    }
    const open = at;
    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateSyntaxError('unclosed "{{"', open + 1);
    const start = skipBlanks(source, open + 2);
    if (start === close) throw new TemplateSyntaxError('empty placeholder', open + 1);
    let scanned: ReturnType<typeof scanPath>;
    try {
      // Scan only up to the closing braces, so `{{input}x}}` reports the stray "}".
      scanned = scanPath(source.slice(0, close), start);
    } catch (error) {
      if (error instanceof PathSyntaxError)
        throw new TemplateSyntaxError(
          error.message.replace('end of text', '"}}"'),
          error.offset + 1,
        );
      throw error;
    }
    const end = skipBlanks(source, scanned.end);
    if (end !== close)
      throw new TemplateSyntaxError(
        `unexpected ${JSON.stringify(source.charAt(end))} in placeholder; expected "}}"`,
        end + 1,
      );
    if (text) parts.push({ kind: 'text', text });
    text = '';
    parts.push({ kind: 'path', path: scanned.path, column: open + 1 });
    at = close + 2;
  }
  if (text) parts.push({ kind: 'text', text });
  return parts;
}

/** The placeholder paths of a template (with their columns), or the syntax error. */
export function templatePaths(
  source: string,
): { paths: { path: ValuePath; column: number }[] } | { error: TemplateSyntaxError } {
  try {
    const paths = parseTemplate(source).flatMap((part) =>
      part.kind === 'path' ? [{ path: part.path, column: part.column }] : [],
    );
    return { paths };
  } catch (error) {
    if (error instanceof TemplateSyntaxError) return { error };
    throw error;
  }
}

/** Every string in a JSON value with its path (object keys are not included). */
export function stringLeaves(
  value: unknown,
  path: (string | number)[] = [],
): { source: string; path: (string | number)[] }[] {
  if (typeof value === 'string') return [{ source: value, path }];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringLeaves(item, [...path, i]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => stringLeaves(item, [...path, key]));
  return [];
}

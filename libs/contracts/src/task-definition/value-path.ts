/**
 * Value paths: how templates (`{{input.customer.id}}`) and condition expressions
 * (`steps.classify.output.tags[0] == 'refund'`) point into a run's data.
 *
 * ```
 * path    := "input" segment* | "steps." stepId ".output" segment*
 * segment := "." key | "[" index "]" | "[" quoted-key "]"
 * key     := [A-Za-z_][A-Za-z0-9_-]*          (use ["…"] for any other key)
 * index   := [0-9]{1,9}
 * ```
 *
 * Paths contain no white space. A key selects an own property of a JSON object, an index an
 * element of a JSON array; nothing else (no `.length`, no prototype properties).
 */

/** Step ids: lower-case letter first, then lower-case letters, digits, `_` and `-` (max 63). */
export const STEP_ID_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

export type PathSegment = string | number;

export type ValuePath =
  | { root: 'input'; segments: PathSegment[] }
  | { root: 'step'; stepId: string; segments: PathSegment[] };

/** A syntax error at a 0-based offset of the scanned source. */
export class PathSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'PathSyntaxError';
  }
}

const KEY_START = /[A-Za-z_]/;
const KEY_CHAR = /[A-Za-z0-9_-]/;
const SIMPLE_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const MAX_INDEX_DIGITS = 9;

/** Whether `source[offset]` can start a path (`input` or `steps` followed by a non-word char). */
export function startsPath(source: string, offset: number): boolean {
  return ['input', 'steps'].some(
    (root) =>
      source.startsWith(root, offset) && !/[A-Za-z0-9_]/.test(source.charAt(offset + root.length)),
  );
}

function describeChar(source: string, offset: number): string {
  return offset >= source.length ? 'end of text' : JSON.stringify(source.charAt(offset));
}

function scanWord(source: string, offset: number): number {
  let end = offset;
  while (end < source.length && KEY_CHAR.test(source.charAt(end))) end++;
  return end;
}

function scanQuotedKey(source: string, offset: number): { key: string; end: number } {
  const quote = source.charAt(offset);
  let key = '';
  let at = offset + 1;
  while (at < source.length && source.charAt(at) !== quote) {
    if (source.charAt(at) === '\\') {
      const escaped = source.charAt(at + 1);
      if (escaped !== quote && escaped !== '\\')
        throw new PathSyntaxError(`invalid escape "\\${escaped}" in a quoted key`, at);
      key += escaped;
      at += 2;
    } else {
      key += source.charAt(at);
      at++;
    }
  }
  if (at >= source.length) throw new PathSyntaxError('unterminated quoted key', offset);
  return { key, end: at + 1 };
}

function scanSegments(source: string, offset: number): { segments: PathSegment[]; end: number } {
  const segments: PathSegment[] = [];
  let at = offset;
  for (;;) {
    const char = source.charAt(at);
    if (char === '.') {
      if (!KEY_START.test(source.charAt(at + 1)))
        throw new PathSyntaxError(
          `expected a key after "." but found ${describeChar(source, at + 1)}`,
          at + 1,
        );
      const end = scanWord(source, at + 1);
      segments.push(source.slice(at + 1, end));
      at = end;
    } else if (char === '[') {
      const inner = source.charAt(at + 1);
      let end: number;
      if (inner === "'" || inner === '"') {
        const quoted = scanQuotedKey(source, at + 1);
        segments.push(quoted.key);
        end = quoted.end;
      } else if (/[0-9]/.test(inner)) {
        end = at + 1;
        while (/[0-9]/.test(source.charAt(end))) end++;
        if (end - (at + 1) > MAX_INDEX_DIGITS)
          throw new PathSyntaxError(`index has more than ${MAX_INDEX_DIGITS} digits`, at + 1);
        segments.push(Number(source.slice(at + 1, end)));
      } else {
        throw new PathSyntaxError(
          `expected an index or a quoted key after "[" but found ${describeChar(source, at + 1)}`,
          at + 1,
        );
      }
      if (source.charAt(end) !== ']')
        throw new PathSyntaxError(`expected "]" but found ${describeChar(source, end)}`, end);
      at = end + 1;
    } else {
      return { segments, end: at };
    }
  }
}

/**
 * Scans the path that starts at `offset` and returns it with the offset just after it.
 * Throws PathSyntaxError (with the offset of the offending character) when it is malformed.
 */
export function scanPath(source: string, offset: number): { path: ValuePath; end: number } {
  const rootEnd = scanWord(source, offset);
  const root = source.slice(offset, rootEnd);
  if (root === 'input') {
    const { segments, end } = scanSegments(source, rootEnd);
    return { path: { root: 'input', segments }, end };
  }
  if (root !== 'steps')
    throw new PathSyntaxError(
      root
        ? `unknown name "${root}"; a path starts with input or steps.<id>.output`
        : `expected a path but found ${describeChar(source, offset)}`,
      offset,
    );
  if (source.charAt(rootEnd) !== '.')
    throw new PathSyntaxError(
      `expected "." after "steps" but found ${describeChar(source, rootEnd)}`,
      rootEnd,
    );
  const idStart = rootEnd + 1;
  const idEnd = scanWord(source, idStart);
  const stepId = source.slice(idStart, idEnd);
  if (!STEP_ID_PATTERN.test(stepId))
    throw new PathSyntaxError(
      stepId ? `invalid step id "${stepId}"` : `expected a step id after "steps."`,
      idStart,
    );
  if (!source.startsWith('.output', idEnd) || KEY_CHAR.test(source.charAt(idEnd + 7)))
    throw new PathSyntaxError(`expected ".output" after "steps.${stepId}"`, idEnd);
  const { segments, end } = scanSegments(source, idEnd + 7);
  return { path: { root: 'step', stepId, segments }, end };
}

/** The canonical text of a path: `steps.classify.output.items[0]["a b"]`. */
export function formatPath(path: ValuePath): string {
  let text = path.root === 'input' ? 'input' : `steps.${path.stepId}.output`;
  for (const segment of path.segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (SIMPLE_KEY.test(segment)) text += `.${segment}`;
    else text += `["${segment.replace(/[\\"]/g, '\\$&')}"]`;
  }
  return text;
}

/** Parses a whole string as one path (no surrounding text or white space allowed). */
export function parsePath(source: string): ValuePath {
  const { path, end } = scanPath(source, 0);
  if (end !== source.length)
    throw new PathSyntaxError(`unexpected ${describeChar(source, end)} after the path`, end);
  return path;
}

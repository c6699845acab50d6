import { PathSyntaxError, scanPath, startsPath, type ValuePath } from './value-path';

/** A malformed condition expression; `column` is 1-based. */
export class ConditionSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly column: number,
  ) {
    super(`${reason} at column ${column}`);
    this.name = 'ConditionSyntaxError';
  }
}

export type Token =
  | { kind: 'number'; value: number; column: number; text: string }
  | { kind: 'string'; value: string; column: number; text: string }
  | { kind: 'path'; path: ValuePath; column: number; text: string }
  | { kind: 'word'; word: string; column: number; text: string }
  | { kind: 'op'; op: string; column: number; text: string }
  | { kind: 'end'; column: number; text: string };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', ','];
const NUMBER = /-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;

function match(pattern: RegExp, source: string, offset: number): string | undefined {
  pattern.lastIndex = offset;
  return pattern.exec(source)?.[0];
}
const ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  r: '\r',
  t: '\t',
};

function scanString(source: string, offset: number): { value: string; end: number } {
  const quote = source.charAt(offset);
  let value = '';
  let at = offset + 1;
  while (at < source.length && source.charAt(at) !== quote) {
    if (source.charAt(at) !== '\\') {
      value += source.charAt(at);
      at++;
      continue;
    }
    const escaped = source.charAt(at + 1);
    if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(at + 2, at + 6))) {
      value += String.fromCharCode(parseInt(source.slice(at + 2, at + 6), 16));
      at += 6;
    } else if (escaped in ESCAPES) {
      value += ESCAPES[escaped];
      at += 2;
    } else {
      throw new ConditionSyntaxError(`invalid escape "\\${escaped}" in string`, at + 1);
    }
  }
  if (at >= source.length) throw new ConditionSyntaxError('unterminated string', offset + 1);
  return { value, end: at + 1 };
}

/** Splits an expression into tokens; the last token is always `end`. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const char = source.charAt(at);
    const column = at + 1;
    if (/[ \t\r\n]/.test(char)) {
      at++;
      continue;
    }
    if (char === "'" || char === '"') {
      const { value, end } = scanString(source, at);
      tokens.push({ kind: 'string', value, column, text: source.slice(at, end) });
      at = end;
      continue;
    }
    const number = match(NUMBER, source, at);
    if (number) {
      const value = Number(number);
      if (!Number.isFinite(value)) throw new ConditionSyntaxError('number out of range', column);
      tokens.push({ kind: 'number', value, column, text: number });
      at += number.length;
      continue;
    }
    if (startsPath(source, at)) {
      try {
        const { path, end } = scanPath(source, at);
        tokens.push({ kind: 'path', path, column, text: source.slice(at, end) });
        at = end;
        continue;
      } catch (error) {
        if (error instanceof PathSyntaxError)
          throw new ConditionSyntaxError(error.message, error.offset + 1);
        throw error;
      }
    }
    const word = match(WORD, source, at);
    if (word) {
      tokens.push({ kind: 'word', word, column, text: word });
      at += word.length;
      continue;
    }
    const op = OPERATORS.find((candidate) => source.startsWith(candidate, at));
    if (op) {
      tokens.push({ kind: 'op', op, column, text: op });
      at += op.length;
      continue;
    }
    const hint =
      char === '='
        ? '; did you mean "=="?'
        : char === '&' || char === '|'
          ? `; did you mean "${char}${char}"?`
          : '';
    throw new ConditionSyntaxError(`unexpected ${JSON.stringify(char)}${hint}`, column);
  }
  tokens.push({ kind: 'end', column: source.length + 1, text: '' });
  return tokens;
}

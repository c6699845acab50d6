import { parseTemplate, templatePaths, TemplateSyntaxError } from './template';
import { formatPath, parsePath, PathSyntaxError } from './value-path';

function syntaxError(source: string): string {
  try {
    parseTemplate(source);
  } catch (error) {
    if (error instanceof TemplateSyntaxError) return error.message;
    throw error;
  }
  throw new Error(`"${source}" parsed`);
}

describe('parseTemplate', () => {
  it('keeps plain text as one part', () => {
    expect(parseTemplate('no placeholders } { here }}')).toEqual([
      { kind: 'text', text: 'no placeholders } { here }}' },
    ]);
    expect(parseTemplate('')).toEqual([]);
  });

  it('splits text and placeholders, with the column of each placeholder', () => {
    expect(parseTemplate('Classify: {{input.text}} for {{ steps.lookup.output.name }}!')).toEqual([
      { kind: 'text', text: 'Classify: ' },
      { kind: 'path', path: { root: 'input', segments: ['text'] }, column: 11 },
      { kind: 'text', text: ' for ' },
      {
        kind: 'path',
        path: { root: 'step', stepId: 'lookup', segments: ['name'] },
        column: 30,
      },
      { kind: 'text', text: '!' },
    ]);
  });

  it('parses a template that is exactly one placeholder as one part', () => {
    expect(parseTemplate('{{input}}')).toEqual([
      { kind: 'path', path: { root: 'input', segments: [] }, column: 1 },
    ]);
  });

  it('parses indexes and quoted keys', () => {
    expect(parseTemplate(`{{input.rows[10]["a \\"b\\""]['c d'].e_f-g}}`)).toMatchObject([
      { path: { root: 'input', segments: ['rows', 10, 'a "b"', 'c d', 'e_f-g'] } },
    ]);
  });

  it('turns \\{{ into a literal {{', () => {
    expect(parseTemplate('a \\{{input}} b')).toEqual([{ kind: 'text', text: 'a {{input}} b' }]);
  });

  it.each([
    ['Hi {{input.name', 'unclosed "{{" at column 4'],
    ['{{}}', 'empty placeholder at column 1'],
    ['x {{   }}', 'empty placeholder at column 3'],
    [
      '{{ name }}',
      'unknown name "name"; a path starts with input or steps.<id>.output at column 4',
    ],
    ['{{input.a b}}', 'unexpected "b" in placeholder; expected "}}" at column 11'],
    ['{{input}x}}', 'unexpected "}" in placeholder; expected "}}" at column 8'],
    ['{{input.}}', 'expected a key after "." but found "}}" at column 9'],
    ['{{input.1}}', 'expected a key after "." but found "1" at column 9'],
    ['{{input[-1]}}', 'expected an index or a quoted key after "[" but found "-" at column 9'],
    ['{{input[1234567890]}}', 'index has more than 9 digits at column 9'],
    ["{{input['a]}}", 'unterminated quoted key at column 9'],
    ["{{input['a\\x']}}", 'invalid escape "\\x" in a quoted key at column 11'],
    ['{{steps}}', 'expected "." after "steps" but found "}}" at column 8'],
    ['{{steps.}}', 'expected a step id after "steps." at column 9'],
    ['{{steps.Big.output}}', 'invalid step id "Big" at column 9'],
    ['{{steps.a.outputs}}', 'expected ".output" after "steps.a" at column 10'],
    ['{{steps.a.result}}', 'expected ".output" after "steps.a" at column 10'],
    ['{{run.id}}', 'unknown name "run"; a path starts with input or steps.<id>.output at column 3'],
  ])('rejects %s', (source, message) => {
    expect(syntaxError(source)).toBe(message);
  });

  it('exposes the reason and the column', () => {
    const result = templatePaths('ok {{input.a}} {{nope}}');
    expect('error' in result && result.error).toMatchObject({
      reason: 'unknown name "nope"; a path starts with input or steps.<id>.output',
      column: 18,
    });
    expect(templatePaths('{{input.a}} {{steps.b.output[0]}}')).toEqual({
      paths: [
        { path: { root: 'input', segments: ['a'] }, column: 1 },
        { path: { root: 'step', stepId: 'b', segments: [0] }, column: 13 },
      ],
    });
  });
});

describe('value paths', () => {
  it('formats paths canonically and parses them back', () => {
    for (const text of [
      'input',
      'input.a.b_c-d[0]',
      'steps.lookup.output',
      'steps.x-1.output["a b"]["q\\"uote"][3]',
    ])
      expect(formatPath(parsePath(text))).toBe(text);
    expect(formatPath(parsePath("input['plain']"))).toBe('input.plain');
  });

  it('rejects trailing text', () => {
    expect(() => parsePath('input.a b')).toThrow(PathSyntaxError);
    expect(() => parsePath('input.a b')).toThrow('unexpected " " after the path');
  });
});

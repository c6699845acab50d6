import { describeViolations, ToolSchemaError, ToolSchemaValidator } from './tool-schema';

describe('ToolSchemaValidator', () => {
  const validator = new ToolSchemaValidator();
  const schema = {
    type: 'object',
    required: ['city', 'items'],
    additionalProperties: false,
    properties: {
      city: { type: 'string', minLength: 2 },
      items: {
        type: 'array',
        items: {
          type: 'object',
          required: ['qty'],
          properties: { qty: { type: 'integer', minimum: 1 } },
        },
      },
      'odd key': { type: 'number' },
    },
  };

  it('accepts a value that matches', () => {
    expect(validator.check(schema, { city: 'Oslo', items: [{ qty: 2 }] }, 'input')).toEqual({
      ok: true,
    });
  });

  it('names the path of every violation', () => {
    const result = validator.check(
      schema,
      { city: 'O', items: [{ qty: 2 }, { qty: 0 }, {}], extra: 1, 'odd key': 'x' },
      'input',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.violations.map((v) => v.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'input.city',
        'input.items[1].qty',
        'input.items[2].qty',
        'input.extra',
        'input["odd key"]',
      ]),
    );
    expect(describeViolations(result.violations)).toContain('input.items[1].qty: must be >= 1');
  });

  it('reports a missing required property at its own path', () => {
    const result = validator.check(schema, { items: [] }, 'output');
    expect(result).toEqual({
      ok: false,
      violations: [{ path: 'output.city', message: "must have required property 'city'" }],
    });
  });

  it('refuses a schema that is not a JSON Schema, with the reason', () => {
    expect(() => validator.compile({ type: 'not-a-type' })).toThrow(ToolSchemaError);
    expect(() => validator.compile({ type: 'not-a-type' })).toThrow(/not a valid JSON Schema/);
  });

  it('never fetches remote references', () => {
    expect(() => validator.compile({ $ref: 'https://schemas.example.com/remote.json' })).toThrow(
      /can't resolve reference/,
    );
  });

  it('keeps two tenants’ schemas with the same $id apart', () => {
    const a = { $id: 'https://example.com/s', type: 'string' };
    const b = { $id: 'https://example.com/s', type: 'number' };
    expect(validator.check(a, 'x', 'input').ok).toBe(true);
    expect(validator.check(b, 1, 'input').ok).toBe(true);
    expect(validator.check(b, 'x', 'input').ok).toBe(false);
  });
});

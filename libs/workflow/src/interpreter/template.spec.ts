import { TemplateSyntaxError } from '@gnomon/contracts';
import type { RunScope } from './run-scope';
import { renderTemplate, renderValue, TemplateError } from './template';

const scope: RunScope = {
  input: {
    text: 'my card was charged twice',
    amount: 120.5,
    vip: true,
    note: null,
    tags: ['billing', 'urgent'],
    customer: { id: 'c-42', name: 'Ada', address: { city: 'Paris' } },
    'full name': 'Ada Lovelace',
  },
  steps: {
    classify: { output: { priority: 'high', scores: [0.1, 0.9], template: '{{input.text}}' } },
    summary: { output: 'A double charge.' },
  },
};

function renderError(source: string): unknown {
  try {
    renderTemplate(source, scope);
  } catch (error) {
    return error;
  }
  throw new Error(`"${source}" rendered`);
}

describe('renderTemplate', () => {
  it('returns the raw value when the template is exactly one placeholder', () => {
    expect(renderTemplate('{{input.amount}}', scope)).toBe(120.5);
    expect(renderTemplate('{{ input.vip }}', scope)).toBe(true);
    expect(renderTemplate('{{input.note}}', scope)).toBeNull();
    expect(renderTemplate('{{input.customer}}', scope)).toEqual({
      id: 'c-42',
      name: 'Ada',
      address: { city: 'Paris' },
    });
    expect(renderTemplate('{{steps.classify.output.scores}}', scope)).toEqual([0.1, 0.9]);
    expect(renderTemplate('{{steps.summary.output}}', scope)).toBe('A double charge.');
  });

  it('stringifies values inside text: strings as they are, the rest as JSON', () => {
    expect(renderTemplate('Classify: {{input.text}}', scope)).toBe(
      'Classify: my card was charged twice',
    );
    expect(
      renderTemplate('{{input.amount}} EUR, vip={{input.vip}}, note={{input.note}}', scope),
    ).toBe('120.5 EUR, vip=true, note=null');
    expect(renderTemplate('tags: {{input.tags}}', scope)).toBe('tags: ["billing","urgent"]');
    expect(renderTemplate('{{input.customer.address}} ', scope)).toBe('{"city":"Paris"} ');
    expect(renderTemplate('{{input.tags[0]}}{{input.tags[1]}}', scope)).toBe('billingurgent');
  });

  it('follows nested keys, indexes and quoted keys', () => {
    expect(renderTemplate('{{input.customer.address.city}}', scope)).toBe('Paris');
    expect(renderTemplate('{{steps.classify.output.scores[1]}}', scope)).toBe(0.9);
    expect(renderTemplate('{{input["full name"]}}', scope)).toBe('Ada Lovelace');
  });

  it('renders text without placeholders unchanged, and \\{{ as {{', () => {
    expect(renderTemplate('plain }} text', scope)).toBe('plain }} text');
    expect(renderTemplate('\\{{input.text}}', scope)).toBe('{{input.text}}');
    expect(renderTemplate('', scope)).toBe('');
  });

  it('does not render a value that itself looks like a template', () => {
    expect(renderTemplate('{{steps.classify.output.template}}', scope)).toBe('{{input.text}}');
  });

  it.each([
    ['{{input.missing}}', 'input.missing', 1],
    ['Hello {{input.customer.email}}', 'input.customer.email', 7],
    ['{{input.tags[2]}}', 'input.tags[2]', 1],
    ['{{input.tags.length}}', 'input.tags.length', 1],
    ['{{input.text.length}}', 'input.text.length', 1],
    ['{{input.customer[0]}}', 'input.customer[0]', 1],
    ['{{steps.unknown.output}}', 'steps.unknown.output', 1],
    ['{{steps.classify.output.priority.x}}', 'steps.classify.output.priority.x', 1],
    ['{{input.constructor}}', 'input.constructor', 1],
    ['{{input.__proto__}}', 'input.__proto__', 1],
    ['{{input.customer.toString}}', 'input.customer.toString', 1],
    ['{{steps.constructor.output}}', 'steps.constructor.output', 1],
  ])('throws TemplateError for %s', (source, path, column) => {
    const error = renderError(source);
    expect(error).toBeInstanceOf(TemplateError);
    expect(error).toMatchObject({
      path,
      column,
      message: `no value at ${path} (template column ${column})`,
    });
  });

  it('reads a "__proto__" key that is real data', () => {
    const data = JSON.parse('{"__proto__": {"polluted": 1}}') as unknown;
    expect(renderTemplate('{{input.__proto__.polluted}}', { input: data, steps: {} })).toBe(1);
  });

  it('throws TemplateSyntaxError for a malformed template', () => {
    const error = renderError('{{input.text');
    expect(error).toBeInstanceOf(TemplateSyntaxError);
    expect(error).toMatchObject({ message: 'unclosed "{{" at column 1' });
  });
});

describe('renderValue', () => {
  it('renders every string leaf and keeps other values', () => {
    const input = {
      customer: '{{input.customer.id}}',
      note: 'id {{input.customer.id}}',
      amount: '{{input.amount}}',
      items: ['{{input.tags[0]}}', 7, null, { deep: '{{steps.classify.output.priority}}' }],
      flag: false,
      '{{input.text}}': 'keys are not templates',
    };
    expect(renderValue(input, scope)).toEqual({
      customer: 'c-42',
      note: 'id c-42',
      amount: 120.5,
      items: ['billing', 7, null, { deep: 'high' }],
      flag: false,
      '{{input.text}}': 'keys are not templates',
    });
    expect(input.customer).toBe('{{input.customer.id}}');
  });

  it('renders top-level strings and passes scalars through', () => {
    expect(renderValue('{{input.vip}}', scope)).toBe(true);
    expect(renderValue(3, scope)).toBe(3);
    expect(renderValue(null, scope)).toBeNull();
  });

  it('keeps a "__proto__" key as data instead of setting the prototype', () => {
    const input = JSON.parse('{"__proto__": {"x": "{{input.amount}}"}}') as unknown;
    const output = renderValue(input, scope) as Record<string, unknown>;
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(output, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(output, '__proto__')?.value).toEqual({ x: 120.5 });
  });

  it('fails on the first missing value', () => {
    expect(() => renderValue({ a: ['{{input.nope}}'] }, scope)).toThrow(
      new TemplateError('input.nope', 1),
    );
  });
});

import { HttpRequestTemplate } from '@gnomon/contracts';
import { renderHttpRequest, TemplateError, urlTemplateProblem } from './http-request-template';

const template = (raw: unknown) => HttpRequestTemplate.parse(raw);

describe('renderHttpRequest', () => {
  it('URL-encodes placeholders in the URL and the query', () => {
    const rendered = renderHttpRequest(
      template({
        url: 'https://api.example.com/cities/{{input.city}}/weather',
        query: { units: '{{ input.units }}', day: '{{input.days[1]}}' },
      }),
      { city: 'São Paulo/../admin', units: 'metric&x=1', days: [1, 2] },
    );
    expect(rendered.method).toBe('GET');
    expect(rendered.url).toBe(
      'https://api.example.com/cities/S%C3%A3o%20Paulo%2F..%2Fadmin/weather?units=metric%26x%3D1&day=2',
    );
    expect(rendered.body).toBeUndefined();
  });

  it('puts a whole-placeholder body value in as JSON and fills strings inside it', () => {
    const rendered = renderHttpRequest(
      template({
        method: 'POST',
        url: 'https://api.example.com/orders',
        headers: { 'X-Customer': 'c-{{input.customer}}' },
        body: { items: '{{input.items}}', note: 'for {{input.customer}}', fixed: 3 },
      }),
      { customer: 42, items: [{ sku: 'a', qty: 2 }] },
    );
    expect(rendered.headers).toEqual({
      'x-customer': 'c-42',
      'content-type': 'application/json',
    });
    expect(JSON.parse(rendered.body!.toString())).toEqual({
      items: [{ sku: 'a', qty: 2 }],
      note: 'for 42',
      fixed: 3,
    });
  });

  it('refuses header injection through the input', () => {
    expect(() =>
      renderHttpRequest(
        template({ url: 'https://a.example.com/', headers: { 'X-A': '{{input.v}}' } }),
        { v: 'x\r\nHost: evil' },
      ),
    ).toThrow(/headers.X-A: the filled value contains a line break/);
  });

  it('names a missing input path', () => {
    expect(() =>
      renderHttpRequest(template({ url: 'https://a.example.com/{{input.a.b}}' }), { a: {} }),
    ).toThrow(new TemplateError('url: input.a.b is missing'));
  });

  it('refuses objects inside text and unknown placeholder syntax', () => {
    expect(() =>
      renderHttpRequest(template({ url: 'https://a.example.com/{{input.a}}' }), { a: { b: 1 } }),
    ).toThrow(/must name a string, number or boolean/);
    expect(() =>
      renderHttpRequest(template({ url: 'https://a.example.com/{{env.HOME}}' }), {}),
    ).toThrow(/only \{\{input.<path>\}\} placeholders/);
  });
});

describe('urlTemplateProblem', () => {
  it.each([
    ['https://{{input.host}}:{{input.port}}/v1/{{ input.path }}?q={{input.q}}', null],
    ['ftp://files.example.com/{{input.name}}', 'must be an http(s) URL'],
    ['https://user:pw@api.example.com/', 'must not carry credentials; send them in headers'],
    ['/relative/{{input.x}}', 'not a valid absolute URL (with placeholders filled in)'],
    ['https://api.example.com/{{env.HOME}}', 'only {{input.<path>}} placeholders are supported'],
  ])('%s → %s', (url, problem) => {
    expect(urlTemplateProblem(url)).toBe(problem);
  });
});

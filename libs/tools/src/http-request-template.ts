import type { HttpRequestTemplate } from '@gnomon/contracts';

/** The request an `http` tool makes once its template is filled from the input. */
export interface RenderedHttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const PLACEHOLDER = /\{\{\s*input((?:\.[A-Za-z_$][\w$]*|\[\d+\])*)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*input((?:\.[A-Za-z_$][\w$]*|\[\d+\])*)\s*\}\}$/;
const STRAY_BRACES = /\{\{|\}\}/;

/**
 * Fills `{{input.a.b}}` / `{{input.items[0]}}` placeholders. Values are URL-encoded in the URL
 * and query, inserted as text in headers (CR/LF refused: no header injection), and a body
 * string that is exactly one placeholder becomes the input value itself.
 */
export function renderHttpRequest(
  template: HttpRequestTemplate,
  input: unknown,
): RenderedHttpRequest {
  const url = new URL(fill(template.url, input, 'url', encodeURIComponent));
  for (const [name, value] of Object.entries(template.query ?? {})) {
    url.searchParams.append(
      name,
      fill(value, input, `query.${name}`, (v) => v),
    );
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(template.headers ?? {})) {
    const text = fill(value, input, `headers.${name}`, (v) => v);
    if (/[\r\n\0]/.test(text))
      throw new TemplateError(`headers.${name}: the filled value contains a line break`);
    headers[name.toLowerCase()] = text;
  }
  let body: Buffer | undefined;
  if (template.body !== undefined && template.method !== 'GET' && template.method !== 'HEAD') {
    const value = fillJson(template.body, input, 'body');
    if (typeof value === 'string') {
      body = Buffer.from(value);
      headers['content-type'] ??= 'text/plain; charset=utf-8';
    } else {
      body = Buffer.from(JSON.stringify(value));
      headers['content-type'] ??= 'application/json';
    }
  }
  return { method: template.method, url: url.toString(), headers, body };
}

/**
 * Why a template URL can never make a valid request, or null: it must be an absolute http(s)
 * URL without credentials once its placeholders are filled (a digit stands for each: it parses
 * as a host label, a port, a path or a query). Checked when a tool is registered.
 */
export function urlTemplateProblem(url: string): string | null {
  const filled = url.replace(PLACEHOLDER, '1');
  if (STRAY_BRACES.test(filled)) return 'only {{input.<path>}} placeholders are supported';
  let parsed: URL;
  try {
    parsed = new URL(filled);
  } catch {
    return 'not a valid absolute URL (with placeholders filled in)';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http(s) URL';
  if (parsed.username || parsed.password) return 'must not carry credentials; send them in headers';
  return null;
}

function fill(text: string, input: unknown, where: string, encode: (v: string) => string): string {
  const filled = text.replace(PLACEHOLDER, (_match, path: string) =>
    encode(asText(lookup(input, path, where), where)),
  );
  if (STRAY_BRACES.test(text.replace(PLACEHOLDER, '')))
    throw new TemplateError(`${where}: only {{input.<path>}} placeholders are supported`);
  return filled;
}

function fillJson(value: unknown, input: unknown, where: string): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(value);
    if (whole) return lookup(input, whole[1] ?? '', where);
    return fill(value, input, where, (v) => v);
  }
  if (Array.isArray(value)) return value.map((item, i) => fillJson(item, input, `${where}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, fillJson(v, input, `${where}.${k}`)]),
    );
  }
  return value;
}

function lookup(input: unknown, path: string, where: string): unknown {
  let current: unknown = input;
  for (const [, name, index] of path.matchAll(/\.([A-Za-z_$][\w$]*)|\[(\d+)\]/g)) {
    const key = name ?? Number(index);
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) {
      throw new TemplateError(`${where}: input${path} is missing`);
    }
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function asText(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateError(`${where}: a placeholder in text must name a string, number or boolean`);
}

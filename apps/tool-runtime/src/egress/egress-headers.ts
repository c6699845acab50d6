import { validateHeaderName, validateHeaderValue, type IncomingHttpHeaders } from 'node:http';

export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;
export type Headers = Record<string, string | string[]>;

/** Connection-scoped headers (RFC 9110 §7.6.1); they never cross a proxy. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/**
 * Set by the egress client itself: `host` from the URL it vetted (a caller-chosen Host could
 * reach another virtual host than the allowlisted one), `content-length` from the body,
 * `accept-encoding` so that bodies come back as they are counted and passed on. `expect` is
 * dropped because the body is always sent at once.
 */
const OWNED_BY_CLIENT = new Set(['host', 'content-length', 'accept-encoding', 'expect']);

function connectionListed(headers: HeaderBag): Set<string> {
  const value = headers.connection ?? headers.Connection;
  const text = typeof value === 'string' ? value : (value ?? []).join(',');
  return new Set(
    text
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
}

function copyValue(value: string | readonly string[]): string | string[] {
  return typeof value === 'string' ? value : [...value];
}

/**
 * The headers forwarded upstream: lower-cased, without hop-by-hop headers (and those named in
 * `Connection`), `proxy-*` credentials meant for us, or headers the client sets itself. Throws
 * a TypeError naming the header when a name or value could not be sent.
 */
export function outboundRequestHeaders(headers: HeaderBag | undefined): Headers {
  const result: Headers = {};
  if (!headers) return result;
  const listed = connectionListed(headers);
  for (const [rawName, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (HOP_BY_HOP.has(name) || listed.has(name) || OWNED_BY_CLIENT.has(name)) continue;
    if (name.startsWith('proxy-')) continue;
    validateHeaderName(name);
    for (const item of typeof value === 'string' ? [value] : value) validateHeaderValue(name, item);
    result[name] = copyValue(value);
  }
  return result;
}

/** Response headers without the connection-scoped ones, which described the upstream hop only. */
export function endToEndResponseHeaders(headers: IncomingHttpHeaders | HeaderBag): Headers {
  const result: Headers = {};
  const listed = connectionListed(headers);
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.has(lower)) continue;
    result[lower] = copyValue(value);
  }
  return result;
}

/** Drops the named headers (lower-case names) in place. */
export function dropHeaders(headers: Headers, names: readonly string[]): void {
  for (const name of names) delete headers[name];
}

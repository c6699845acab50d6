import tls from 'node:tls';
import { promises as dns } from 'node:dns';
import { AddressPolicy, parseHostLiteral } from './address-policy';
import { EgressDenied, EgressFailed } from './egress.errors';
import {
  dropHeaders,
  endToEndResponseHeaders,
  outboundRequestHeaders,
  type HeaderBag,
  type Headers,
} from './egress-headers';
import { HostAllowlist } from './host-allowlist';
import { connectPinned, exchange, type EgressTarget, type RawResponse } from './pinned-connection';
import { RequestScope } from './request-scope';

export interface ResolvedAddress {
  address: string;
  family: number;
}
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface EgressClientOptions {
  addressPolicy: AddressPolicy;
  /** Name resolution; every address it returns is vetted. Default: the system resolver. */
  resolve?: HostResolver;
  /** Default 5. */
  maxRedirects?: number;
  /** Default 10 MiB. */
  maxResponseBytes?: number;
  /** The whole request, redirects included. Default 30 s. */
  timeoutMs?: number;
  /** One TCP (+ TLS) connection attempt. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * PEM certificates trusted in addition to the system roots (an internal CA). Operators can
   * also use Node's NODE_EXTRA_CA_CERTS; the tests pass a CA they generate.
   */
  extraCaCerts?: readonly string[];
}

export interface EgressRequest {
  url: string;
  /** Default GET. */
  method?: string;
  headers?: HeaderBag;
  body?: Buffer;
  allowlist: HostAllowlist;
  /** Follow 3xx answers, every hop checked again; when false a 3xx is returned as is. Default true. */
  followRedirects?: boolean;
  timeoutMs?: number;
  /** Absolute deadline (epoch ms); the earlier of this and `timeoutMs` applies. */
  deadline?: number;
  maxResponseBytes?: number;
  /** Cancels the request (EgressFailed `aborted`), e.g. when the caller went away. */
  signal?: AbortSignal;
}

export interface EgressResponse {
  status: number;
  /** End-to-end headers as received (hop-by-hop ones removed); bodies are not decompressed. */
  headers: Headers;
  body: Buffer;
  /** The URL that produced this response, after redirects. */
  url: string;
  redirects: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Request headers that describe the body, dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = ['content-type', 'content-encoding', 'content-language', 'content-location'];
/** Credentials that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie'];
/** CONNECT would open a tunnel the policy cannot see into; TRACE/TRACK echo credentials back. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const systemResolve: HostResolver = (hostname) =>
  dns.lookup(hostname, { all: true, order: 'verbatim' });

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The URL as it may appear in messages and denial records: never with credentials. */
function redact(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

function parseTarget(raw: string): EgressTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    const message = `${JSON.stringify(raw.slice(0, 200))} is not a valid URL`;
    throw new EgressDenied('invalid_url', message, { url: raw.slice(0, 2_048) });
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const message = `scheme ${url.protocol} is not allowed, only http: and https: (${redact(url)})`;
    throw new EgressDenied('scheme_not_allowed', message, { url: redact(url), host });
  }
  if (url.username || url.password) {
    const message = `credentials in the URL are not allowed (${redact(url)}); send them in a header`;
    throw new EgressDenied('credentials_in_url', message, { url: redact(url), host });
  }
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { url, host, port, isIp: parseHostLiteral(host) !== null };
}

function normalizeMethod(method: string | undefined, url: string): string {
  const upper = (method ?? 'GET').toUpperCase();
  if (!METHOD_TOKEN.test(upper)) {
    const message = `${JSON.stringify(method)} is not an HTTP method`;
    throw new EgressDenied('invalid_request', message, { url });
  }
  if (FORBIDDEN_METHODS.has(upper)) {
    throw new EgressDenied('method_not_allowed', `method ${upper} is not allowed`, { url });
  }
  return upper;
}

/** Where a 3xx leads; a Location we cannot parse is the server's fault, a forbidden one is a denial. */
function redirectTarget(location: string, from: EgressTarget, url: string): EgressTarget {
  try {
    return parseTarget(new URL(location, from.url).href);
  } catch (error) {
    if (error instanceof EgressDenied) throw error;
    const message = `${from.host} redirected to an invalid location ${JSON.stringify(location.slice(0, 200))}`;
    throw new EgressFailed('bad_response', message, { url, host: from.host });
  }
}

interface Hop {
  target: EgressTarget;
  method: string;
  headers: Headers;
  body: Buffer | undefined;
}

/**
 * Makes one outbound HTTP(S) request for a tool under the egress rules: allowlisted host,
 * every resolved address vetted by the AddressPolicy, the connection pinned to a vetted address,
 * the connected peer checked again, redirects followed by hand with every hop checked again,
 * size and time capped. Used by the `http` tool kind and by the sandbox's egress gateway.
 */
export class EgressClient {
  private readonly policy: AddressPolicy;
  private readonly resolve: HostResolver;
  private readonly maxRedirects: number;
  private readonly maxResponseBytes: number;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly ca: readonly string[] | undefined;

  constructor(options: EgressClientOptions) {
    this.policy = options.addressPolicy;
    this.resolve = options.resolve ?? systemResolve;
    this.maxRedirects = options.maxRedirects ?? 5;
    this.maxResponseBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.ca = options.extraCaCerts?.length
      ? [...tls.rootCertificates, ...options.extraCaCerts]
      : undefined;
  }

  /** Throws EgressDenied (a rule refused it) or EgressFailed (it could not be completed). */
  async request(request: EgressRequest): Promise<EgressResponse> {
    const remaining = (request.deadline ?? Infinity) - Date.now();
    const timeoutMs = Math.max(0, Math.min(request.timeoutMs ?? this.timeoutMs, remaining));
    const maxBytes = request.maxResponseBytes ?? this.maxResponseBytes;
    const scope = new RequestScope(timeoutMs, request.signal);
    try {
      const target = parseTarget(request.url);
      scope.current = redact(target.url);
      let hop: Hop = {
        target,
        method: normalizeMethod(request.method, scope.current),
        headers: this.outboundHeaders(request.headers, scope.current),
        body: request.body,
      };
      for (let redirects = 0; ; redirects++) {
        const response = await this.send(hop, request.allowlist, maxBytes, scope);
        const location = response.headers.location;
        const follow = request.followRedirects !== false && REDIRECT_STATUSES.has(response.status);
        if (!follow || location === undefined) {
          const headers = endToEndResponseHeaders(response.headers);
          return { ...response, headers, url: scope.current, redirects };
        }
        if (redirects >= this.maxRedirects) {
          const message = `more than ${this.maxRedirects} redirects (the last one from ${scope.current})`;
          throw new EgressDenied('too_many_redirects', message, { url: scope.current });
        }
        hop = this.redirected(
          hop,
          response.status,
          redirectTarget(location, hop.target, scope.current),
        );
        scope.current = redact(hop.target.url);
      }
    } finally {
      scope.dispose();
    }
  }

  /** The next hop, with fetch's rules for the method and body and no credentials across origins. */
  private redirected(hop: Hop, status: number, target: EgressTarget): Hop {
    const next: Hop = { ...hop, target, headers: { ...hop.headers } };
    // 303 (and 301/302 after a POST) continue as a body-less GET.
    if ((status === 303 && hop.method !== 'HEAD') || (hop.method === 'POST' && status < 303)) {
      next.method = 'GET';
      next.body = undefined;
      dropHeaders(next.headers, BODY_HEADERS);
    }
    if (target.url.origin !== hop.target.url.origin) dropHeaders(next.headers, CREDENTIAL_HEADERS);
    return next;
  }

  private outboundHeaders(headers: HeaderBag | undefined, url: string): Headers {
    try {
      return outboundRequestHeaders(headers);
    } catch (error) {
      const message = `invalid request header: ${describe(error)}`;
      throw new EgressDenied('invalid_request', message, { url, cause: error });
    }
  }

  /** One exchange with one target, after the allowlist and address checks. */
  private async send(
    hop: Hop,
    allowlist: HostAllowlist,
    maxBytes: number,
    scope: RequestScope,
  ): Promise<RawResponse> {
    const addresses = await this.vettedAddresses(hop.target, allowlist, scope);
    const socket = await connectPinned(hop.target, addresses, {
      policy: this.policy,
      connectTimeoutMs: this.connectTimeoutMs,
      ca: this.ca,
      scope,
    });
    try {
      return await exchange(socket, hop.target, { ...hop, maxBytes }, scope);
    } finally {
      socket.destroy();
    }
  }

  /** Allowlist first (no lookup for a host we would refuse), then every address it resolves to. */
  private async vettedAddresses(
    target: EgressTarget,
    allowlist: HostAllowlist,
    scope: RequestScope,
  ): Promise<string[]> {
    const { host, port } = target;
    const url = scope.current;
    if (!allowlist.permits(host, port)) {
      const shown = host.includes(':') ? `[${host}]` : host;
      const message = `${shown}:${port} is not in the tool's allowNet`;
      throw new EgressDenied('host_not_allowed', message, { url, host });
    }
    let addresses = [host];
    if (!target.isIp) {
      try {
        addresses = (await scope.race(this.resolve(host))).map((entry) => entry.address);
      } catch (error) {
        if (scope.signal.aborted) throw scope.error;
        const message = `could not resolve ${host}: ${describe(error)}`;
        throw new EgressFailed('dns_failed', message, { url, host, cause: error });
      }
      if (addresses.length === 0) {
        throw new EgressFailed('dns_failed', `${host} has no addresses`, { url, host });
      }
    }
    // One forbidden answer fails the request: a round-robin mix of public and private addresses
    // would otherwise reach the private one on some attempts.
    for (const address of addresses) {
      const verdict = this.policy.classify(address);
      if (verdict.allowed) continue;
      const via = target.isIp ? '' : ` (it resolves to ${address})`;
      const message = `egress to ${host} denied${via}: ${verdict.reason}`;
      const reason = verdict.reason;
      throw new EgressDenied('address_forbidden', message, { url, host, address, reason });
    }
    return addresses;
  }
}

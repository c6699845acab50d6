import { once } from 'node:events';
import http, { type IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressPolicy } from './address-policy';
import { EgressDenied, EgressFailed } from './egress.errors';
import type { Headers } from './egress-headers';
import type { RequestScope } from './request-scope';

/** A parsed, credential-free http(s) URL with its effective port. */
export interface EgressTarget {
  url: URL;
  /** Lower-case host without IPv6 brackets. */
  host: string;
  port: number;
  isIp: boolean;
}

interface ConnectOptions {
  policy: AddressPolicy;
  connectTimeoutMs: number;
  /** Trusted roots for TLS; undefined: Node's defaults (system roots + NODE_EXTRA_CA_CERTS). */
  ca?: readonly string[];
  scope: RequestScope;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Connects to one of the already vetted addresses, in order, and never resolves the name again:
 * what the policy approved is what we dial (DNS rebinding gets no second answer). The peer is
 * checked once more before TLS and before a single request byte is written.
 */
export async function connectPinned(
  target: EgressTarget,
  addresses: readonly string[],
  options: ConnectOptions,
): Promise<net.Socket> {
  const { scope } = options;
  const failures: string[] = [];
  for (const address of addresses) {
    try {
      return await connectOne(target, address, options);
    } catch (error) {
      if (scope.signal.aborted) throw scope.error;
      if (error instanceof EgressDenied) throw error;
      failures.push(`${address}: ${describe(error)}`);
    }
  }
  const message = `could not connect to ${target.host}:${target.port} (${failures.join('; ')})`;
  throw new EgressFailed('connect_failed', message, { url: scope.current, host: target.host });
}

async function connectOne(
  target: EgressTarget,
  address: string,
  options: ConnectOptions,
): Promise<net.Socket> {
  const { policy, connectTimeoutMs, scope } = options;
  const attempt = AbortSignal.timeout(connectTimeoutMs);
  const signal = AbortSignal.any([scope.signal, attempt]);
  // `host` is an IP literal, so net.connect performs no lookup of its own.
  const socket = net.connect({ host: address, port: target.port, noDelay: true });
  try {
    await once(socket, 'connect', { signal }).catch((error: unknown) => {
      throw attempt.aborted ? new Error(`timed out after ${connectTimeoutMs} ms`) : error;
    });
    const peer = socket.remoteAddress ?? '';
    const verdict = policy.classify(peer);
    if (!verdict.allowed) {
      const message = `egress to ${target.host} denied (connected peer ${peer}): ${verdict.reason}`;
      const details = { url: scope.current, host: target.host, address: peer };
      throw new EgressDenied('address_forbidden', message, { ...details, reason: verdict.reason });
    }
    if (target.url.protocol === 'http:') return socket;
    const secure = tls.connect({
      socket,
      // SNI and certificate checks use the name the tool asked for, not the pinned address.
      servername: target.isIp ? undefined : target.host,
      host: target.host,
      ALPNProtocols: ['http/1.1'],
      minVersion: 'TLSv1.2',
      ...(options.ca ? { ca: [...options.ca] } : {}),
    });
    try {
      await once(secure, 'secureConnect', { signal });
    } catch (error) {
      secure.destroy();
      throw attempt.aborted ? new Error(`TLS timed out after ${connectTimeoutMs} ms`) : error;
    }
    return secure;
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

/**
 * Writes the request on the connected socket and buffers the response, failing with
 * `response_too_large` as soon as it passes `maxBytes` (declared or received).
 */
export function exchange(
  socket: net.Socket,
  target: EgressTarget,
  request: { method: string; headers: Headers; body: Buffer | undefined; maxBytes: number },
  scope: RequestScope,
): Promise<RawResponse> {
  const url = scope.current;
  const host = target.host;
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, response?: RawResponse): void => {
      if (settled) return;
      settled = true;
      scope.signal.removeEventListener('abort', onAbort);
      if (error || !response) {
        outgoing.destroy();
        socket.destroy();
        reject(error ?? new Error('no response'));
      } else {
        resolve(response);
      }
    };
    const onAbort = (): void => finish(scope.error);
    const tooLarge = (size: string): EgressFailed =>
      new EgressFailed(
        'response_too_large',
        `response from ${host} is larger than ${request.maxBytes} bytes (${size})`,
        { url, host },
      );
    const badResponse = (detail: string, cause?: unknown): EgressFailed =>
      new EgressFailed('bad_response', `bad response from ${host}: ${detail}`, {
        url,
        host,
        cause,
      });

    const headers: Headers = { ...request.headers, host: target.url.host };
    headers['accept-encoding'] = 'identity';
    if (request.body !== undefined) headers['content-length'] = String(request.body.length);
    const outgoing = http.request({
      createConnection: () => socket,
      method: request.method,
      path: `${target.url.pathname}${target.url.search}`,
      headers,
      setHost: false,
    });
    outgoing.on('error', (error) => finish(badResponse(error.message, error)));
    outgoing.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const declared = Number(response.headers['content-length']);
      const hasBody = request.method !== 'HEAD' && status !== 204 && status !== 304;
      if (hasBody && declared > request.maxBytes) {
        finish(tooLarge(`Content-Length ${declared}`));
        return;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      response.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > request.maxBytes) finish(tooLarge(`at least ${total} bytes received`));
        else chunks.push(chunk);
      });
      response.on('end', () => {
        finish(undefined, { status, headers: response.headers, body: Buffer.concat(chunks) });
      });
      response.on('error', (error) => finish(badResponse(error.message, error)));
      response.on('close', () => {
        if (!response.complete) finish(badResponse('connection closed mid-response'));
      });
    });
    scope.signal.addEventListener('abort', onAbort, { once: true });
    if (scope.signal.aborted) onAbort();
    else outgoing.end(request.body);
  });
}

import { chmod, unlink } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { EgressClient } from './egress-client';
import { EgressDenied, EgressFailed } from './egress.errors';
import { HostAllowlist } from './host-allowlist';

/**
 * The sandbox speaks to the gateway as to a plain-HTTP forward proxy (Deno's
 * `createHttpClient({ proxy: { transport: 'unix', path } })`): every request is
 * `METHOD http://egress.invalid/ HTTP/1.1` and the real target travels in a header, so that
 * https targets never turn into CONNECT tunnels the gateway could not inspect. `.invalid` is
 * reserved (RFC 6761): the sentinel can never be a real host.
 */
export const EGRESS_SENTINEL_HOST = 'egress.invalid';
export const EGRESS_URL_HEADER = 'x-gnomon-egress-url';
export const EGRESS_REDIRECT_HEADER = 'x-gnomon-egress-redirect'; // 'follow' (default) | 'manual'
export const EGRESS_DENIED_HEADER = 'x-gnomon-egress-denied'; // set on 403 denials: the denial code
export const EGRESS_ERROR_HEADER = 'x-gnomon-egress-error'; // set on 502 failures: the failure code

export interface EgressDenial {
  code: string;
  message: string;
  url: string;
}

export interface EgressGatewayHandle {
  readonly socketPath: string;
  /** The requests refused so far, oldest first (at most MAX_RECORDED_DENIALS). */
  denials(): EgressDenial[];
  /** Stops listening, drops open connections, cancels upstream requests, removes the socket. */
  close(): Promise<void>;
}

export interface EgressGatewayOptions {
  socketPath: string;
  allowNet: readonly string[];
  client: EgressClient;
  /** Requests one execution may make (default 100). */
  maxRequests?: number;
  /** Request body cap (default 10 MiB). */
  maxRequestBodyBytes?: number;
}

/** A runaway tool could otherwise grow the record without bound. */
const MAX_RECORDED_DENIALS = 100;

/** Gateway-level refusals, in the same shape as the client's denials. */
class GatewayRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: object,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(payload.length),
  });
  res.end(payload);
}

/** The request body, refused beyond `max` bytes (declared or received). */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const tooLarge = (): GatewayRefusal =>
    new GatewayRefusal(413, 'request_body_too_large', `request body is larger than ${max} bytes`, {
      connection: 'close',
    });
  if (Number(req.headers['content-length']) > max) throw tooLarge();
  // Unread bytes would be drained by the server; closing is cheaper than reading them.
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) throw tooLarge();
    chunks.push(chunk);
  }
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'];
  return hasBody ? Buffer.concat(chunks) : undefined;
}

function single(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  if (Array.isArray(value)) {
    throw new GatewayRefusal(400, 'invalid_proxy_request', `more than one ${name} header`);
  }
  return value;
}

/**
 * The Host must be the sentinel (with or without the default port), and so must the URI when
 * it is in absolute form: a request for a real host means the tool tried to use the socket as
 * an ordinary forward proxy, bypassing the target header.
 */
function checkSentinel(req: IncomingMessage): void {
  const host = (req.headers.host ?? '').toLowerCase();
  const uri = req.url ?? '';
  let uriHost = EGRESS_SENTINEL_HOST;
  if (!uri.startsWith('/')) {
    try {
      uriHost = new URL(uri).host;
    } catch {
      uriHost = '';
    }
  }
  const sentinel = (value: string): boolean =>
    value === EGRESS_SENTINEL_HOST || value === `${EGRESS_SENTINEL_HOST}:80`;
  if (!sentinel(host) || !sentinel(uriHost)) {
    const message =
      `direct requests are not allowed (Host ${JSON.stringify(host)}): send them to ` +
      `http://${EGRESS_SENTINEL_HOST}/ with the target URL in ${EGRESS_URL_HEADER}`;
    throw new GatewayRefusal(403, 'not_via_gateway', message);
  }
}

/**
 * Headers that steer the gateway never leave it, in either direction: the upstream does not
 * see them, and an upstream cannot forge a gateway denial or failure for the sandbox.
 */
function withoutGatewayHeaders<T extends object>(headers: T): T {
  const copy = { ...headers };
  for (const name of Object.keys(copy)) {
    if (name.toLowerCase().startsWith('x-gnomon-egress-')) delete copy[name as keyof T];
  }
  return copy;
}

function fail(res: ServerResponse, code: string, message: string): void {
  sendJson(res, 502, { [EGRESS_ERROR_HEADER]: code }, { error: 'EGRESS_FAILED', code, message });
}

/**
 * Opens the egress proxy of one execution on a UNIX socket. Every request is checked against
 * the execution's `allowNet` and the SSRF rules by the EgressClient; refusals are answered
 * with 403 and recorded so the execution can report them.
 */
export async function openEgressGateway(
  options: EgressGatewayOptions,
): Promise<EgressGatewayHandle> {
  const { socketPath, client } = options;
  const allowlist = HostAllowlist.from(options.allowNet);
  const maxRequests = options.maxRequests ?? 100;
  const maxBodyBytes = options.maxRequestBodyBytes ?? 10 * 1024 * 1024;
  const recorded: EgressDenial[] = [];
  const inFlight = new Set<AbortController>();
  let requests = 0;

  const record = (denial: EgressDenial): void => {
    if (recorded.length < MAX_RECORDED_DENIALS) recorded.push(denial);
  };
  const refuse = (
    res: ServerResponse,
    refusal: { status: number; code: string; message: string; headers?: Record<string, string> },
    url: string,
  ): void => {
    const { status, code, message } = refusal;
    record({ code, message, url });
    const headers = { ...refusal.headers, [EGRESS_DENIED_HEADER]: code };
    sendJson(res, status, headers, { error: 'EGRESS_DENIED', code, message });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target =
      typeof req.headers[EGRESS_URL_HEADER] === 'string'
        ? req.headers[EGRESS_URL_HEADER]
        : (req.url ?? '');
    const controller = new AbortController();
    inFlight.add(controller);
    // The sandbox went away (killed, timed out): stop the upstream request too.
    res.on('close', () => controller.abort());
    try {
      requests += 1;
      if (requests > maxRequests) {
        const message = `this execution has used its ${maxRequests} outbound requests`;
        throw new GatewayRefusal(429, 'request_budget_exhausted', message);
      }
      checkSentinel(req);
      const url = single(req, EGRESS_URL_HEADER);
      if (!url) {
        throw new GatewayRefusal(
          400,
          'invalid_proxy_request',
          `missing ${EGRESS_URL_HEADER} header`,
        );
      }
      const redirect = single(req, EGRESS_REDIRECT_HEADER) ?? 'follow';
      if (redirect !== 'follow' && redirect !== 'manual') {
        const message = `${EGRESS_REDIRECT_HEADER} must be follow or manual`;
        throw new GatewayRefusal(400, 'invalid_proxy_request', message);
      }
      const body = await readBody(req, maxBodyBytes);
      const response = await client.request({
        url,
        method: req.method ?? 'GET',
        headers: withoutGatewayHeaders(req.headers),
        body,
        allowlist,
        followRedirects: redirect === 'follow',
        signal: controller.signal,
      });
      const headers = withoutGatewayHeaders(response.headers);
      // The body is complete, so the length is known (HEAD keeps the upstream's).
      if (req.method !== 'HEAD') headers['content-length'] = String(response.body.length);
      res.writeHead(response.status, headers);
      res.end(response.body);
    } catch (error) {
      if (error instanceof GatewayRefusal) {
        refuse(res, error, target);
      } else if (error instanceof EgressDenied) {
        refuse(res, { status: 403, code: error.code, message: error.message }, error.url);
      } else if (error instanceof EgressFailed) {
        fail(res, error.code, error.message);
      } else {
        fail(res, 'internal_error', error instanceof Error ? error.message : String(error));
      }
    } finally {
      inFlight.delete(controller);
    }
  };

  const server = http.createServer({ requireHostHeader: false }, (req, res) => {
    void handle(req, res);
  });
  // CONNECT would be an opaque tunnel and an upgrade a protocol the gateway does not inspect:
  // both refused on the raw socket, and recorded like any other denial.
  const refuseRaw = (socket: Duplex, code: string, message: string, url: string): void => {
    record({ code, message, url });
    const body = JSON.stringify({ error: 'EGRESS_DENIED', code, message });
    socket.end(
      `HTTP/1.1 403 Forbidden\r\n${EGRESS_DENIED_HEADER}: ${code}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
  };
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const message = `CONNECT tunnels are not allowed: send requests to http://${EGRESS_SENTINEL_HOST}/`;
    refuseRaw(socket, 'tunnel_not_allowed', message, req.url ?? '');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const message = `protocol upgrades (${String(req.headers.upgrade)}) are not allowed`;
    refuseRaw(
      socket,
      'upgrade_not_allowed',
      message,
      String(req.headers[EGRESS_URL_HEADER] ?? req.url),
    );
  });
  server.on('clientError', (_error, socket: Duplex) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  try {
    // The sandbox may run as another uid; the socket lives in the execution's private directory.
    await chmod(socketPath, 0o666);
  } catch (error) {
    server.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    denials: () => recorded.map((denial) => ({ ...denial })),
    close: () => {
      closing ??= (async () => {
        for (const controller of inFlight) controller.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await unlink(socketPath).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
      })();
      return closing;
    },
  };
}

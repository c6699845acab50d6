import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';

/**
 * A `fetch` for the provider SDKs (their documented `fetch` option) on node:http keep-alive
 * agents. The gateway's profile put undici's WHATWG `fetch` (Request, Headers, web streams)
 * at about a sixth of its CPU per call; the SDKs only need a few members of the Response,
 * and read a body that is async-iterable directly. What it does not do: redirects (provider
 * APIs do not redirect), compression negotiation (we ask for identity) and HTTP/2.
 */
export type NodeHttpFetch = (url: string | URL, init?: FetchInit) => Promise<NodeHttpResponse>;

interface FetchInit {
  method?: string;
  headers?: HeadersLike;
  body?: string | Uint8Array | null;
  signal?: AbortSignal | null;
}

type HeadersLike =
  | { forEach(callback: (value: string, name: string) => void): void }
  | Record<string, string>
  | [string, string][];

/** The subset of `Headers` the SDKs read (get is case-insensitive, null when absent). */
export class ResponseHeaders {
  constructor(private readonly raw: IncomingHttpHeaders) {}
  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }
  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }
  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw)) yield [name, this.get(name)!];
  }
  keys(): IterableIterator<string> {
    return Object.keys(this.raw)[Symbol.iterator]();
  }
  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }
  forEach(callback: (value: string, name: string) => void): void {
    for (const [name, value] of this.entries()) callback(value, name);
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** The subset of `Response` the SDKs read; `body` is the Node stream (async-iterable). */
export class NodeHttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: ResponseHeaders;
  readonly redirected = false;
  readonly type = 'basic';
  private consumed = false;

  constructor(
    readonly url: string,
    readonly body: IncomingMessage,
  ) {
    this.status = body.statusCode ?? 0;
    this.statusText = body.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = new ResponseHeaders(body.headers);
  }

  get bodyUsed(): boolean {
    return this.consumed;
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  private async bytes(): Promise<Buffer> {
    this.consumed = true;
    const chunks: Buffer[] = [];
    for await (const chunk of this.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error('This operation was aborted');
  error.name = 'AbortError';
  return error;
}

function headersOf(input: HeadersLike | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!input) return out;
  if (Array.isArray(input)) {
    for (const [name, value] of input) out[name.toLowerCase()] = value;
  } else if (typeof (input as { forEach?: unknown }).forEach === 'function') {
    (input as { forEach(cb: (v: string, n: string) => void): void }).forEach((value, name) => {
      out[name.toLowerCase()] = value;
    });
  } else {
    for (const [name, value] of Object.entries(input as Record<string, string>))
      out[name.toLowerCase()] = value;
  }
  return out;
}

/** One fetch per provider client, each with its own keep-alive agents. */
export function createNodeHttpFetch(options: { maxSockets?: number } = {}): NodeHttpFetch {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 256,
    scheduling: 'lifo' as const,
  };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

  return (input, init = {}) =>
    new Promise<NodeHttpResponse>((resolve, reject) => {
      const url = typeof input === 'string' ? new URL(input) : input;
      const protocol = url.protocol as 'http:' | 'https:';
      const transport = protocol === 'https:' ? https : protocol === 'http:' ? http : null;
      if (!transport) {
        reject(new TypeError(`unsupported protocol ${url.protocol}`));
        return;
      }
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const headers = headersOf(init.headers);
      headers['accept-encoding'] = 'identity';
      const body =
        init.body === undefined || init.body === null
          ? undefined
          : typeof init.body === 'string'
            ? Buffer.from(init.body)
            : init.body;
      if (body) headers['content-length'] = String(body.byteLength);
      const request = transport.request(url, {
        method: init.method ?? 'GET',
        headers,
        agent: agents[protocol],
      });
      const onAbort = () => {
        const error = abortError(signal!);
        request.destroy(error);
        reject(error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      request.once('response', (response) => {
        // After the headers, an abort destroys the body stream: the SDK's reader throws.
        response.once('close', () => signal?.removeEventListener('abort', onAbort));
        resolve(new NodeHttpResponse(url.toString(), response));
      });
      request.once('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(new TypeError('fetch failed', { cause: error }));
      });
      request.end(body);
    });
}

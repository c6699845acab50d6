import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a fake upstream received. */
export interface UpstreamRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type UpstreamHandler = (request: UpstreamRequest, res: ServerResponse) => void;

/** By default an upstream echoes the request it received as JSON. */
const echo: UpstreamHandler = (request, res) => {
  const body = JSON.stringify({ ...request, body: request.body.toString('utf8') });
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
  res.end(body);
};

/**
 * A plain HTTP server for the egress tests, bound to one loopback address (127.0.0.2 stands in
 * for the public internet, 127.0.0.1 for an internal service) and recording every connection
 * and request, so tests can show that a denied request never reached it.
 */
export class FakeUpstream {
  readonly requests: UpstreamRequest[] = [];
  connections = 0;
  /** Replace per test; reset by `reset()`. */
  handler: UpstreamHandler = echo;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly host: string,
  ) {
    server.on('connection', (socket: Socket) => {
      this.connections += 1;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        this.requests.push(request);
        this.handler(request, res);
      });
    });
  }

  static async start(host: string): Promise<FakeUpstream> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    return new FakeUpstream(server, host);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Connections currently open on the server side. */
  get openSockets(): number {
    return this.sockets.size;
  }

  reset(): void {
    this.requests.length = 0;
    this.connections = 0;
    this.handler = echo;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

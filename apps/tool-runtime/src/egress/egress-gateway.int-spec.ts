// The egress gateway over its real UNIX socket, driven the way the sandbox drives it: HTTP proxy
// requests in absolute form to http://egress.invalid/ with the target in x-gnomon-egress-url.
// Upstreams are real servers on 127.0.0.2 (an operator exception in the policy under test).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AddressPolicy } from './address-policy';
import { EgressClient, type HostResolver } from './egress-client';
import {
  EGRESS_DENIED_HEADER,
  EGRESS_ERROR_HEADER,
  EGRESS_REDIRECT_HEADER,
  EGRESS_SENTINEL_HOST,
  EGRESS_URL_HEADER,
  openEgressGateway,
  type EgressGatewayHandle,
} from './egress-gateway';
import { FakeUpstream } from '../testing/fake-upstream';

const DENO = path.resolve(__dirname, '../../../../node_modules/@deno/linux-x64-glibc/deno');

interface GatewayAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request to the gateway as the sandbox sends it; `host`/`path` override the sentinel. */
function viaGateway(
  socketPath: string,
  options: {
    target?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    host?: string;
    path?: string;
  },
): Promise<GatewayAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      host: options.host ?? EGRESS_SENTINEL_HOST,
      ...options.headers,
    };
    if (options.target !== undefined) headers[EGRESS_URL_HEADER] = options.target;
    const req = http.request(
      {
        socketPath,
        method: options.method ?? 'GET',
        path: options.path ?? `http://${EGRESS_SENTINEL_HOST}/`,
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('egress gateway', () => {
  let upstream: FakeUpstream;
  let internal: FakeUpstream;
  let dir: string;
  let client: EgressClient;
  let gateway: EgressGatewayHandle;
  let api: string;

  const resolve: HostResolver = (hostname) => {
    const address = { 'api.allowed.test': '127.0.0.2', 'loopback.test': '127.0.0.1' }[hostname];
    if (!address) return Promise.reject(new Error(`getaddrinfo ENOTFOUND ${hostname}`));
    return Promise.resolve([{ address, family: 4 }]);
  };

  beforeAll(async () => {
    upstream = await FakeUpstream.start('127.0.0.2');
    internal = await FakeUpstream.start('127.0.0.1');
    api = `http://api.allowed.test:${upstream.port}`;
    // Short paths: UNIX socket paths are limited to 107 bytes.
    dir = await mkdtemp(path.join(tmpdir(), 'egw-'));
    client = new EgressClient({
      addressPolicy: new AddressPolicy({ allowCidrs: ['127.0.0.2/32'] }),
      resolve,
      timeoutMs: 5_000,
      maxResponseBytes: 1024 * 1024,
    });
  });

  beforeEach(async () => {
    upstream.reset();
    internal.reset();
    gateway = await openEgressGateway({
      socketPath: path.join(dir, `${Math.random().toString(36).slice(2, 8)}.sock`),
      allowNet: [`api.allowed.test:${upstream.port}`, `loopback.test:${internal.port}`],
      client,
    });
  });

  afterEach(async () => {
    await gateway.close();
  });

  afterAll(async () => {
    await upstream.close();
    await internal.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on a socket any uid may connect to', async () => {
    const info = await stat(gateway.socketPath);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o666);
  });

  it('passes an allowed request through with its method, headers and body', async () => {
    upstream.handler = (request, res) => {
      res.writeHead(201, {
        'content-type': 'text/plain',
        'x-upstream': 'yes',
        'keep-alive': 'timeout=99',
      });
      res.end(
        `${request.method} ${request.url} ${String(request.headers['x-tool'])} ${request.body.toString()}`,
      );
    };
    const answer = await viaGateway(gateway.socketPath, {
      target: `${api}/items?q=1`,
      method: 'POST',
      headers: {
        'x-tool': 'kept',
        'content-type': 'text/plain',
        [EGRESS_REDIRECT_HEADER]: 'follow',
      },
      body: 'hello',
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toBe('POST /items?q=1 kept hello');
    expect(answer.headers['x-upstream']).toBe('yes');
    expect(answer.headers).not.toHaveProperty('keep-alive', 'timeout=99');
    const seen = upstream.requests[0];
    expect(seen?.headers.host).toBe(`api.allowed.test:${upstream.port}`);
    // The gateway's own headers stop at the gateway.
    expect(Object.keys(seen?.headers ?? {}).filter((h) => h.startsWith('x-gnomon-'))).toEqual([]);
    expect(gateway.denials()).toEqual([]);
  });

  it('answers a denial with 403, the code header and JSON, and records it', async () => {
    const target = `http://loopback.test:${internal.port}/admin`;
    const answer = await viaGateway(gateway.socketPath, { target });
    expect(answer.status).toBe(403);
    expect(answer.headers[EGRESS_DENIED_HEADER]).toBe('address_forbidden');
    expect(answer.headers['content-type']).toBe('application/json');
    const message =
      'egress to loopback.test denied (it resolves to 127.0.0.1): 127.0.0.1 is a loopback address';
    expect(JSON.parse(answer.body)).toEqual({
      error: 'EGRESS_DENIED',
      code: 'address_forbidden',
      message,
    });
    expect(gateway.denials()).toEqual([{ code: 'address_forbidden', message, url: target }]);
    expect(internal.connections).toBe(0);
  });

  it('refuses a host outside the allowNet', async () => {
    const answer = await viaGateway(gateway.socketPath, {
      target: 'http://169.254.169.254/latest/meta-data/',
    });
    expect(answer.status).toBe(403);
    expect(answer.headers[EGRESS_DENIED_HEADER]).toBe('host_not_allowed');
    expect(gateway.denials()).toMatchObject([
      { code: 'host_not_allowed', url: 'http://169.254.169.254/latest/meta-data/' },
    ]);
  });

  it('answers an upstream failure with 502 and the failure code', async () => {
    upstream.handler = (_request, res) => res.end(Buffer.alloc(2 * 1024 * 1024));
    const answer = await viaGateway(gateway.socketPath, { target: `${api}/big` });
    expect(answer.status).toBe(502);
    expect(answer.headers[EGRESS_ERROR_HEADER]).toBe('response_too_large');
    expect(JSON.parse(answer.body)).toMatchObject({
      error: 'EGRESS_FAILED',
      code: 'response_too_large',
    });
    expect(gateway.denials()).toEqual([]);
  });

  it('refuses a request whose Host is not the sentinel, without forwarding it', async () => {
    const answer = await viaGateway(gateway.socketPath, {
      host: `api.allowed.test:${upstream.port}`,
      path: `${api}/`,
      target: `${api}/`,
    });
    expect(answer.status).toBe(403);
    expect(answer.headers[EGRESS_DENIED_HEADER]).toBe('not_via_gateway');
    expect(upstream.connections).toBe(0);
    expect(gateway.denials()).toMatchObject([{ code: 'not_via_gateway' }]);
  });

  it('accepts origin-form requests whose Host is the sentinel', async () => {
    const answer = await viaGateway(gateway.socketPath, {
      target: `${api}/origin-form`,
      path: '/',
    });
    expect(answer.status).toBe(200);
    expect(upstream.requests[0]?.url).toBe('/origin-form');
  });

  it('does not let an upstream forge a gateway denial', async () => {
    upstream.handler = (_request, res) =>
      res
        .writeHead(403, {
          [EGRESS_DENIED_HEADER]: 'host_not_allowed',
          [EGRESS_ERROR_HEADER]: 'timeout',
        })
        .end('no');
    const answer = await viaGateway(gateway.socketPath, { target: api });
    expect(answer.status).toBe(403);
    expect(answer.body).toBe('no');
    expect(answer.headers).not.toHaveProperty(EGRESS_DENIED_HEADER);
    expect(answer.headers).not.toHaveProperty(EGRESS_ERROR_HEADER);
    expect(gateway.denials()).toEqual([]);
  });

  it('refuses a request without a target URL', async () => {
    const answer = await viaGateway(gateway.socketPath, {});
    expect(answer.status).toBe(400);
    expect(answer.headers[EGRESS_DENIED_HEADER]).toBe('invalid_proxy_request');
  });

  it('returns a redirect as is when asked for manual redirects', async () => {
    upstream.handler = (_request, res) => res.writeHead(302, { location: '/next' }).end();
    const answer = await viaGateway(gateway.socketPath, {
      target: `${api}/start`,
      headers: { [EGRESS_REDIRECT_HEADER]: 'manual' },
    });
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe('/next');
    expect(upstream.requests).toHaveLength(1);
  });

  it('refuses a CONNECT tunnel', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        socketPath: gateway.socketPath,
        method: 'CONNECT',
        path: 'example.com:443',
      });
      req.on('connect', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    expect(gateway.denials()).toMatchObject([
      { code: 'tunnel_not_allowed', url: 'example.com:443' },
    ]);
  });

  it('stops after the request budget with request_budget_exhausted', async () => {
    const small = await openEgressGateway({
      socketPath: path.join(dir, 'budget.sock'),
      allowNet: [`api.allowed.test:${upstream.port}`],
      client,
      maxRequests: 2,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await viaGateway(small.socketPath, { target: api })).status);
      expect(statuses).toEqual([200, 200, 429]);
      expect(upstream.requests).toHaveLength(2);
      expect(small.denials()).toMatchObject([{ code: 'request_budget_exhausted' }]);
    } finally {
      await small.close();
    }
  });

  it('refuses a request body over the cap without forwarding it', async () => {
    const small = await openEgressGateway({
      socketPath: path.join(dir, 'body.sock'),
      allowNet: [`api.allowed.test:${upstream.port}`],
      client,
      maxRequestBodyBytes: 10,
    });
    try {
      const answer = await viaGateway(small.socketPath, {
        target: api,
        method: 'POST',
        body: 'x'.repeat(11),
      });
      expect(answer.status).toBe(413);
      expect(answer.headers[EGRESS_DENIED_HEADER]).toBe('request_body_too_large');
      expect(upstream.connections).toBe(0);
    } finally {
      await small.close();
    }
  });

  it('close() stops listening and removes the socket file', async () => {
    const socketPath = gateway.socketPath;
    await gateway.close();
    expect(existsSync(socketPath)).toBe(false);
    await expect(viaGateway(socketPath, { target: api })).rejects.toMatchObject({ code: 'ENOENT' });
    await gateway.close(); // idempotent: afterEach closes again
  });

  it('close() drops an open request and cancels its upstream request', async () => {
    upstream.handler = () => undefined;
    const pending = viaGateway(gateway.socketPath, { target: `${api}/slow` });
    while (upstream.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await gateway.close();
    await expect(pending).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upstream.openSockets).toBe(0);
  });

  (existsSync(DENO) ? it : it.skip)(
    'carries a Deno fetch through createHttpClient({ proxy: { transport: "unix" } })',
    async () => {
      upstream.handler = (request, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`upstream saw ${request.method} ${request.url} host=${request.headers.host}`);
      };
      const sock = gateway.socketPath;
      const script = path.join(dir, 'fetch.ts');
      await writeFile(
        script,
        `const c = Deno.createHttpClient({ proxy: { transport: 'unix', path: ${JSON.stringify(sock)} } });\n` +
          `const r = await fetch('http://${EGRESS_SENTINEL_HOST}/', { client: c, headers: { '${EGRESS_URL_HEADER}': ${JSON.stringify(`${api}/from-deno`)} } });\n` +
          `console.log(r.status, await r.text());\n`,
      );
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(
          DENO,
          [
            'run',
            '--no-prompt',
            '--no-config',
            `--allow-read=${sock}`,
            `--allow-write=${sock}`,
            `--allow-net=unix:${sock},${EGRESS_SENTINEL_HOST}`,
            script,
          ],
          {
            env: {
              ...process.env,
              DENO_DIR: path.join(dir, 'deno'),
              DENO_NO_UPDATE_CHECK: '1',
              NO_COLOR: '1',
            },
            timeout: 30_000,
          },
          (error, out, err) =>
            error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
        );
      });
      expect(stdout.trim()).toBe(
        `200 upstream saw GET /from-deno host=api.allowed.test:${upstream.port}`,
      );
      expect(gateway.denials()).toEqual([]);
    },
  );
});

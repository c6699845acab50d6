import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '@gnomon/aws';
import {
  ARTIFACT_BUCKET,
  executionOf,
  startToolRuntime,
  type ToolRuntimeHarness,
} from '../testing/tool-runtime-harness';

/** A "public" upstream on 127.0.0.2 (permitted by TOOL_EGRESS_ALLOW_CIDRS; 127.0.0.1 is not). */
interface Upstream {
  server: Server;
  port: number;
  requests: { method: string; url: string; host: string; body: string }[];
}

async function startUpstream(
  handler: (
    req: IncomingMessage,
    body: string,
  ) => { status: number; headers?: Record<string, string>; body: string; delayMs?: number },
  host = '127.0.0.2',
): Promise<Upstream> {
  const requests: Upstream['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, host: req.headers.host!, body });
      const answer = handler(req, body);
      setTimeout(() => {
        res.writeHead(answer.status, answer.headers ?? { 'content-type': 'application/json' });
        res.end(answer.body);
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

const HOSTS: Record<string, string> = {
  'api.allowed.test': '127.0.0.2',
  'loopback.test': '127.0.0.1',
};

describe('POST /v1/executions', () => {
  let runtime: ToolRuntimeHarness;
  let upstream: Upstream;
  let internal: Upstream;

  beforeAll(async () => {
    upstream = await startUpstream((req, body) => {
      if (req.url?.startsWith('/redirect-internal'))
        return {
          status: 302,
          headers: { location: `http://127.0.0.1:${internal.port}/secret` },
          body: '',
        };
      if (req.url?.startsWith('/slow'))
        return { status: 200, body: '{"slow":true}', delayMs: 1_500 };
      if (req.url?.startsWith('/missing')) return { status: 404, body: '{"error":"nope"}' };
      return { status: 200, body: JSON.stringify({ path: req.url, echo: body || null }) };
    });
    internal = await startUpstream(() => ({ status: 200, body: '{"secret":true}' }), '127.0.0.1');
    runtime = await startToolRuntime({
      env: { TOOL_EGRESS_ALLOW_CIDRS: '127.0.0.2/32', TOOL_MAX_CONCURRENCY_PER_TENANT: '1' },
      resolve: (hostname) => {
        const address = HOSTS[hostname];
        if (!address) return Promise.reject(new Error(`getaddrinfo ENOTFOUND ${hostname}`));
        return Promise.resolve([{ address, family: 4 }]);
      },
    });
  });

  afterAll(async () => {
    await runtime?.close();
    upstream?.server.close();
    internal?.server.close();
  });

  const httpTool = (url: string, extra: Record<string, unknown> = {}) => ({
    kind: 'http',
    request: { method: 'GET', url },
    allowNet: [`api.allowed.test:${upstream.port}`],
    ...extra,
  });

  it('refuses callers without the service credential', async () => {
    const missing = await fetch(`${runtime.baseUrl}/v1/executions`, { method: 'POST' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    const wrong = await runtime.execute(executionOf(httpTool('http://x')), {
      authorization: 'Bearer not-the-token',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: 'unauthenticated', requestId: expect.any(String) });
  });

  it('refuses a malformed request naming each offending path', async () => {
    const { status, body } = await runtime.execute({
      ...executionOf({ kind: 'ruby', source: 'x' }),
      limits: { timeoutMs: 10_000_000 },
      extra: true,
    });
    expect(status).toBe(400);
    expect(body.code).toBe('validation_failed');
    const paths = body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['tool.kind', 'limits.timeoutMs', '(body)']));
  });

  it('runs a JS tool end to end and uploads what it writes to scratch as artifacts', async () => {
    const request = executionOf(
      {
        kind: 'js',
        source: `export default async function (input, context) {
          await Deno.writeTextFile(context.scratchDir + '/report.txt', 'total=' + input.a * input.b);
          console.log('computing');
          return { product: input.a * input.b };
        }`,
      },
      { a: 6, b: 7 },
    );
    const { status, body } = await runtime.execute(request);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'SUCCEEDED',
      output: { product: 42 },
      error: null,
      stdout: expect.stringContaining('computing'),
      executionId: expect.any(String),
    });
    expect(body.artifacts).toEqual([
      {
        key: `tenants/${request.tenantId}/runs/${request.runId}/steps/step-1/${body.executionId}/report.txt`,
        size: 8,
        contentType: 'text/plain; charset=utf-8',
      },
    ]);
    const s3 = createS3Client({
      region: 'us-east-1',
      endpoint: runtime.aws.endpoint,
      localCredentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    const object = await s3.send(
      new GetObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: body.artifacts[0].key }),
    );
    expect(await object.Body!.transformToString()).toBe('total=42');
  });

  it('checks the input against the tool schema before running anything', async () => {
    const before = upstream.requests.length;
    const { body } = await runtime.execute(
      executionOf(
        httpTool(`http://api.allowed.test:${upstream.port}/items/{{input.id}}`, {
          inputSchema: {
            type: 'object',
            required: ['id'],
            properties: { id: { type: 'integer', minimum: 1 } },
          },
        }),
        { id: 0 },
      ),
    );
    expect(body).toMatchObject({ status: 'FAILED', output: null, error: { path: 'input.id' } });
    expect(body.error.message).toContain(
      "does not match the tool's input schema: input.id: must be >= 1",
    );
    expect(upstream.requests.length).toBe(before);
  });

  it('checks the output against the tool schema after running', async () => {
    const { body } = await runtime.execute(
      executionOf({
        kind: 'js',
        source: 'export default () => ({ total: "many" });',
        outputSchema: { type: 'object', properties: { total: { type: 'number' } } },
      }),
    );
    expect(body).toMatchObject({ status: 'FAILED', output: null, error: { path: 'output.total' } });
  });

  it('makes an http tool request through the egress policy', async () => {
    const { body } = await runtime.execute(
      executionOf(
        httpTool(`http://api.allowed.test:${upstream.port}/search`, {
          request: {
            method: 'POST',
            url: `http://api.allowed.test:${upstream.port}/search`,
            query: { q: '{{input.q}}' },
            body: { q: '{{input.q}}' },
          },
        }),
        { q: 'a b' },
      ),
    );
    expect(body.status).toBe('SUCCEEDED');
    expect(body.output).toMatchObject({
      status: 200,
      body: { path: '/search?q=a+b', echo: '{"q":"a b"}' },
    });
    expect(upstream.requests.at(-1)).toMatchObject({
      method: 'POST',
      host: `api.allowed.test:${upstream.port}`,
    });
  });

  it('reports an upstream error status as FAILED with the status in the message', async () => {
    const { body } = await runtime.execute(
      executionOf(httpTool(`http://api.allowed.test:${upstream.port}/missing`)),
    );
    expect(body).toMatchObject({
      status: 'FAILED',
      error: { message: expect.stringContaining('answered 404') },
    });
  });

  it.each([
    [
      'a host that is not allowed',
      'http://elsewhere.test/',
      "elsewhere.test:80 is not in the tool's allowNet",
    ],
    [
      'a name that resolves to loopback',
      'http://loopback.test/',
      '127.0.0.1 is a loopback address',
    ],
  ])('denies %s', async (_name, url, reason) => {
    const { body } = await runtime.execute(
      executionOf(httpTool(url, { allowNet: ['api.allowed.test', 'loopback.test'] })),
    );
    expect(body.status).toBe('EGRESS_DENIED');
    expect(body.error.message).toContain(reason);
  });

  it('denies a redirect from an allowed host to a private address', async () => {
    const before = internal.requests.length;
    const { body } = await runtime.execute(
      executionOf(httpTool(`http://api.allowed.test:${upstream.port}/redirect-internal`)),
    );
    expect(body.status).toBe('EGRESS_DENIED');
    expect(body.error.message).toContain('127.0.0.1');
    expect(internal.requests.length).toBe(before);
  });

  it('lets a sandboxed tool reach an allowed host only through the egress proxy', async () => {
    const { body } = await runtime.execute(
      executionOf(
        {
          kind: 'ts',
          allowNet: [`api.allowed.test:${upstream.port}`],
          source: `export default async (input: { port: number }) => {
          const ok = await (await fetch('http://api.allowed.test:' + input.port + '/from-sandbox')).json();
          let denied = '';
          try { await fetch('http://127.0.0.1:' + input.port + '/'); } catch (e) { denied = (e as Error).name; }
          return { ok, denied };
        }`,
        },
        { port: upstream.port },
      ),
    );
    expect(body.status).toBe('SUCCEEDED');
    expect(body.output).toEqual({
      ok: { path: '/from-sandbox', echo: null },
      denied: 'EgressDenied',
    });
  });

  it.each([
    ['127.0.0.1', '127.0.0.1', 'loopback'],
    ['[::1]', '[::1]', 'loopback'],
    ['169.254.169.254', '169.254.169.254', 'metadata'],
    ['a 10.x address', '10.1.2.3', 'private'],
    ['2130706433', '2130706433', 'loopback'],
    ['0x7f000001', '0x7f000001', 'loopback'],
    ['a name resolving to loopback', 'loopback.test', 'loopback'],
  ])(
    'denies a sandboxed tool reaching %s even when its allowNet lists it',
    async (_n, host, kind) => {
      const before = internal.requests.length;
      const { body } = await runtime.execute(
        executionOf(
          {
            kind: 'js',
            allowNet: [`${host}:${internal.port}`],
            source: `export default async () => (await fetch('http://${host}:${internal.port}/secret')).text();`,
          },
          {},
        ),
      );
      expect(body.status).toBe('EGRESS_DENIED');
      expect(body.error.message).toContain(kind);
      expect(internal.requests.length).toBe(before);
    },
  );

  it('uploads what a Python tool writes to its scratch folder', async () => {
    const request = executionOf(
      {
        kind: 'python',
        source: [
          'def main(input, context):',
          "    with open(context['scratch_dir'] + '/rows.csv', 'w') as f:",
          "        f.write('a,b\\n1,2\\n')",
          "    return {'rows': input['n']}",
        ].join('\n'),
      },
      { n: 1 },
    );
    const { body } = await runtime.execute(request);
    expect(body).toMatchObject({ status: 'SUCCEEDED', output: { rows: 1 } });
    expect(body.artifacts).toEqual([
      expect.objectContaining({
        key: expect.stringMatching(new RegExp(`^tenants/${request.tenantId}/runs/.+/rows\\.csv$`)),
        size: 8,
        contentType: 'text/csv; charset=utf-8',
      }),
    ]);
  }, 30_000);

  it('times an http tool out at its deadline', async () => {
    const { body } = await runtime.execute({
      ...executionOf(httpTool(`http://api.allowed.test:${upstream.port}/slow`)),
      limits: { timeoutMs: 300 },
    });
    expect(body.status).toBe('TIMEOUT');
  });

  it('queues a tenant beyond its concurrency and refuses beyond the queue bound', async () => {
    const isolated = await startToolRuntime({
      env: {
        TOOL_EGRESS_ALLOW_CIDRS: '127.0.0.2/32',
        TOOL_MAX_CONCURRENCY: '1',
        TOOL_QUEUE_LIMIT: '1',
      },
      resolve: () => Promise.resolve([{ address: '127.0.0.2', family: 4 }]),
    });
    try {
      const slow = executionOf(httpTool(`http://api.allowed.test:${upstream.port}/slow`));
      const first = isolated.execute(slow);
      await new Promise((r) => setTimeout(r, 200));
      const second = isolated.execute({ ...slow, tenantId: executionOf({}).tenantId });
      await new Promise((r) => setTimeout(r, 100));
      const third = await isolated.execute(slow);
      expect(third.status).toBe(429);
      expect(third.body).toMatchObject({ code: 'too_many_executions' });
      expect(third.body.detail).toContain('at capacity');
      expect((await first).body.status).toBe('SUCCEEDED');
      expect((await second).body.status).toBe('SUCCEEDED'); // it waited, then ran
    } finally {
      await isolated.close();
    }
  });

  it('says on /readyz which isolation layers this host gives', async () => {
    const response = await fetch(`${runtime.baseUrl}/readyz`);
    expect(response.status).toBe(200);
    const body: any = await response.json();
    let bwrapWorks = false;
    try {
      execFileSync('bwrap', ['--ro-bind', '/', '/', '--unshare-all', '--', '/bin/true'], {
        stdio: 'ignore',
      });
      bwrapWorks = true;
    } catch {
      bwrapWorks = false;
    }
    expect(body.status).toBe('ready');
    expect(body.sandbox.bubblewrap.enabled).toBe(bwrapWorks);
    expect(body.sandbox.bubblewrap.reason).toEqual(expect.any(String));
    expect(body.sandbox.deno).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exports execution metrics', async () => {
    const text = await (await fetch(`${runtime.baseUrl}/metrics`)).text();
    expect(text).toMatch(/gnomon_tool_executions_total\{[^}]*kind="js"[^}]*status="SUCCEEDED"/);
  });
});

// The README's start path, as a newcomer runs it: `node tools/start.mjs --simulated-provider`
// (what `npm start` runs after building) with no DATABASE_URL, REDIS_URL or provider key, driven
// over real HTTP: the control plane, and the LLM gateway in single-instance mode.
import OpenAI from 'openai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const ADMIN_KEY_LINE = /^\s+(gnp_[0-9A-Za-z]{49})\s*$/m;

interface Platform {
  process: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

function embeddedEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GNOMON_DATA_DIR: dataDir,
    CONTROL_PLANE_PORT: String(port),
    LLM_GATEWAY_PORT: String(port + 1),
    TOOL_RUNTIME_PORT: String(port + 2),
    // Health port only; an ephemeral one keeps parallel test files apart.
    ORCHESTRATOR_WORKER_PORT: '0',
  };
  for (const name of [
    'DATABASE_URL',
    'REDIS_URL',
    'GNOMON_ADMIN_KEY',
    'PORT',
    'GNOMON_API_KEY_PEPPER',
    'GNOMON_CURSOR_SECRET',
    'GNOMON_SIMULATED_PROVIDER',
    'OPENAI_API_KEY',
    'ANTHROPIC_API_KEY',
    'GEMINI_API_KEY',
    'GNOMON_SERVICE_TOKEN',
    'AWS_ENDPOINT_URL',
  ]) {
    delete env[name];
  }
  return env;
}

async function start(dataDir: string, port: number): Promise<Platform> {
  const child = spawn(
    process.execPath,
    [path.join(root, 'tools/start.mjs'), '--simulated-provider'],
    {
      cwd: root,
      env: embeddedEnv(dataDir, port),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`start exited early:\n${output}`);
    const ready = await Promise.all(
      [port, port + 1, port + 2].map((p) =>
        fetch(`http://127.0.0.1:${p}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        ),
      ),
    );
    if (ready.every(Boolean)) break;
    if (Date.now() > deadline) throw new Error(`platform not ready in time:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    process: child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

async function api(
  port: number,
  method: string,
  url: string,
  key: string,
  body?: unknown,
  tenant?: string,
) {
  const response = await fetch(`http://127.0.0.1:${port}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(tenant ? { 'x-gnomon-tenant': tenant } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('npm start on embedded defaults', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gnomon-e2e-'));
  let port = 0;
  beforeAll(async () => {
    port = await freePorts();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts on PGlite, prints the admin key once, and keeps data across restarts', async () => {
    const first = await start(dataDir, port);
    let tenantId: string;
    let adminKey: string;
    let callCost: number;
    try {
      const match = ADMIN_KEY_LINE.exec(first.output());
      expect(match).not.toBeNull();
      adminKey = match![1];
      expect(first.output()).toContain('embedded PGlite');

      const tenant = await api(port, 'POST', '/api/v1/admin/tenants', adminKey, {
        name: 'E2E',
        owner: { email: 'e2e@example.test', name: 'E' },
      });
      expect(tenant.status).toBe(201);
      tenantId = tenant.body.id;
      const key = await api(
        port,
        'POST',
        '/api/v1/api-keys',
        adminKey,
        { name: 'e2e', scopes: ['runs:read'] },
        tenantId,
      );
      expect(key.status).toBe(201);
      const me = await api(port, 'GET', '/api/v1/me', key.body.secret);
      expect(me.body).toMatchObject({ type: 'API_KEY', tenantId });
      // RLS holds on PGlite too: the tenant key sees only its own tenant's rows.
      const members = await api(port, 'GET', '/api/v1/members', adminKey, undefined, tenantId);
      expect(members.body.items.map((m: { email: string }) => m.email)).toEqual([
        'e2e@example.test',
      ]);

      // The gateway runs too, without Redis, and answers from the simulated provider.
      expect(first.output()).toContain('simulated (GNOMON_SIMULATED_PROVIDER=1');
      const gatewayReady = await fetch(`http://127.0.0.1:${port + 1}/readyz`);
      expect(
        ((await gatewayReady.json()) as { checks: Record<string, string> }).checks,
      ).toMatchObject({ database: 'ok', redis: 'not configured (single-instance mode)' });
      const llmKey = await api(
        port,
        'POST',
        '/api/v1/api-keys',
        adminKey,
        { name: 'e2e-llm', scopes: ['llm:invoke'] },
        tenantId,
      );
      expect(llmKey.status).toBe(201);
      const openai = new OpenAI({
        apiKey: llmKey.body.secret,
        baseURL: `http://127.0.0.1:${port + 1}/v1`,
        maxRetries: 0,
      });
      const { data, response } = await openai.chat.completions
        .create({ model: 'simulated/sim-small', messages: [{ role: 'user', content: 'Hello' }] })
        .withResponse();
      expect(data.choices[0].message.content).toContain('simulated');
      expect(response.headers.get('x-gnomon-simulated')).toBe('true');
      callCost = Number(response.headers.get('x-gnomon-cost-micros'));
      expect(callCost).toBeGreaterThan(0);

      // The tool runtime runs a sandboxed tool with the platform's service token (from the
      // data dir) and stores its artifact on the local S3 endpoint.
      expect(first.output()).toContain('local S3/SQS-compatible endpoint');
      const { serviceToken } = JSON.parse(
        readFileSync(path.join(dataDir, 'secrets.json'), 'utf8'),
      ) as { serviceToken: string };
      const execution = await fetch(`http://127.0.0.1:${port + 2}/v1/executions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${serviceToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          tenantId,
          runId: 'e2e-run',
          stepId: 'e2e-step',
          tool: {
            kind: 'ts',
            source: `export default async (input: { n: number }, ctx: { scratchDir: string }) => {
              await Deno.writeTextFile(ctx.scratchDir + '/note.txt', 'n=' + input.n);
              return { doubled: input.n * 2 };
            };`,
          },
          input: { n: 21 },
        }),
      });
      const result = (await execution.json()) as Record<string, any>;
      expect(result).toMatchObject({ status: 'SUCCEEDED', output: { doubled: 42 } });
      expect(result.artifacts[0].key).toMatch(new RegExp(`^tenants/${tenantId}/runs/e2e-run/`));
    } finally {
      expect(await first.stop()).toBe(0);
    }

    const second = await start(dataDir, port);
    try {
      expect(second.output()).not.toMatch(ADMIN_KEY_LINE);
      expect(second.output()).toContain('0 applied');
      const tenant = await api(port, 'GET', `/api/v1/admin/tenants/${tenantId}`, adminKey);
      expect(tenant.status).toBe(200);
      expect(tenant.body.name).toBe('E2E');
      // The gateway's usage event reached Postgres (at the latest when it stopped).
      const from = new Date(Date.now() - 86_400_000).toISOString();
      const to = new Date(Date.now() + 86_400_000).toISOString();
      const usage = await api(
        port,
        'GET',
        `/api/v1/usage?from=${from}&to=${to}`,
        adminKey,
        undefined,
        tenantId,
      );
      expect(usage.status).toBe(200);
      expect(usage.body.totals).toMatchObject({ calls: 1, costMicros: String(callCost) });
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/**
 * Two adjacent free ports (control plane, gateway), below the kernel's ephemeral range
 * (32768+) so an outgoing connection cannot take one between this check and the start.
 */
/** Three consecutive free ports: control plane, gateway, tool runtime. */
async function freePorts(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 10_000 + 3 * Math.floor(Math.random() * 7_000);
    if ((await canListen(port)) && (await canListen(port + 1)) && (await canListen(port + 2)))
      return port;
  }
  throw new Error('no three free ports found');
}

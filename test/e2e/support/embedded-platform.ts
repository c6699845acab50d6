// The platform as `npm start` runs it (tools/start.mjs on its embedded defaults: PGlite, the local
// SQS/S3 endpoint, the local run engine, single-instance gateway), for end-to-end tests that
// drive it over HTTP as a tenant would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const ADMIN_KEY_LINE = /^\s+(gnp_[0-9A-Za-z]{49})\s*$/m;
const CLEARED = [
  'DATABASE_URL',
  'REDIS_URL',
  'GNOMON_ADMIN_KEY',
  'PORT',
  'GNOMON_API_KEY_PEPPER',
  'GNOMON_CURSOR_SECRET',
  'GNOMON_SIMULATED_PROVIDER',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'ANTHROPIC_API_KEY',
  'GEMINI_API_KEY',
  'GNOMON_SERVICE_TOKEN',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_SFN',
  'GNOMON_STATE_MACHINE_ARN',
  'GNOMON_STEP_QUEUE_URL',
  'GNOMON_LLM_GATEWAY_URL',
  'GNOMON_TOOL_RUNTIME_URL',
];

export interface ApiResult {
  status: number;
  body: any;
  headers: Headers;
}

export interface EmbeddedPlatform {
  port: number;
  adminKey: string;
  output(): string;
  api(
    method: string,
    url: string,
    key: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResult>;
  stop(): Promise<void>;
}

export async function startEmbeddedPlatform(
  extraEnv: Record<string, string> = {},
): Promise<EmbeddedPlatform> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gnomon-e2e-'));
  const port = await freePorts(3);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CLEARED) delete env[name];
  Object.assign(env, {
    GNOMON_DATA_DIR: dataDir,
    CONTROL_PLANE_PORT: String(port),
    LLM_GATEWAY_PORT: String(port + 1),
    TOOL_RUNTIME_PORT: String(port + 2),
    ORCHESTRATOR_WORKER_PORT: '0',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  });
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(root, 'tools/start.mjs'), '--simulated-provider'],
    {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
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
    if (ready.every(Boolean) && output.includes('orchestrator-worker running')) break;
    if (Date.now() > deadline) throw new Error(`platform not ready in time:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const adminKey = ADMIN_KEY_LINE.exec(output)?.[1];
  if (!adminKey) throw new Error(`no admin key printed:\n${output}`);
  return {
    port,
    adminKey,
    output: () => output,
    api: async (method, url, key, body, headers = {}) => {
      const response = await fetch(`http://127.0.0.1:${port}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (an event stream)
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePorts(count: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    // Below the ephemeral range (32768+), where the platform's own random ports land.
    const port = 20_000 + count * Math.floor(Math.random() * 3_500);
    let all = true;
    for (let p = port; p < port + count && all; p++) all = await canListen(p);
    if (all) return port;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

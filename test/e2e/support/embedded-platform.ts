// The platform as `npm start` runs it (tools/start.mjs on its embedded defaults: PGlite, the local
// SQS/S3 endpoint, the local run engine, single-instance gateway), for end-to-end tests that
// drive it over HTTP as a tenant would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The repository root, found from here both in the sources and in dist/ (benchmarks run there). */
function repositoryRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'tools/start.mjs'))) return dir;
  }
  throw new Error(`tools/start.mjs not found above ${__dirname}`);
}
const root = repositoryRoot();
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
  /** The start.mjs process (the apps are its children). */
  pid: number;
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

export interface EmbeddedPlatformOptions {
  /** Echo the apps' output to stderr once the platform is ready (benchmarks want the warnings). */
  echoAfterReady?: boolean;
  /** More environment that depends on the control plane's port (e.g. a callback URL). */
  envFor?: (controlPlanePort: number) => Record<string, string>;
}

export async function startEmbeddedPlatform(
  extraEnv: Record<string, string> = {},
  options: EmbeddedPlatformOptions = {},
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
    ...options.envFor?.(port),
  });
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(root, 'tools/start.mjs'), '--simulated-provider'],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let ready = false;
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (ready && options.echoAfterReady) process.stderr.write(chunk);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const fail = async (message: string): Promise<never> => {
    await stop();
    throw new Error(`${message}:\n${output}`);
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) await fail('start exited early');
    const up = await Promise.all(
      [port, port + 1, port + 2].map((p) =>
        fetch(`http://127.0.0.1:${p}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        ),
      ),
    );
    if (up.every(Boolean) && output.includes('orchestrator-worker running')) break;
    if (Date.now() > deadline) await fail('platform not ready in time');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  ready = true;
  const adminKey = ADMIN_KEY_LINE.exec(output)?.[1];
  if (!adminKey) return fail('no admin key printed');
  return {
    port,
    pid: child.pid!,
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
    stop,
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

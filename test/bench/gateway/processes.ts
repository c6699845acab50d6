// The processes of the gateway benchmark: the upstream fake, Gnomon's gateway (from dist/) and
// Portkey's gateway, each spawned directly with `node` so the pid is the server's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';

export const root = path.resolve(__dirname, '../../../..');

export interface Server {
  name: string;
  port: number;
  child: ChildProcess;
  log: ProcessLog;
}

/** What a server printed: line count and how often each kind of line appeared. */
export interface ProcessLog {
  lines: number;
  kinds: Map<string, number>;
}

/** A pino line as `<level>: <msg> (<err.message>)`, any other line as its first 100 characters. */
function kindOf(line: string): string {
  try {
    const entry = JSON.parse(line) as {
      level?: unknown;
      msg?: unknown;
      err?: { message?: unknown };
    };
    const error = typeof entry.err?.message === 'string' ? ` (${entry.err.message})` : '';
    return `${String(entry.level)}: ${String(entry.msg)}${error}`.slice(0, 160);
  } catch {
    return line.trim().slice(0, 100);
  }
}

function watchLog(stream: NodeJS.ReadableStream | null, ignore?: RegExp): ProcessLog {
  const log: ProcessLog = { lines: 0, kinds: new Map() };
  let rest = '';
  stream?.on('data', (part: Buffer) => {
    const lines = (rest + part.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '' || ignore?.test(line)) continue;
      log.lines += 1;
      const kind = kindOf(line);
      log.kinds.set(kind, (log.kinds.get(kind) ?? 0) + 1);
    }
  });
  return log;
}

export function describeLog(log: ProcessLog): string {
  if (log.lines === 0) return 'none';
  const kinds = [...log.kinds].sort((a, b) => b[1] - a[1]);
  const shown = kinds.slice(0, 3).map(([kind, count]) => `${count} × ${kind}`);
  if (kinds.length > 3) shown.push(`${kinds.length - 3} other kinds`);
  return `${log.lines}: ${shown.join('; ')}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function httpStatus(
  port: number,
  method: string,
  url: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path: url, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => (body += part));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

async function waitFor(server: Server, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null)
      throw new Error(`${server.name} exited with code ${server.child.exitCode}`);
    if ((await httpStatus(server.port, 'GET', url)).status === 200) return;
    if (Date.now() > deadline) throw new Error(`${server.name} did not become ready`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A server script of this directory (compiled to dist/) that prints `{"port":n}` when up. */
async function startScript(name: string, file: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(root, 'dist/test/bench/gateway', file)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code}`)));
    child.stdout.on('data', (part: Buffer) => {
      text += part.toString();
      const newline = text.indexOf('\n');
      if (newline !== -1) resolve((JSON.parse(text.slice(0, newline)) as { port: number }).port);
    });
  });
  return { name, port, child, log: watchLog(null) };
}

/** The lean OpenAI fake (upstream-fake.ts) in its own process. */
export function startUpstreamFake(): Promise<Server> {
  return startScript('upstream fake', 'upstream-fake.js', {});
}

/** The reference floor (bare-proxy.ts): a pass-through node:http proxy to `upstreamUrl`. */
export function startBareProxy(upstreamUrl: string): Promise<Server> {
  return startScript('bare node proxy', 'bare-proxy.js', { UPSTREAM: upstreamUrl });
}

export async function setUpstreamDelay(fake: Server, delayMs: number): Promise<void> {
  const { status } = await httpStatus(fake.port, 'POST', `/__delay/${delayMs}`);
  if (status !== 200) throw new Error('could not set the upstream delay');
}

/**
 * Gnomon's LLM gateway exactly as `main.ts` runs it. With `cpuProfileDir`, it runs under
 * `--cpu-prof` and a preload that turns SIGUSR2 into a clean exit (so the profile is written).
 */
export async function startGnomonGateway(
  env: Record<string, string>,
  cpuProfileDir?: string,
): Promise<Server> {
  const port = await freePort();
  const profiling = cpuProfileDir
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${cpuProfileDir}`,
        '--require',
        path.join(root, 'dist/test/bench/gateway/exit-on-sigusr2.js'),
      ]
    : [];
  const child = spawn(
    process.execPath,
    [...profiling, path.join(root, 'dist/apps/llm-gateway/src/main.js')],
    {
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // Its logs (pino, LOG_LEVEL=warn) go to stdout: kept to report any warning or error.
  const log = watchLog(child.stdout, /^llm-gateway listening on /);
  const server = { name: 'gnomon gateway', port, child, log };
  await waitFor(server, '/readyz');
  return server;
}

/** The Portkey entry point as npm installs it (`npx @portkey-ai/gateway` runs the same file). */
export const PORTKEY_SERVER = 'node_modules/@portkey-ai/gateway/build/start-server.js';

/** Portkey's open-source gateway with its defaults: headless, no config, no cache, no Redis. */
export async function startPortkey(): Promise<Server> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [path.join(root, PORTKEY_SERVER), '--headless', `--port=${port}`],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  // Its stderr (e.g. errors about streams a client cut, as autocannon does when a run ends) is
  // summarized at the end, not printed.
  const server = { name: 'portkey gateway', port, child, log: watchLog(child.stderr) };
  await waitFor(server, '/');
  return server;
}

/** Resident and peak resident memory of a process, in MB, from /proc/<pid>/status. */
export async function memoryOf(pid: number): Promise<{ rssMb: number; peakRssMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

export async function stop(server: Server, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill(signal);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

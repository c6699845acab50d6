// npm run bench:tools — a real tool runtime (its own process, built from dist/) with a local
// S3 endpoint. Prints, for a trivial JS, TS and Python tool: the first (cold) execution, then
// end-to-end p50/p95 of sequential executions; executions per second at the concurrency limit;
// and the peak memory of the runtime with its sandboxes. Asserts nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startLocalAwsEndpoint } from '@gnomon/aws';

const root = path.resolve(__dirname, '../../..');
const PORT = 19082 + Math.floor(Math.random() * 1000);
const TOKEN = `svc_${randomUUID()}`;
const CONCURRENCY = Number(process.env.BENCH_TOOL_CONCURRENCY ?? os.availableParallelism());
const THROUGHPUT_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);

const TOOLS = {
  js: { kind: 'js', source: 'export default (input) => ({ doubled: input.n * 2 });' },
  ts: {
    kind: 'ts',
    source:
      'export default (input: { n: number }): { doubled: number } => ({ doubled: input.n * 2 });',
  },
  python: { kind: 'python', source: 'def main(input):\n    return {"doubled": input["n"] * 2}\n' },
} as const;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function execute(tool: (typeof TOOLS)[keyof typeof TOOLS], n: number): Promise<number> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${PORT}/v1/executions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      tenantId: randomUUID(),
      runId: 'bench-run',
      stepId: `step-${n}`,
      tool,
      input: { n },
      limits: { timeoutMs: 30_000, memoryMb: 256 },
    }),
  });
  const body = (await response.json()) as {
    status?: string;
    output?: { doubled?: number };
    detail?: string;
    error?: unknown;
  };
  if (body.status !== 'SUCCEEDED' || body.output?.doubled !== n * 2) {
    throw new Error(`execution failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return performance.now() - started;
}

/** Total RSS of a process and all its descendants (the runtime plus its sandboxes). */
function treeRssBytes(pid: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      rss.set(Number(entry), Number(fields[21]) * 4096);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const next = stack.pop()!;
    total += rss.get(next) ?? 0;
    stack.push(...(children.get(next) ?? []));
  }
  return total;
}

async function waitReady(child: ChildProcess): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error('the tool runtime exited during start-up');
    try {
      const response = await fetch(`http://127.0.0.1:${PORT}/readyz`);
      if (response.ok) return (await response.json()) as Record<string, unknown>;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the tool runtime did not become ready');
}

async function main(): Promise<void> {
  const aws = await startLocalAwsEndpoint({ buckets: ['gnomon-artifacts'] });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gnomon-bench-tools-'));
  const child = spawn(process.execPath, [path.join(root, 'dist/apps/tool-runtime/src/main.js')], {
    env: {
      PATH: process.env.PATH,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      GNOMON_DATA_DIR: dataDir,
      GNOMON_SERVICE_TOKEN: TOKEN,
      AWS_ENDPOINT_URL: aws.endpoint,
      TOOL_MAX_CONCURRENCY: String(CONCURRENCY),
      TOOL_MAX_CONCURRENCY_PER_TENANT: String(CONCURRENCY),
      TOOL_QUEUE_LIMIT: '1000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peakRss = 0;
  const sampler = setInterval(() => {
    if (child.pid) peakRss = Math.max(peakRss, treeRssBytes(child.pid));
  }, 25);
  try {
    const ready = await waitReady(child);
    const idleRss = treeRssBytes(child.pid!);
    console.log(`tool runtime ready; sandbox: ${JSON.stringify(ready.sandbox)}`);
    console.log(
      `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
    );
    console.log('');
    console.log('| tool | cold (first) | p50 | p95 | runs |');
    console.log('|---|---|---|---|---|');
    for (const [name, tool] of Object.entries(TOOLS)) {
      const runs = name === 'python' ? 10 : 40;
      const cold = await execute(tool, 1);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push(await execute(tool, i + 2));
      times.sort((a, b) => a - b);
      console.log(
        `| ${name} | ${cold.toFixed(0)} ms | ${percentile(times, 50).toFixed(0)} ms | ${percentile(times, 95).toFixed(0)} ms | ${runs} |`,
      );
    }

    console.log('');
    let completed = 0;
    const deadline = performance.now() + THROUGHPUT_MS;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        let n = worker * 1_000_000;
        while (performance.now() < deadline) {
          await execute(TOOLS.js, n++);
          completed += 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `throughput at the concurrency limit (${CONCURRENCY} sandboxes, trivial JS tool): ${(completed / seconds).toFixed(1)} executions/s (${completed} in ${seconds.toFixed(1)} s)`,
    );
    console.log(
      `memory: runtime idle ${(idleRss / 1e6).toFixed(0)} MB; peak of runtime + sandboxes ${(peakRss / 1e6).toFixed(0)} MB`,
    );
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await aws.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

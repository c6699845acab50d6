// npm run bench:runs — the whole platform exactly as `npm start` runs it (PGlite, the local
// SQS/S3 endpoint, the local Step Functions engine, the worker, the gateway and the tool runtime,
// each its own process, from dist/), driven over the REST API, with a zero-latency OpenAI fake as
// the model. A task of BENCH_STEPS chained llm steps is run at 1, 10 and 100 concurrent runs
// (N runs started at once, all awaited; repeated in rounds until a level has BENCH_MIN_STEPS
// steps). Prints runs/s and steps/s (wall clock from the first start request to the last run
// finished, summed over rounds), the platform's own overhead per step (p50/p95/p99/max: from
// the previous step's finishedAt, or the run's createdAt for the first step, to this step's
// finishedAt, minus the step's modelMs), a breakdown of it, CPU per step and memory of every
// platform process, and PASS/FAIL per target. Asserts nothing.
// Knobs: BENCH_LEVELS (1,10,100), BENCH_STEPS (5), BENCH_MIN_STEPS (150),
// BENCH_WORKER_CONCURRENCY (16), BENCH_WORKER_CONCURRENCY_PER_TENANT (= the former),
// BENCH_PLATFORM_ENV (JSON, extra platform environment, for diagnostics),
// BENCH_EXTERNAL_POSTGRES=1 (diagnostic: the test PostgreSQL server instead of PGlite).
import {
  createTestDatabase,
  ensureTemplateDatabase,
  startOpenAiFake,
  type OpenAiFake,
  type TestDatabase,
} from '@gnomon/testing';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { startEmbeddedPlatform, type EmbeddedPlatform } from '../e2e/support/embedded-platform';

const LEVELS = (process.env.BENCH_LEVELS ?? '1,10,100').split(',').map(Number);
const STEPS = Number(process.env.BENCH_STEPS ?? 5);
const MIN_STEPS = Number(process.env.BENCH_MIN_STEPS ?? 150);
const WORKER_CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 16);
const WORKER_CONCURRENCY_PER_TENANT = Number(
  process.env.BENCH_WORKER_CONCURRENCY_PER_TENANT ?? WORKER_CONCURRENCY,
);
/** Diagnostics only: extra platform environment (JSON), e.g. '{"WORKER_CANCEL_POLL_MS":"5000"}'. */
const PLATFORM_ENV = JSON.parse(process.env.BENCH_PLATFORM_ENV ?? '{}') as Record<string, string>;
/** Diagnostics only: a clone of the test PostgreSQL database instead of the embedded PGlite. */
const EXTERNAL_POSTGRES = process.env.BENCH_EXTERNAL_POSTGRES === '1';
const TARGETS = { stepsPerSecond: 50, overheadP50Ms: 20 };
/** How often the one run being waited for is polled (slack after a round is not counted). */
const POLL_MS = 200;
/** How long the platform is watched while idle (its background CPU). */
const IDLE_MS = 3_000;
const ROUND_TIMEOUT_MS = 180_000;
const TERMINAL = ['SUCCEEDED', 'FAILED', 'BUDGET_EXCEEDED', 'CANCELLED', 'TIMED_OUT'];
const SCOPES = ['tasks:read', 'tasks:write', 'runs:read', 'runs:write'];
const TASK = 'bench-chain';
const USER_HZ = 100;
interface RunView {
  id: string;
  status: string;
  error: { code: string; message: string } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface StepView {
  seq: number;
  stepKey: string;
  status: string;
  modelMs: number;
  startedAt: string | null;
  finishedAt: string | null;
}

interface RunMetrics {
  totals: { durationMs: number | null; modelMs: number; platformMs: number | null; steps: number };
}

/** One platform process (or, for start.mjs, one of its threads) whose CPU time is counted. */
interface Watched {
  label: string;
  pid: number;
  /** /proc path of the stat file (a process, or a thread under /proc/<pid>/task). */
  stat: string;
}

interface LevelResult {
  concurrency: number;
  rounds: number;
  runs: number;
  failed: string[];
  steps: number;
  wallMs: number;
  /** Per step (ms). */
  overhead: number[];
  gapBetween: number[];
  head: number[];
  inWorker: number[];
  model: number[];
  /** Per run (ms). */
  tail: number[];
  runDuration: number[];
  startRequest: number[];
  platformMsPerStep: number[];
  /** CPU ms per process label over the level; and the machine's busy CPU ms. */
  cpuMs: Map<string, number>;
  machineBusyMs: number;
  /** Real time the level took (rounds including polling slack): what the CPU figures cover. */
  elapsedMs: number;
}

const t = (iso: string | null): number => (iso ? Date.parse(iso) : NaN);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round1 = (value: number) => Number(value.toFixed(1));
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function progress(line: string): void {
  process.stderr.write(`  ${line}\n`);
}

// ---- The platform as `npm start` runs it ----------------------------------------------------
// (What test/e2e/support/embedded-platform.ts does for the e2e tests, which run from the sources:
// that helper finds tools/start.mjs relative to its own directory, which from dist/ is wrong.)

// ---- /proc -------------------------------------------------------------------------------

function statFields(path: string): string[] | null {
  try {
    const stat = readFileSync(path, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // gone
  }
}

/** utime + stime in ms. */
function cpuMsOf(path: string): number {
  const fields = statFields(path);
  return fields ? ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ : 0;
}

/** Busy CPU of the whole machine (all cores) in ms, from /proc/stat. */
function machineBusyMs(): number {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = values.map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / USER_HZ;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

function childrenOf(parent: number): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(`/proc/${entry}/stat`);
    if (!fields || Number(fields[1]) !== parent) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      found.push({ pid: Number(entry), cmdline });
    } catch {
      // gone
    }
  }
  return found;
}

/**
 * The platform's processes: start.mjs (its PGlite worker thread and its main thread, which
 * serves the local SQS/S3 endpoint, counted apart), the local engine and the four apps.
 */
function platformProcesses(startPid: number): {
  processes: { label: string; pid: number }[];
  watched: Watched[];
} {
  const start = { pid: startPid };
  const processes = [{ label: 'start.mjs (PGlite + local SQS/S3)', pid: start.pid }];
  const watched: Watched[] = [];
  for (const tid of readdirSync(`/proc/${start.pid}/task`)) {
    const comm = readFileSync(`/proc/${start.pid}/task/${tid}/comm`, 'utf8').trim();
    const label =
      comm === 'WorkerThread'
        ? 'start.mjs: PGlite thread'
        : comm === 'MainThread'
          ? 'start.mjs: main (local SQS/S3)'
          : 'start.mjs: GC/JIT/IO threads';
    watched.push({ label, pid: start.pid, stat: `/proc/${start.pid}/task/${tid}/stat` });
  }
  for (const child of childrenOf(start.pid)) {
    const app = /dist\/apps\/([a-z-]+)\/src\/main\.js/.exec(child.cmdline)?.[1];
    const label = app ?? (child.cmdline.includes('local-step-functions') ? 'local engine' : null);
    if (!label) continue;
    processes.push({ label, pid: child.pid });
    watched.push({ label, pid: child.pid, stat: `/proc/${child.pid}/stat` });
  }
  watched.push({ label: 'bench (client + model fake)', pid: process.pid, stat: '/proc/self/stat' });
  return { processes, watched };
}

/** With an external PostgreSQL: its backends serving the bench database (by process title). */
let externalDatabaseName: string | undefined;

function postgresBackends(database: string): Watched[] {
  const found: Watched[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (title.startsWith('postgres: ') && title.includes(` ${database} `))
        found.push({
          label: 'postgres backends (external)',
          pid: Number(entry),
          stat: `/proc/${entry}/stat`,
        });
    } catch {
      // gone
    }
  }
  return found;
}

function cpuSnapshot(watched: Watched[]): Map<string, number> {
  const totals = new Map<string, number>();
  const all = externalDatabaseName
    ? [...watched, ...postgresBackends(externalDatabaseName)]
    : watched;
  for (const w of all) totals.set(w.label, (totals.get(w.label) ?? 0) + cpuMsOf(w.stat));
  return totals;
}

// ---- The platform, over its API ------------------------------------------------------------

class Bench {
  private key = '';

  constructor(private readonly platform: EmbeddedPlatform) {}

  async setUp(): Promise<void> {
    const { platform } = this;
    const tenant = await platform.api('POST', '/api/v1/admin/tenants', platform.adminKey, {
      name: `bench ${Date.now()}`,
      owner: { email: `bench-${Date.now()}@example.test`, name: 'Bench' },
    });
    if (tenant.status !== 201) throw new Error(`tenant: ${JSON.stringify(tenant.body)}`);
    const key = await platform.api(
      'POST',
      '/api/v1/api-keys',
      platform.adminKey,
      { name: 'bench', scopes: SCOPES },
      { 'x-gnomon-tenant': tenant.body.id },
    );
    if (key.status !== 201) throw new Error(`api key: ${JSON.stringify(key.body)}`);
    this.key = key.body.secret;
    const steps = Array.from({ length: STEPS }, (_, i) => ({
      id: `s${i + 1}`,
      type: 'llm',
      model: 'openai/gpt-4o-mini',
      prompt: i === 0 ? 'Say ok to {{input.n}}' : `Say ok to {{steps.s${i}.output}}`,
      ...(i < STEPS - 1 ? { next: `s${i + 2}` } : {}),
    }));
    const task = await this.api('POST', '/api/v1/tasks', {
      name: TASK,
      definition: { language: 'gnomon.task/v1', start: 's1', steps },
    });
    if (task.status !== 201) throw new Error(`task: ${JSON.stringify(task.body)}`);
  }

  private api(method: string, url: string, body?: unknown) {
    return this.platform.api(method, url, this.key, body);
  }

  /** Starts `count` runs at once and waits for all; returns them and the wall clock. */
  async round(count: number, n: number) {
    const started = Date.now();
    const startRequest: number[] = [];
    const ids = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const sent = performance.now();
        const run = await this.api('POST', '/api/v1/runs', {
          taskId: TASK,
          input: { n: n + i },
        });
        startRequest.push(performance.now() - sent);
        if (run.status !== 201) throw new Error(`start run: ${JSON.stringify(run.body)}`);
        return run.body.id as string;
      }),
    );
    const runs: RunView[] = [];
    const deadline = Date.now() + ROUND_TIMEOUT_MS;
    for (const id of ids) {
      for (;;) {
        const run = (await this.api('GET', `/api/v1/runs/${id}`)).body as RunView;
        if (TERMINAL.includes(run.status)) {
          runs.push(run);
          break;
        }
        if (Date.now() > deadline) throw new Error(`run ${id} stuck: ${JSON.stringify(run)}`);
        await sleep(POLL_MS);
      }
    }
    const lastFinished = Math.max(...runs.map((run) => t(run.finishedAt)));
    return { runs, wallMs: lastFinished - started, startRequest };
  }

  async steps(runId: string): Promise<StepView[]> {
    const page = await this.api('GET', `/api/v1/runs/${runId}/steps?limit=100`);
    if (page.status !== 200) throw new Error(`steps: ${JSON.stringify(page.body)}`);
    return (page.body.items as StepView[]).sort((a, b) => a.seq - b.seq);
  }

  async metrics(runId: string): Promise<RunMetrics> {
    return (await this.api('GET', `/api/v1/runs/${runId}/metrics`)).body as RunMetrics;
  }

  async level(concurrency: number, watched: Watched[], seed: number): Promise<LevelResult> {
    const rounds = Math.max(1, Math.ceil(MIN_STEPS / (concurrency * STEPS)));
    const result: LevelResult = {
      concurrency,
      rounds,
      runs: 0,
      failed: [],
      steps: 0,
      wallMs: 0,
      overhead: [],
      gapBetween: [],
      head: [],
      inWorker: [],
      model: [],
      tail: [],
      runDuration: [],
      startRequest: [],
      platformMsPerStep: [],
      cpuMs: new Map(),
      machineBusyMs: 0,
      elapsedMs: 0,
    };
    const finished: RunView[] = [];
    const cpuBefore = cpuSnapshot(watched);
    const busyBefore = machineBusyMs();
    const levelStarted = Date.now();
    for (let r = 0; r < rounds; r++) {
      const { runs, wallMs, startRequest } = await this.round(concurrency, seed + r * concurrency);
      finished.push(...runs);
      result.wallMs += wallMs;
      result.startRequest.push(...startRequest);
    }
    // CPU over the rounds (the analysis below is the bench's own work, not counted).
    const cpuAfter = cpuSnapshot(watched);
    for (const [label, ms] of cpuAfter) result.cpuMs.set(label, ms - (cpuBefore.get(label) ?? 0));
    result.machineBusyMs = machineBusyMs() - busyBefore;
    result.elapsedMs = Date.now() - levelStarted;

    for (const run of finished) {
      result.runs += 1;
      if (run.status !== 'SUCCEEDED') {
        result.failed.push(`${run.id}: ${run.status} ${JSON.stringify(run.error)}`);
        continue;
      }
      const steps = await this.steps(run.id);
      let previous = t(run.createdAt);
      for (const step of steps) {
        const startedAt = t(step.startedAt);
        const finishedAt = t(step.finishedAt);
        result.steps += 1;
        result.overhead.push(finishedAt - previous - step.modelMs);
        (step.seq === steps[0].seq ? result.head : result.gapBetween).push(startedAt - previous);
        result.inWorker.push(finishedAt - startedAt - step.modelMs);
        result.model.push(step.modelMs);
        previous = finishedAt;
      }
      result.tail.push(t(run.finishedAt) - previous);
      result.runDuration.push(t(run.finishedAt) - t(run.createdAt));
      const metrics = await this.metrics(run.id);
      if (metrics.totals.platformMs !== null && metrics.totals.steps > 0)
        result.platformMsPerStep.push(metrics.totals.platformMs / metrics.totals.steps);
    }
    return result;
  }
}

// ---- Report --------------------------------------------------------------------------------

function distribution(values: number[]): Record<string, number> {
  return {
    n: values.length,
    p50: round1(percentile(values, 50)),
    p95: round1(percentile(values, 95)),
    p99: round1(percentile(values, 99)),
    max: round1(Math.max(...values)),
    mean: round1(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)),
  };
}

function report(
  results: LevelResult[],
  processes: { label: string; pid: number }[],
  idleRss: Map<number, number>,
  idleCpu: Map<string, number>,
  machine: { startLoad: number[]; totalSeconds: number },
): void {
  const cpus = os.cpus();
  console.log(
    `\nRuns benchmark: ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, Node ${process.version}; ` +
      `the platform as \`npm start\` runs it (embedded PGlite, local SQS/S3, local engine), ` +
      `model: zero-latency OpenAI fake (openai/gpt-4o-mini) in the bench process.`,
  );
  console.log(
    `Task: ${STEPS} chained llm steps. Worker: WORKER_CONCURRENCY=${WORKER_CONCURRENCY}, ` +
      `WORKER_CONCURRENCY_PER_TENANT=${WORKER_CONCURRENCY_PER_TENANT} (one tenant). ` +
      `Load average before start: ${machine.startLoad.map((l) => l.toFixed(2)).join(' ')}.`,
  );
  if (Object.keys(PLATFORM_ENV).length > 0)
    console.log(`DIAGNOSTIC RUN, platform environment: ${JSON.stringify(PLATFORM_ENV)}`);
  if (EXTERNAL_POSTGRES)
    console.log(
      'DIAGNOSTIC RUN: the test PostgreSQL server (its own processes) instead of the embedded PGlite',
    );

  console.log(
    '\nThroughput. wall = first start request → last run finishedAt, summed over rounds ' +
      '(polling slack between rounds excluded). "other load" = CPU the machine spent outside ' +
      'the platform and the bench during the level, in cores.',
  );
  console.table(
    results.map((r) => {
      const own = [...r.cpuMs.values()].reduce((a, b) => a + b, 0);
      const levelWall = r.wallMs;
      return {
        'concurrent runs': r.concurrency,
        rounds: r.rounds,
        runs: r.runs,
        failed: r.failed.length,
        steps: r.steps,
        'wall s': round1(levelWall / 1000),
        'runs/s': round1((r.runs / levelWall) * 1000),
        'steps/s': round1((r.steps / levelWall) * 1000),
        'run p50 ms': round1(percentile(r.runDuration, 50)),
        'run p95 ms': round1(percentile(r.runDuration, 95)),
        'POST /runs p50 ms': round1(percentile(r.startRequest, 50)),
        'CPU cores used': (own / r.elapsedMs).toFixed(2),
        'other load (cores)': (Math.max(0, r.machineBusyMs - own) / r.elapsedMs).toFixed(2),
      };
    }),
  );

  console.log(
    "\nPlatform overhead per step (ms): previous step's finishedAt (the run's createdAt for the " +
      "first step) → this step's finishedAt, minus the step's modelMs",
  );
  console.table(
    results.map((r) => ({ 'concurrent runs': r.concurrency, ...distribution(r.overhead) })),
  );

  console.log(
    '\nBreakdown (ms, p50 / p95). head: run createdAt → first step startedAt (POST /runs, ' +
      'StartExecution, engine, SQS, worker pickup, claim). between: previous finishedAt → ' +
      'startedAt (SendTaskSuccess, engine, SQS, worker pickup, load + claim). in worker: ' +
      'startedAt → finishedAt − modelMs (templates, checkpoint, routing, events). modelMs: the ' +
      'worker-measured model call (worker → gateway → fake: with a 0 ms model it is all ' +
      'gateway + HTTP). finalize: last step finishedAt → run finishedAt (per run). ' +
      'platformMs/step: the run metrics API (durationMs − modelMs) / steps, per run.',
  );
  const pair = (values: number[]) =>
    `${round1(percentile(values, 50))} / ${round1(percentile(values, 95))}`;
  console.table(
    results.map((r) => ({
      'concurrent runs': r.concurrency,
      head: pair(r.head),
      between: pair(r.gapBetween),
      'in worker': pair(r.inWorker),
      modelMs: pair(r.model),
      finalize: pair(r.tail),
      'platformMs/step': pair(r.platformMsPerStep),
    })),
  );

  console.log(
    '\nCPU ms per step, by process (utime + stime over the level ÷ steps; start.mjs by ' +
      `thread; includes the bench's polling of run status every ${POLL_MS} ms). idle: CPU ms ` +
      `per second with no run in flight (background work), over ${IDLE_MS / 1000} s`,
  );
  const labels = [...new Set(results.flatMap((r) => [...r.cpuMs.keys()]))];
  console.table(
    labels.map((label) => {
      const row: Record<string, string | number> = {
        process: label,
        'idle ms/s': round1(((idleCpu.get(label) ?? 0) * 1000) / IDLE_MS),
      };
      for (const r of results)
        row[`c=${r.concurrency}`] = round1((r.cpuMs.get(label) ?? 0) / Math.max(1, r.steps));
      return row;
    }),
  );

  console.log('\nMemory (MB): VmRSS after the warm-up and at the end, VmHWM (peak)');
  console.table(
    processes.map((p) => ({
      process: p.label,
      'RSS after warm-up': round1(idleRss.get(p.pid) ?? 0),
      'RSS at end': round1(statusField(p.pid, 'VmRSS')),
      'peak RSS': round1(statusField(p.pid, 'VmHWM')),
    })),
  );
  const total = processes.reduce((sum, p) => sum + statusField(p.pid, 'VmRSS'), 0);
  console.log(`platform total RSS at end: ${round1(total)} MB`);

  for (const r of results)
    for (const line of r.failed.slice(0, 5)) console.log(`c=${r.concurrency} failed run ${line}`);

  const summary: Record<string, string>[] = [];
  for (const r of results) {
    const stepsPerSecond = (r.steps / r.wallMs) * 1000;
    if (r.concurrency > 1)
      summary.push({
        target: `≥ ${TARGETS.stepsPerSecond} steps/s at ${r.concurrency} concurrent runs`,
        measured: `${stepsPerSecond.toFixed(1)} steps/s`,
        result: verdict(stepsPerSecond >= TARGETS.stepsPerSecond),
      });
  }
  for (const r of results.filter((level) => level.concurrency === 1)) {
    const p50 = percentile(r.overhead, 50);
    summary.push({
      target: `≤ ${TARGETS.overheadP50Ms} ms p50 overhead per step (1 run at a time)`,
      measured: `${p50.toFixed(1)} ms`,
      result: verdict(p50 <= TARGETS.overheadP50Ms),
    });
  }
  console.log(
    '\nTargets. The overhead target is judged with one run at a time: with N runs in flight a ' +
      "step also waits its turn, and by Little's law the p50 overhead is then ≈ N ÷ steps/s " +
      `(${TARGETS.overheadP50Ms} ms at 10 runs would take ${(10 * 1000) / TARGETS.overheadP50Ms} steps/s).`,
  );
  console.table(summary);
  const failed = summary.filter((s) => s.result === 'FAIL').length;
  console.log(
    `${summary.length - failed} of ${summary.length} targets met; ` +
      `load average at the end ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; the run took ${Math.round(machine.totalSeconds)} s`,
  );
}

async function main(): Promise<void> {
  const begun = Date.now();
  const startLoad = os.loadavg();
  let model: OpenAiFake | undefined;
  let platform: EmbeddedPlatform | undefined;
  let database: TestDatabase | undefined;
  try {
    if (EXTERNAL_POSTGRES) {
      await ensureTemplateDatabase();
      database = await createTestDatabase();
      externalDatabaseName = new URL(database.url).pathname.slice(1);
    }
    model = await startOpenAiFake({
      fallback: { kind: 'ok', content: 'ok', usage: { inputTokens: 12, outputTokens: 1 } },
    });
    progress('starting the platform…');
    platform = await startEmbeddedPlatform(
      {
        OPENAI_API_KEY: 'sk-bench',
        OPENAI_BASE_URL: model.url,
        WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
        WORKER_CONCURRENCY_PER_TENANT: String(WORKER_CONCURRENCY_PER_TENANT),
        ...(database ? { DATABASE_URL: database.url } : {}),
        ...PLATFORM_ENV,
      },
      { echoAfterReady: true },
    );
    progress(`platform ready after ${((Date.now() - begun) / 1000).toFixed(1)} s`);
    const { processes, watched } = platformProcesses(platform.pid);
    const bench = new Bench(platform);
    await bench.setUp();

    // Warm-up (not measured): JIT, connection pools, caches.
    await bench.round(5, 0);
    await bench.round(1, 100);
    model.requests.length = 0;
    const idleRss = new Map(processes.map((p) => [p.pid, statusField(p.pid, 'VmRSS')]));
    const idleBefore = cpuSnapshot(watched);
    await sleep(IDLE_MS);
    const idleCpu = new Map(
      [...cpuSnapshot(watched)].map(([label, ms]) => [label, ms - (idleBefore.get(label) ?? 0)]),
    );

    const results: LevelResult[] = [];
    let seed = 1_000;
    for (const concurrency of LEVELS) {
      const result = await bench.level(concurrency, watched, seed);
      seed += 100_000;
      // One model call per step, or something retried (which the figures would hide).
      const calls = model.requests.filter((r) => r.path.startsWith('/v1/chat/completions'));
      if (calls.length !== result.steps)
        progress(`c=${concurrency}: ${calls.length} model calls for ${result.steps} steps`);
      model.requests.length = 0;
      results.push(result);
      progress(
        `c=${concurrency}: ${result.runs} runs, ${result.steps} steps in ${(result.wallMs / 1000).toFixed(1)} s, ` +
          `overhead p50 ${percentile(result.overhead, 50).toFixed(1)} ms`,
      );
    }
    report(results, processes, idleRss, idleCpu, {
      startLoad,
      totalSeconds: (Date.now() - begun) / 1000,
    });
  } finally {
    await platform?.stop();
    await model?.close();
    await database?.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

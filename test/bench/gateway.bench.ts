// npm run bench:gateway: what Gnomon's LLM gateway adds on top of an upstream model, compared
// with calling that upstream directly, with a bare pass-through node:http proxy (the floor of any
// Node hop) and with Portkey's open-source gateway. Everything runs as its own process on this
// machine: a lean OpenAI fake (0 ms and 50 ms variants), Gnomon's gateway
// from dist/ with all governance on (API-key auth, per-tenant and per-user rate limits and a
// budget, i.e. the admit and settle Lua scripts on every call, on the real Redis; the usage
// stream consumer writing llm_events to the real PostgreSQL), and Portkey headless with its
// defaults. Prints latency at concurrency 1 (added p50/p99, time to first token for streams),
// throughput at 16 and 64 connections, the gateway's memory, and PASS/FAIL per target.
// Asserts nothing. Knobs: BENCH_SAMPLES, BENCH_DELAYED_SAMPLES, BENCH_SERIES_MAX_S,
// BENCH_DURATION_S, BENCH_DELAYS, BENCH_CPU_PROF=1 (profiles the gateway with --cpu-prof and
// prints its hot spots), BENCH_GATEWAY_ENV (JSON, extra gateway environment, for diagnostics).
import { generateSecret, SecretHasher } from '@gnomon/auth';
import { createTestDatabase, ensureTemplateDatabase, redisTestUrl } from '@gnomon/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import {
  percentile,
  probe,
  sequential,
  throughput,
  type LatencyResult,
  type Mode,
  type Target,
  type ThroughputResult,
} from './gateway/clients';
import { summarizeCpuProfile } from './gateway/cpu-profile';
import {
  describeLog,
  httpStatus,
  memoryOf,
  root,
  setUpstreamDelay,
  startBareProxy,
  startGnomonGateway,
  startPortkey,
  startUpstreamFake,
  stop,
  type Server,
} from './gateway/processes';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 2000);
const DELAYED_SAMPLES = Number(process.env.BENCH_DELAYED_SAMPLES ?? 200);
/** Longest a concurrency-1 series may take (samples stop there). */
const SERIES_MAX_MS = Number(process.env.BENCH_SERIES_MAX_S ?? 7) * 1000;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 3);
const WARMUP_S = 1;
const DELAYS = (process.env.BENCH_DELAYS ?? '0,50').split(',').map(Number);
const CONNECTIONS = [16, 64];
const MODES: Mode[] = ['json', 'stream'];
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
/** Diagnostics only: extra environment for the gateway (JSON), e.g. '{"GNOMON_EVENT_CONSUMER":"0"}'. */
const GATEWAY_ENV = JSON.parse(process.env.BENCH_GATEWAY_ENV ?? '{}') as Record<string, string>;
const TARGETS = { addedP50Ms: 1, addedP99Ms: 3, throughputVsPortkey: 3, rssMb: 200 };
/** Ample for any run of this benchmark: admission never refuses, both scripts always run. */
const GENEROUS_RPM = 2_000_000_000;
const LARGE_BUDGET_MICROS = '1000000000000000';

/** direct = the fake itself; bare = the floor (a pass-through node:http proxy). */
type System = 'direct' | 'bare' | 'gnomon' | 'portkey';
const SYSTEMS: System[] = ['direct', 'bare', 'gnomon', 'portkey'];
const LABEL: Record<System, string> = {
  direct: 'direct (no proxy)',
  bare: 'bare node proxy',
  gnomon: 'Gnomon gateway',
  portkey: 'Portkey gateway',
};

const ms = (value: number) => Number(value.toFixed(3));
const mb = (value: number) => Number(value.toFixed(1));
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

/** V8 heap figures (MB) from the gateway's own Prometheus endpoint. */
async function gatewayHeap(port: number): Promise<Record<string, number>> {
  const { body } = await httpStatus(port, 'GET', '/metrics');
  const read = (metric: string) =>
    Number(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(body)?.[1]) / 2 ** 20;
  return {
    'heap used': mb(read('nodejs_heap_size_used_bytes')),
    'heap total': mb(read('nodejs_heap_size_total_bytes')),
    external: mb(read('nodejs_external_memory_bytes')),
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ = 100
}

/** A tenant with an `llm:invoke` key, generous limits on every subject and a large budget. */
async function createBenchTenant(databaseUrl: string, pepper: string): Promise<string> {
  const tenantId = randomUUID();
  const key = generateSecret('tenant');
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`insert into tenants (id, name) values ($1, 'bench')`, [tenantId]);
    await client.query(
      `insert into api_keys (id, tenant_id, name, prefix, last_four, secret_hash, scopes, created_by_type, created_by_id)
       values ($1, $2, 'bench', $3, $4, $5, $6, 'SYSTEM', 'bench')`,
      [
        randomUUID(),
        tenantId,
        key.slice(0, 12),
        key.slice(-4),
        new SecretHasher(pepper).hash(key),
        ['llm:invoke'],
      ],
    );
    await client.query(
      `insert into rate_limit_policies (tenant_id, subject, requests_per_minute, tokens_per_minute)
       values ($1, 'TENANT', $2, $2), ($1, 'USER', $2, null)`,
      [tenantId, GENEROUS_RPM],
    );
    await client.query(
      `insert into budget_policies (tenant_id, period, limit_micros, soft_threshold_pct)
       values ($1, 'MONTHLY', $2, 80)`,
      [tenantId, LARGE_BUDGET_MICROS],
    );
  } finally {
    await client.end();
  }
  return key;
}

async function deleteRedisKeys(prefix: string): Promise<number> {
  const redis = new Redis(redisTestUrl());
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
  return deleted;
}

interface LatencyRow {
  delay: number;
  mode: Mode;
  system: System;
  result: LatencyResult;
}

interface ThroughputRow extends ThroughputResult {
  delay: number;
  mode: Mode;
  system: System;
  cpuUsPerRequest: number | null;
}

async function main(): Promise<void> {
  const started = Date.now();
  await ensureTemplateDatabase();
  const database = await createTestDatabase();
  const pepper = randomBytes(24).toString('base64url');
  const redisPrefix = `bench-gw-${randomBytes(4).toString('hex')}`;
  const key = await createBenchTenant(database.url, pepper);
  const profileDir = CPU_PROF ? path.join(root, '.data/bench', `cpu-prof-${Date.now()}`) : '';
  if (CPU_PROF) await mkdir(profileDir, { recursive: true });

  const servers: Server[] = [];
  let requestsServed = 0;
  try {
    const fake = await startUpstreamFake();
    servers.push(fake);
    const fakeUrl = `http://127.0.0.1:${fake.port}`;
    const bare = await startBareProxy(fakeUrl);
    servers.push(bare);
    const gnomon = await startGnomonGateway(
      {
        DATABASE_URL: database.url,
        REDIS_URL: redisTestUrl(),
        GNOMON_REDIS_PREFIX: redisPrefix,
        GNOMON_API_KEY_PEPPER: pepper,
        GNOMON_SERVICE_TOKEN: randomBytes(24).toString('base64url'),
        GNOMON_CURSOR_SECRET: randomBytes(24).toString('base64url'),
        GNOMON_ENCRYPTION_KEY: randomBytes(24).toString('base64url'),
        GNOMON_DATA_DIR: path.join(root, '.data/bench'),
        GNOMON_EVENT_CONSUMER: '1',
        GNOMON_SIMULATED_PROVIDER: '0',
        OPENAI_API_KEY: 'x',
        OPENAI_BASE_URL: `${fakeUrl}/v1`,
        LOG_LEVEL: 'warn',
        ...GATEWAY_ENV,
      },
      CPU_PROF ? profileDir : undefined,
    );
    servers.push(gnomon);
    const portkey = await startPortkey();
    servers.push(portkey);

    const plain = (port: number, name: string): Target => ({
      name,
      port,
      path: '/v1/chat/completions',
      headers: { authorization: 'Bearer x' },
      model: 'gpt-4o-mini',
    });
    const targets: Record<System, Target> = {
      direct: plain(fake.port, 'direct'),
      bare: plain(bare.port, 'bare'),
      gnomon: {
        name: 'gnomon',
        port: gnomon.port,
        path: '/v1/chat/completions',
        headers: { authorization: `Bearer ${key}` },
        model: 'openai/gpt-4o-mini',
      },
      portkey: {
        name: 'portkey',
        port: portkey.port,
        path: '/v1/chat/completions',
        headers: {
          authorization: 'Bearer x',
          'x-portkey-provider': 'openai',
          'x-portkey-custom-host': `${fakeUrl}/v1`,
        },
        model: 'gpt-4o-mini',
      },
    };
    const processOf: Record<System, Server> = { direct: fake, bare, gnomon, portkey };
    for (const system of SYSTEMS) for (const mode of MODES) await probe(targets[system], mode);
    const idle = {
      gnomon: await memoryOf(gnomon.child.pid!),
      portkey: await memoryOf(portkey.child.pid!),
    };
    const idleHeap = await gatewayHeap(gnomon.port);

    const latencies: LatencyRow[] = [];
    const loads: ThroughputRow[] = [];
    for (const delay of DELAYS) {
      await setUpstreamDelay(fake, delay);
      const count = delay === 0 ? SAMPLES : DELAYED_SAMPLES;
      for (const mode of MODES) {
        for (const system of SYSTEMS) {
          const result = await sequential(
            targets[system],
            mode,
            count,
            Math.ceil(count / 10),
            SERIES_MAX_MS,
          );
          latencies.push({ delay, mode, system, result });
          progress(
            `c=1  ${delay} ms ${mode} ${system}: p50 ${percentile(result.latency, 50).toFixed(3)} ms`,
          );
        }
      }
      for (const mode of MODES) {
        for (const system of SYSTEMS) {
          for (const connections of CONNECTIONS) {
            const pid = processOf[system].child.pid!;
            await throughput(targets[system], mode, connections, WARMUP_S); // warm-up
            const before = await cpuSeconds(pid);
            const result = await throughput(targets[system], mode, connections, DURATION_S);
            const cpu = (await cpuSeconds(pid)) - before;
            loads.push({
              delay,
              mode,
              system,
              ...result,
              cpuUsPerRequest:
                system === 'direct' ? null : Math.round((cpu * 1e6) / Math.max(1, result.requests)),
            });
            progress(`c=${connections} ${delay} ms ${mode} ${system}: ${result.rps} req/s`);
          }
        }
      }
    }
    const after = {
      gnomon: await memoryOf(gnomon.child.pid!),
      portkey: await memoryOf(portkey.child.pid!),
    };
    const afterHeap = await gatewayHeap(gnomon.port);

    // ---- Report -------------------------------------------------------------------------
    const cpus = os.cpus();
    console.log(
      `\nGateway benchmark: ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, Node ${process.version}; ` +
        `load rows ${DURATION_S} s after a ${WARMUP_S} s warm-up; all processes share these cores.`,
    );
    if (Object.keys(GATEWAY_ENV).length > 0)
      console.log(`DIAGNOSTIC RUN, gateway environment overridden: ${JSON.stringify(GATEWAY_ENV)}`);

    const direct = (delay: number, mode: Mode) =>
      latencies.find((r) => r.delay === delay && r.mode === mode && r.system === 'direct')!.result;
    const added = (row: LatencyRow, p: number) =>
      percentile(row.result.latency, p) - percentile(direct(row.delay, row.mode).latency, p);
    console.log(
      '\nLatency at concurrency 1 (ms). json: whole response; stream: time to first token ' +
        '(first `data:` line with content). added = system − direct at the same percentile.',
    );
    console.table(
      latencies.map((row) => ({
        upstream: `${row.delay} ms`,
        mode: row.mode,
        system: LABEL[row.system],
        samples: row.result.samples,
        failed: row.result.failures,
        p50: ms(percentile(row.result.latency, 50)),
        p90: ms(percentile(row.result.latency, 90)),
        p99: ms(percentile(row.result.latency, 99)),
        'added p50': row.system === 'direct' ? '' : ms(added(row, 50)),
        'added p99': row.system === 'direct' ? '' : ms(added(row, 99)),
        'stream end p50': row.mode === 'stream' ? ms(percentile(row.result.total, 50)) : '',
      })),
    );

    const portkeyRps = (row: ThroughputRow) =>
      loads.find(
        (r) =>
          r.delay === row.delay &&
          r.mode === row.mode &&
          r.connections === row.connections &&
          r.system === 'portkey',
      )!.rps;
    console.log(
      '\nThroughput (autocannon, closed loop, latency in ms). CPU µs/req: CPU time of the ' +
        "proxy's own process per request (Redis and PostgreSQL not included)",
    );
    console.table(
      loads.map((row) => ({
        upstream: `${row.delay} ms`,
        mode: row.mode,
        system: LABEL[row.system],
        conns: row.connections,
        'req/s': row.rps,
        'vs Portkey': row.system === 'portkey' ? '' : `${(row.rps / portkeyRps(row)).toFixed(2)}×`,
        p50: row.p50,
        p99: row.p99,
        failed: row.failed,
        'CPU µs/req': row.cpuUsPerRequest ?? '',
      })),
    );

    console.log('\nMemory (MB): VmRSS / VmHWM from /proc/<pid>/status; heap from /metrics');
    console.table([
      {
        process: LABEL.gnomon,
        'RSS at start': mb(idle.gnomon.rssMb),
        'RSS after load': mb(after.gnomon.rssMb),
        'peak RSS': mb(after.gnomon.peakRssMb),
        'heap used (start → after)': `${idleHeap['heap used']} → ${afterHeap['heap used']}`,
        'heap total (start → after)': `${idleHeap['heap total']} → ${afterHeap['heap total']}`,
        'external (start → after)': `${idleHeap.external} → ${afterHeap.external}`,
      },
      {
        process: LABEL.portkey,
        'RSS at start': mb(idle.portkey.rssMb),
        'RSS after load': mb(after.portkey.rssMb),
        'peak RSS': mb(after.portkey.peakRssMb),
        'heap used (start → after)': '',
        'heap total (start → after)': '',
        'external (start → after)': '',
      },
    ]);

    const client = new Client({ connectionString: database.url });
    await client.connect();
    const persisted = (await client.query<{ n: string }>('select count(*) as n from llm_events'))
      .rows[0].n;
    // Approximate (statistics are flushed lazily); includes the few policy-cache refreshes.
    const commits = (
      await client.query<{ n: string }>(
        'select xact_commit as n from pg_stat_database where datname = current_database()',
      )
    ).rows[0].n;
    await client.end();
    console.log(
      `\nGnomon: ${persisted} usage events persisted to llm_events by the stream consumer so far, ` +
        `in ≈${commits} PostgreSQL transactions (≈${(Number(persisted) / Math.max(1, Number(commits))).toFixed(1)} events per transaction).`,
    );
    console.log(`Gnomon log lines at warn or above: ${describeLog(gnomon.log)}`);
    console.log(`Portkey stderr lines: ${describeLog(portkey.log)}`);
    requestsServed = Number(persisted);

    const summary: Record<string, string>[] = [];
    for (const row of latencies.filter((r) => r.system === 'gnomon')) {
      const what = `${row.delay} ms upstream, ${row.mode === 'json' ? 'json' : 'stream TTFT'}`;
      summary.push({
        target: `added p50 ≤ ${TARGETS.addedP50Ms} ms (c=1, ${what})`,
        measured: `${added(row, 50).toFixed(3)} ms`,
        result: verdict(added(row, 50) <= TARGETS.addedP50Ms),
      });
      summary.push({
        target: `added p99 ≤ ${TARGETS.addedP99Ms} ms (c=1, ${what})`,
        measured: `${added(row, 99).toFixed(3)} ms`,
        result: verdict(added(row, 99) <= TARGETS.addedP99Ms),
      });
    }
    for (const row of loads.filter((r) => r.system === 'gnomon' && r.connections === 64)) {
      const ratio = row.rps / portkeyRps(row);
      summary.push({
        target: `≥ ${TARGETS.throughputVsPortkey}× Portkey req/s (64 conns, ${row.delay} ms upstream, ${row.mode})`,
        measured: `${row.rps} vs ${portkeyRps(row)} req/s = ${ratio.toFixed(2)}×`,
        result: verdict(ratio >= TARGETS.throughputVsPortkey),
      });
    }
    summary.push({
      target: `RSS < ${TARGETS.rssMb} MB after the load`,
      measured: `${after.gnomon.rssMb.toFixed(1)} MB (peak ${after.gnomon.peakRssMb.toFixed(1)})`,
      result: verdict(after.gnomon.rssMb < TARGETS.rssMb),
    });
    console.log(
      Object.keys(GATEWAY_ENV).length > 0
        ? '\nTargets (DIAGNOSTIC RUN: not the acceptance configuration)'
        : '\nTargets (Gnomon gateway, all governance on)',
    );
    console.table(summary);
    const failed = summary.filter((s) => s.result === 'FAIL').length;
    console.log(
      `${summary.length - failed} of ${summary.length} targets met; ` +
        `the run took ${Math.round((Date.now() - started) / 1000)} s`,
    );
  } finally {
    const gnomon = servers.find((s) => s.name === 'gnomon gateway');
    for (const server of servers.reverse())
      await stop(server, CPU_PROF && server === gnomon ? 'SIGUSR2' : 'SIGTERM');
    await deleteRedisKeys(redisPrefix);
    await database.drop();
  }
  if (CPU_PROF) await printProfile(profileDir, requestsServed);
}

function progress(line: string): void {
  process.stderr.write(`  ${line}\n`);
}

async function printProfile(profileDir: string, requests: number): Promise<void> {
  const file = (await readdir(profileDir)).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile written to ${profileDir}`);
  const profile = await summarizeCpuProfile(path.join(profileDir, file));
  console.log(
    `\nGateway CPU profile ${path.join(profileDir, file)}: ${profile.busyMs} ms busy, ` +
      `${profile.idleMs} ms idle, ≈${requests} requests (llm_events rows), ` +
      `≈${Math.round((profile.busyMs * 1000) / Math.max(1, requests))} µs busy per request`,
  );
  console.log('Self time by area');
  console.table(profile.byArea);
  console.log('Busy time by owner (innermost Gnomon frame, else outermost package)');
  console.table(profile.byOwner);
  console.log('Self time by function');
  console.table(profile.bySelf);
  console.log("Inclusive time of Gnomon's own functions");
  console.table(profile.gnomonInclusive);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

// npm run bench:auth — authenticated GETs against a real control plane (its own process) on the
// real PostgreSQL and Redis, at 1 and 32 concurrent connections, plus the in-process cost of
// checking a cached API key. Prints figures; asserts nothing.
import {
  CredentialAuthenticator,
  DbCredentialSource,
  RedisCredentialCache,
  SecretHasher,
} from '@gnomon/auth';
import { connectDatabase, TenantDatabase } from '@gnomon/db';
import { createTestDatabase, ensureTemplateDatabase, redisTestUrl } from '@gnomon/testing';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import path from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
const PORT = 18080 + Math.floor(Math.random() * 1000);
const root = path.resolve(__dirname, '../../..');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function call(
  agent: Agent,
  method: string,
  url: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port: PORT,
        method,
        path: url,
        headers: {
          authorization: `Bearer ${key}`,
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Closed-loop load with autocannon (its HTTP client is far cheaper than node:http's). */
async function load(url: string, key: string, connections: number) {
  const options = {
    url: `http://127.0.0.1:${PORT}${url}`,
    connections,
    headers: { authorization: `Bearer ${key}` },
  };
  await autocannon({ ...options, duration: 1 }); // warm-up
  const result = await autocannon({ ...options, duration: DURATION_MS / 1000 });
  return {
    url,
    connections,
    requests: result.requests.total,
    non2xx: result.non2xx + result.errors,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

async function cachedAuthentication(databaseUrl: string, pepper: string, secret: string) {
  const connection = connectDatabase({ databaseUrl, maxConnections: 2 });
  const redis = new Redis(redisTestUrl());
  const authenticator = new CredentialAuthenticator(
    new SecretHasher(pepper),
    new DbCredentialSource(new TenantDatabase(connection)),
    new RedisCredentialCache(redis),
  );
  await authenticator.start();
  if (!(await authenticator.authenticate(secret)).ok)
    throw new Error('bench key did not authenticate');
  const samples: number[] = [];
  for (let i = 0; i < 200_000; i++) {
    const t0 = process.hrtime.bigint();
    await authenticator.authenticate(secret);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  samples.sort((a, b) => a - b);
  await authenticator.stop();
  await redis.quit();
  await connection.close();
  return {
    calls: samples.length,
    p50_us: percentile(samples, 50).toFixed(1),
    p99_us: percentile(samples, 99).toFixed(1),
  };
}

async function main(): Promise<void> {
  await ensureTemplateDatabase();
  const database = await createTestDatabase();
  const adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
  const pepper = randomBytes(24).toString('base64url');
  const server = spawn(process.execPath, [path.join(root, 'dist/apps/control-plane/src/main.js')], {
    env: {
      ...process.env,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      REDIS_URL: redisTestUrl(),
      GNOMON_ADMIN_KEY: adminKey,
      GNOMON_API_KEY_PEPPER: pepper,
      GNOMON_CURSOR_SECRET: randomBytes(24).toString('base64url'),
      GNOMON_SERVICE_TOKEN: randomBytes(24).toString('base64url'),
      GNOMON_ENCRYPTION_KEY: randomBytes(24).toString('base64url'),
      GNOMON_DATA_DIR: path.join(root, '.data/bench'),
      DATABASE_POOL_SIZE: '16',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const agent = new Agent({ keepAlive: true });
    for (let i = 0; ; i++) {
      const ready = await call(agent, 'GET', '/readyz', '').catch(() => ({ status: 0 }));
      if (ready.status === 200) break;
      if (i > 100) throw new Error('control plane did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const tenant = JSON.parse(
      (
        await call(agent, 'POST', '/api/v1/admin/tenants', adminKey, {
          name: 'bench',
          owner: { email: 'o@bench.test', name: 'O' },
        })
      ).body,
    ) as { id: string };
    const key = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: '127.0.0.1',
          port: PORT,
          method: 'POST',
          path: '/api/v1/api-keys',
          headers: {
            authorization: `Bearer ${adminKey}`,
            'x-gnomon-tenant': tenant.id,
            'content-type': 'application/json',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve((JSON.parse(text) as { secret: string }).secret));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ name: 'bench', scopes: ['keys:manage', 'runs:read'] }));
    });
    agent.destroy();

    const results = [];
    for (const url of ['/api/v1/me', '/api/v1/api-keys?limit=20']) {
      for (const connections of [1, 32]) results.push(await load(url, key, connections));
    }
    console.log(
      `\nAuthenticated GET, ${DURATION_MS / 1000}s per row, control plane in its own process (latency in ms)`,
    );
    console.table(results);
    console.log(
      '\nCached API key authentication (in process: HMAC + cache lookup + checks), microseconds',
    );
    console.table([await cachedAuthentication(database.url, pepper, key)]);
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

import { redisTestUrl, startOpenAiFake, type OpenAiFake } from '@gnomon/testing';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { GatewayHarness } from '../testing/gateway-harness';
import {
  billedMicros,
  eventually,
  postChat,
  reservationFor,
  setKeyBudget,
  tenantGovernanceKeys,
  testRedis,
} from '../testing/governance-fixtures';

const ROOT = path.resolve(__dirname, '../../../..');
const MAIN = path.join(ROOT, 'dist/apps/llm-gateway/src/main.js');

const REQUEST = {
  model: 'simulated/sim-small',
  messages: [{ role: 'user' as const, content: 'hi' }],
  max_completion_tokens: 20,
};
const RESERVE = reservationFor(REQUEST);

describe('usage and governance resilience', () => {
  let h: GatewayHarness;
  let redis: ReturnType<typeof testRedis>;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    redis = testRedis();
  });
  afterAll(async () => {
    await redis?.quit();
    await h?.close();
  });

  async function counterOf(tenantId: string, scope: 'tenant' | 'apiKey', scopeId: string) {
    const keys = await tenantGovernanceKeys(redis, h, tenantId);
    const key = keys.find((k) => k.includes(`:b:${scope}:${scopeId}:`) && !k.endsWith(':leases'));
    return key ? Number(await redis.hget(key, 'spent')) : null;
  }

  describe('lost Redis counters', () => {
    it('rebuilds budget counters from llm_events instead of resetting spend to zero', async () => {
      const tenant = await h.createTenant();
      await h.setBudget(tenant.tenantId, 5 * RESERVE);
      await setKeyBudget(h, tenant.tenantId, tenant.keyId, 4 * RESERVE);
      let actual = 0;
      for (let i = 0; i < 3; i += 1) {
        const r = await postChat(h.url(), tenant.key, REQUEST);
        expect(r.status).toBe(200);
        actual = Number(r.headers.get('x-gnomon-cost-micros'));
      }
      // Arithmetic of the scenario: the key budget has room for one more call, not two; the
      // tenant budget for two more; a counter reset to zero would allow many more.
      expect(3 * actual + RESERVE).toBeLessThanOrEqual(4 * RESERVE);
      expect(4 * actual + RESERVE).toBeGreaterThan(4 * RESERVE);

      await h.drainEvents();
      const keys = await tenantGovernanceKeys(redis, h, tenant.tenantId);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
      expect(await tenantGovernanceKeys(redis, h, tenant.tenantId)).toEqual([]);

      const next = await postChat(h.url(), tenant.key, REQUEST);
      expect(next.status).toBe(200);
      expect(await counterOf(tenant.tenantId, 'tenant', tenant.tenantId)).toBe(4 * actual);
      expect(await counterOf(tenant.tenantId, 'apiKey', tenant.keyId)).toBe(4 * actual);

      const refused = await postChat(h.url(), tenant.key, REQUEST);
      expect(refused.status).toBe(402);
      expect(refused.body.error.message).toContain('apiKey budget');

      await h.drainEvents();
      expect(await billedMicros(h, tenant.tenantId)).toBe(4 * actual);
      expect(await billedMicros(h, tenant.tenantId)).toBeLessThanOrEqual(4 * RESERVE);
    });
  });

  describe('a gateway process killed right after responding', () => {
    let child: ChildProcess | null = null;

    beforeAll(() => {
      if (!existsSync(MAIN)) {
        execFileSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
      }
    }, 120_000);
    afterEach(() => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });

    it('loses and duplicates no usage event: exactly N SUCCEEDED rows after draining (twice)', async () => {
      const tenant = await h.createTenant();
      const port = await freePort();
      const secrets = h.config.secrets;
      child = spawn(process.execPath, [MAIN], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          NODE_ENV: 'production',
          PORT: String(port),
          HOST: '127.0.0.1',
          DATABASE_URL: h.database.url,
          REDIS_URL: h.config.env.REDIS_URL,
          GNOMON_REDIS_PREFIX: h.config.env.GNOMON_REDIS_PREFIX,
          GNOMON_EVENT_CONSUMER: '0',
          GNOMON_SIMULATED_PROVIDER: '1',
          GNOMON_API_KEY_PEPPER: secrets.apiKeyPepper,
          GNOMON_SERVICE_TOKEN: secrets.serviceToken,
          GNOMON_ENCRYPTION_KEY: secrets.encryptionKey,
          GNOMON_CURSOR_SECRET: randomBytes(24).toString('base64url'),
          LOG_LEVEL: 'error',
        },
      });
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      await listening(child);
      const url = `http://127.0.0.1:${port}`;

      const N = 12;
      const responses = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          postChat(url, tenant.key, {
            ...REQUEST,
            messages: [{ role: 'user', content: `call ${i}` }],
            ...(i % 2 === 0 ? { stream: true } : {}),
          }),
        ),
      );
      child.kill('SIGKILL');
      await exited;
      expect(responses.map((r) => r.status)).toEqual(Array(N).fill(200));
      const requestIds = responses.map((r) => r.headers.get('x-request-id'));

      // The in-process instance shares the database and the Redis namespace: it persists
      // what the dead process left in the stream.
      await h.drainEvents();
      const events = await h.events(tenant.tenantId);
      expect(events).toHaveLength(N);
      expect(events.every((e) => e.status === 'SUCCEEDED')).toBe(true);
      expect(new Set(events.map((e) => e.id)).size).toBe(N);
      expect(new Set(events.map((e) => e.request_id))).toEqual(new Set(requestIds));
      expect(events.filter((e) => e.stream)).toHaveLength(N / 2);

      expect(await h.drainEvents()).toBe(0);
      expect(await h.events(tenant.tenantId)).toHaveLength(N);
    });
  });

  describe('Redis unreachable', () => {
    let proxy: BlackHoleProxy;
    let g: GatewayHarness;
    let openai: OpenAiFake;

    beforeAll(async () => {
      openai = await startOpenAiFake();
      proxy = await BlackHoleProxy.start(redisTestUrl());
      g = await GatewayHarness.start({
        REDIS_URL: proxy.url,
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: openai.url,
      });
    });
    afterAll(async () => {
      proxy?.restore();
      await g?.close();
      await proxy?.close();
      await openai?.close();
    });

    it('fails closed with 503 service_unavailable and calls no provider, then recovers', async () => {
      const tenant = await g.createTenant();
      await g.setBudget(tenant.tenantId, 10_000_000);
      const upstream = { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] };
      expect((await postChat(g.url(), tenant.key, upstream)).status).toBe(200);
      expect(openai.requests).toHaveLength(1);

      const connections = proxy.connections;
      proxy.blackHole(); // Redis accepts bytes and never answers
      const [plain, simulated, keyed] = await Promise.all([
        postChat(g.url(), tenant.key, upstream),
        postChat(g.url(), tenant.key, REQUEST),
        postChat(g.url(), tenant.key, upstream, { 'Idempotency-Key': 'during-outage' }),
      ]);
      for (const r of [plain, simulated, keyed]) {
        expect(r.status).toBe(503);
        expect(r.body.error).toMatchObject({ code: 'service_unavailable', type: 'api_error' });
      }
      expect(openai.requests).toHaveLength(1);

      // Redis back (the connections are reset): calls are admitted again.
      proxy.restore();
      const recovered = await eventually(async () => {
        const r = await postChat(g.url(), tenant.key, upstream);
        return r.status === 200 ? r : undefined;
      }, 'the gateway to admit calls again');
      expect(recovered.status).toBe(200);
      // Every connection is back (the credential subscriber too) before the gateway closes.
      await eventually(
        () => (proxy.connections >= connections ? true : undefined),
        'every Redis connection to be re-established',
      );
    });
  });
});

/** A free TCP port on 127.0.0.1 (for the child gateway, which needs a real number). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once the child gateway prints that it listens; rejects if it exits first. */
function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('llm-gateway listening')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code, signal) =>
      reject(new Error(`gateway exited (${code ?? signal}) before listening:\n${stderr}`)),
    );
  });
}

/**
 * A TCP proxy in front of Redis that can swallow every byte in both directions (a hung or
 * partitioned Redis: connections stay open, nothing is answered) and be restored by resetting
 * its connections (the clients reconnect).
 */
class BlackHoleProxy {
  private swallowing = false;
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<BlackHoleProxy> {
    const { hostname, port } = new URL(target);
    let proxy: BlackHoleProxy | null = null;
    const server = createServer((client) => proxy!.pipe(client, hostname, Number(port || 6379)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as AddressInfo;
    proxy = new BlackHoleProxy(server, `redis://127.0.0.1:${address.port}`);
    return proxy;
  }

  /** Client connections currently open (the gateway's Redis connections). */
  get connections(): number {
    return this.clients.size;
  }

  blackHole(): void {
    this.swallowing = true;
  }

  /** Forwards again; the connections that lost bytes are reset (a no-op when forwarding). */
  restore(): void {
    if (!this.swallowing) return;
    this.swallowing = false;
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: Socket, host: string, port: number): void {
    const upstream = connect(port, host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    this.clients.add(client);
    client.on('data', (data) => {
      if (!this.swallowing) upstream.write(data);
    });
    upstream.on('data', (data) => {
      if (!this.swallowing) client.write(data);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      this.clients.delete(client);
    };
    for (const socket of [client, upstream]) {
      socket.on('close', close);
      socket.on('error', close);
    }
  }
}

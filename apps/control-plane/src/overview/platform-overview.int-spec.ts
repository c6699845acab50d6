import { BreakerBoard, breakerBoardKey, type BreakerReport } from '@gnomon/governance';
import { redisTestUrl } from '@gnomon/testing';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { periodStarts } from '../budget/budget.service';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

interface Call {
  /** Milliseconds before the test's "now". */
  ago: number;
  cost: string;
  provider?: string | null;
  status?: 'SUCCEEDED' | 'FAILED';
}

const DAY = 86_400_000;

/** This file's database holds only this file's tenants, so platform-wide sums are exact. */
describe('platform overview (GET /api/v1/admin/overview)', () => {
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  let h: ControlPlaneHarness;
  let redis: Redis;
  let board: BreakerBoard;
  beforeAll(async () => {
    h = await ControlPlaneHarness.start({ GNOMON_REDIS_PREFIX: prefix });
    redis = new Redis(redisTestUrl());
    board = new BreakerBoard(redis, breakerBoardKey(prefix));
  });
  afterAll(async () => {
    await redis.del(breakerBoardKey(prefix));
    redis.disconnect();
    await h.close();
  });

  const expectProblem = (res: HttpResult, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };

  const record = async (tenant: Tenant, now: number, calls: Call[]) => {
    for (const c of calls) {
      await h.sql(
        `insert into llm_events (id, tenant_id, request_id, model, provider, status, cost_micros,
                                 latency_ms, created_at)
         values (gen_random_uuid(), $1, 'req', 'm/x', $2, $3, $4, 10, $5)`,
        [
          tenant.id,
          c.provider === undefined ? 'openai' : c.provider,
          c.status ?? 'SUCCEEDED',
          c.cost,
          new Date(now - c.ago).toISOString(),
        ],
      );
    }
  };

  /** A gateway instance's report, as BreakerStatePublisher writes it. */
  const report = (instanceId: string, expiresIn: number, providers: BreakerReport['providers']) => {
    const now = Date.now();
    return board.publish({ instanceId, reportedAt: now, expiresAt: now + expiresIn, providers });
  };

  it('adds up every tenant, ranks the top spenders, and shows the reported breakers', async () => {
    const now = Date.now();
    const since = periodStarts(new Date(now));
    const tenants: Tenant[] = [];
    for (let i = 0; i < 12; i += 1) tenants.push(await h.createTenant(`spender-${i}`));
    const calls = new Map<Tenant, Call[]>();
    // Tenant i spent (i + 1) × 1000 this month (3 days ago; or 1 s ago early in the month).
    const monthAgo = now - 3 * DAY >= since.MONTHLY.getTime() ? 3 * DAY : 1_000;
    tenants
      .slice(0, 11)
      .forEach((tenant, i) => calls.set(tenant, [{ ago: monthAgo, cost: String((i + 1) * 1000) }]));
    // The 12th spent nothing, but made calls: 4 in the last minutes, 1 failed, one to gemini.
    calls.set(tenants[11], [
      { ago: 1_000, cost: '0' },
      { ago: 2_000, cost: '0', status: 'FAILED' },
      { ago: 3_000, cost: '0', provider: 'gemini' },
      { ago: 4_000, cost: '0', provider: null, status: 'FAILED' }, // refused: no provider
      { ago: 40 * DAY, cost: '999999' }, // last month or earlier: not this month
    ]);
    // The smallest spender also spent a little just now (still the smallest).
    calls.get(tenants[0])?.push({ ago: 1_500, cost: '7' });
    for (const [tenant, list] of calls) await record(tenant, now, list);

    await report('gw-a', 60_000, [
      { provider: 'openai', state: 'open', coolingDownUntil: null },
      { provider: 'anthropic', state: 'closed', coolingDownUntil: null },
    ]);
    await report('gw-b', 60_000, [
      { provider: 'openai', state: 'closed', coolingDownUntil: null },
      { provider: 'anthropic', state: 'half_open', coolingDownUntil: null },
    ]);
    // An instance that stopped reporting long ago does not count.
    await report('gw-dead', -1_000, [
      { provider: 'mistral', state: 'open', coolingDownUntil: null },
    ]);

    const res = await h.request('GET', '/api/v1/admin/overview', { key: h.adminKey });
    expect(res.status).toBe(200);
    const allCalls = [...calls.values()].flat();
    const sum = (from: Date) =>
      allCalls
        .filter((c) => now - c.ago >= from.getTime())
        .reduce((acc, c) => acc + BigInt(c.cost), 0n)
        .toString();
    expect(res.body).toEqual({
      spendTodayMicros: sum(since.DAILY),
      spendMonthMicros: sum(since.MONTHLY),
      requestsPerMinute: 1, // 5 calls in the last 5 minutes
      errorRate: 0.4, // 2 of them failed
      providers: [
        { provider: 'anthropic', state: 'half-open', coolingDownUntil: null, instances: 2 },
        // used today, but no live gateway reports it
        { provider: 'gemini', state: 'unknown', coolingDownUntil: null, instances: 0 },
        { provider: 'openai', state: 'open', coolingDownUntil: null, instances: 2 },
      ],
      topTenants: tenants
        .slice(1, 11)
        .reverse()
        .map((tenant, i) => ({
          tenantId: tenant.id,
          name: `spender-${10 - i}`,
          spendMonthMicros: String((11 - i) * 1000),
        })),
    });
  });

  it('is for platform admins only', async () => {
    const tenant = await h.createTenant();
    const res = await h.request('GET', '/api/v1/admin/overview', { key: tenant.key });
    expectProblem(res, 403, 'forbidden');
    expect(res.body.topTenants).toBeUndefined();
    const bad = await h.request('GET', '/api/v1/admin/overview?tenant=x', { key: h.adminKey });
    expectProblem(bad, 400, 'validation_failed');
  });

  describe('the platform-wide door (gnomon_platform_llm_spend) as the application role', () => {
    /** Runs `text` as gnomon_app with a transaction-local context, as TenantDatabase does. */
    const asApp = async (context: { platform: boolean; tenantId?: string }, text: string) => {
      const client = new Client({ connectionString: h.database.url });
      await client.connect();
      try {
        await client.query('begin');
        await client.query(
          `select set_config('role', 'gnomon_app', true), set_config('app.tenant_id', $1, true),
                  set_config('app.platform', $2, true)`,
          [context.tenantId ?? '', context.platform ? 'on' : 'off'],
        );
        return (await client.query(text)).rows;
      } finally {
        await client.query('rollback').catch(() => undefined);
        await client.end();
      }
    };
    const spend = (days = 1) =>
      `select tenant_id::text, cost_micros::text
         from gnomon_platform_llm_spend(now() - interval '${days} days', now() + interval '1 minute')`;

    it('answers aggregates to a platform transaction, which still cannot see one row', async () => {
      const tenant = await h.createTenant();
      await record(tenant, Date.now(), [
        { ago: 1_000, cost: '5' },
        { ago: 2_000, cost: '6' },
      ]);
      const sums = await asApp({ platform: true }, spend());
      expect(sums).toContainEqual({ tenant_id: tenant.id, cost_micros: '11' });
      expect(await asApp({ platform: true }, 'select count(*)::int as n from llm_events')).toEqual([
        { n: 0 },
      ]);
    });

    it('refuses inside a tenant, to a platform transaction acting as one, and without context', async () => {
      const tenant = await h.createTenant();
      for (const context of [
        { platform: false, tenantId: tenant.id },
        { platform: true, tenantId: tenant.id },
        { platform: false },
      ]) {
        await expect(asApp(context, spend())).rejects.toThrow(
          'platform-wide figures need a platform transaction',
        );
      }
    });

    it('refuses ranges longer than 366 days', async () => {
      await expect(asApp({ platform: true }, spend(367))).rejects.toThrow('at most 366 days');
    });
  });
});

import { BreakerBoard, breakerBoardKey } from '@gnomon/governance';
import { redisTestUrl } from '@gnomon/testing';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

interface Call {
  /** Minutes before now. */
  minutesAgo: number;
  latencyMs: number;
  provider?: string | null;
  model?: string;
  providerModel?: string | null;
  status?: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
}

/** This file's database holds only this file's calls, so the figures are exact. */
describe('provider health (GET /api/v1/admin/providers)', () => {
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  let h: ControlPlaneHarness;
  let redis: Redis;
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    h = await ControlPlaneHarness.start({ GNOMON_REDIS_PREFIX: prefix });
    redis = new Redis(redisTestUrl());
    [a, b] = [await h.createTenant(), await h.createTenant()];
    // gpt-4o-mini, across two tenants: 5 answered calls and 1 failure within the hour
    await record(
      a,
      [100, 200, 300].map((latencyMs) => ({ minutesAgo: 10, latencyMs })),
    );
    await record(b, [
      { minutesAgo: 20, latencyMs: 400 },
      { minutesAgo: 30, latencyMs: 1_000 },
      { minutesAgo: 40, latencyMs: 5_000, status: 'FAILED' },
      // three hours ago: only in the 24h window
      { minutesAgo: 180, latencyMs: 50 },
      { minutesAgo: 180, latencyMs: 50, provider: 'anthropic', providerModel: 'claude-haiku-4-5' },
      // two days ago: in neither window
      { minutesAgo: 2 * 24 * 60, latencyMs: 7, provider: 'gemini', providerModel: 'x' },
      // refused before routing (no provider): not a provider's call
      { minutesAgo: 5, latencyMs: 1, provider: null, status: 'FAILED' },
    ]);
    // a custom provider without provider_model is listed under the requested model;
    // an aborted call (client went away) is neither an error nor a latency sample
    await record(a, [
      {
        minutesAgo: 1,
        latencyMs: 80,
        provider: 'my-vllm',
        model: 'my-vllm/qwen',
        providerModel: null,
      },
      {
        minutesAgo: 1,
        latencyMs: 9_000,
        provider: 'my-vllm',
        model: 'my-vllm/qwen',
        providerModel: null,
        status: 'ABORTED',
      },
    ]);
  });
  afterAll(async () => {
    await redis.del(breakerBoardKey(prefix));
    redis.disconnect();
    await h.close();
  });

  async function record(tenant: Tenant, calls: Call[]) {
    for (const c of calls) {
      await h.sql(
        `insert into llm_events (id, tenant_id, request_id, model, provider, provider_model, status,
                                 latency_ms, created_at)
         values (gen_random_uuid(), $1, 'req', $2, $3, $4, $5, $6,
                 now() - make_interval(mins => $7))`,
        [
          tenant.id,
          c.model ?? 'openai/gpt-4o-mini',
          c.provider === undefined ? 'openai' : c.provider,
          c.providerModel === undefined ? 'gpt-4o-mini' : c.providerModel,
          c.status ?? 'SUCCEEDED',
          c.latencyMs,
          c.minutesAgo,
        ],
      );
    }
  }

  const expectProblem = (res: HttpResult, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };

  const health = (query = '', key = h.adminKey) =>
    h.request('GET', `/api/v1/admin/providers${query}`, { key });

  it('per provider model over the last hour: calls, error rate and p50/p95 of answered calls', async () => {
    await new BreakerBoard(redis, breakerBoardKey(prefix)).publish({
      instanceId: 'gw-1',
      reportedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
      providers: [
        { provider: 'openai', state: 'half_open', coolingDownUntil: null },
        { provider: 'anthropic', state: 'closed', coolingDownUntil: null },
      ],
    });
    const res = await health();
    expect(res.status).toBe(200);
    expect(res.body.window).toBe('1h');
    expect(new Date(res.body.to).getTime() - new Date(res.body.from).getTime()).toBe(3_600_000);
    expect(res.body.items).toEqual([
      {
        provider: 'my-vllm',
        model: 'my-vllm/qwen',
        state: 'unknown', // no gateway reports it
        calls: 2,
        failedCalls: 0,
        errorRate: 0,
        p50Ms: 80,
        p95Ms: 80,
      },
      {
        provider: 'openai',
        model: 'gpt-4o-mini',
        state: 'half-open',
        calls: 6,
        failedCalls: 1,
        errorRate: 0.1667,
        p50Ms: 300, // of 100, 200, 300, 400, 1000
        p95Ms: 880, // 400 + 0.8 × (1000 − 400), interpolated
      },
    ]);
  });

  it('the 24h window reaches three hours back, not two days', async () => {
    const res = await health('?window=24h');
    expect(res.status).toBe(200);
    expect(
      res.body.items.map((row: { provider: string; model: string; calls: number }) => [
        row.provider,
        row.model,
        row.calls,
      ]),
    ).toEqual([
      ['anthropic', 'claude-haiku-4-5', 1],
      ['my-vllm', 'my-vllm/qwen', 2],
      ['openai', 'gpt-4o-mini', 7],
    ]);
    const openai = res.body.items.find((row: { provider: string }) => row.provider === 'openai');
    expect([openai.p50Ms, openai.failedCalls]).toEqual([250, 1]); // 50, 100, 200, 300, 400, 1000
  });

  it('is for platform admins only, and refuses an unknown window', async () => {
    const res = await health('', a.key);
    expectProblem(res, 403, 'forbidden');
    expect(res.body.items).toBeUndefined();
    for (const query of ['?window=7d', '?window=', '?window=1h&provider=openai']) {
      expectProblem(await health(query), 400, 'validation_failed');
    }
  });
});

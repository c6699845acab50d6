import { periodStarts } from '../budget/budget.service';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

interface Call {
  /** Milliseconds before the test's "now". */
  ago: number;
  cost: string;
  status?: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
}

const MINUTE = 60_000;

describe('tenant overview (GET /api/v1/overview)', () => {
  let h: ControlPlaneHarness;
  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  const expectProblem = (res: HttpResult, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };

  const overview = (key: string, tenant?: string) =>
    h.request('GET', '/api/v1/overview', { key, tenant });

  /** Model calls as the gateway stores them, at fixed distances from `now`. */
  const record = async (tenant: Tenant, now: number, calls: Call[]) => {
    for (const c of calls) {
      await h.sql(
        `insert into llm_events (id, tenant_id, request_id, model, provider, status, cost_micros,
                                 latency_ms, created_at)
         values (gen_random_uuid(), $1, 'req', 'openai/gpt-4o-mini', 'openai', $2, $3, 10, $4)`,
        [tenant.id, c.status ?? 'SUCCEEDED', c.cost, new Date(now - c.ago).toISOString()],
      );
    }
  };

  /** What the calls add up to since today's and this month's start (UTC). */
  const spendSince = (now: number, calls: Call[]) => {
    const starts = periodStarts(new Date(now));
    const sum = (start: Date) =>
      calls
        .filter((c) => now - c.ago >= start.getTime())
        .reduce((acc, c) => acc + BigInt(c.cost), 0n)
        .toString();
    return { day: sum(starts.DAILY), month: sum(starts.MONTHLY) };
  };

  const CALLS: Call[] = [
    { ago: 1_000, cost: '100' },
    { ago: 2 * MINUTE, cost: '200', status: 'FAILED' },
    { ago: 3 * MINUTE, cost: '0', status: 'ABORTED' },
    { ago: 20 * MINUTE, cost: '400', status: 'FAILED' }, // outside the recent window
    { ago: 3 * 86_400_000, cost: '800' },
    { ago: 40 * 86_400_000, cost: '1600' },
  ];

  const setBudget = (tenant: Tenant, policies: unknown[]) =>
    h.request('PUT', '/api/v1/budget', { key: h.adminKey, tenant: tenant.id, body: { policies } });

  it("shows the tenant's spend today and this month, recent traffic, and no budget", async () => {
    const tenant = await h.createTenant();
    const now = Date.now();
    await record(tenant, now, CALLS);
    const res = await overview(tenant.key);
    expect(res.status).toBe(200);
    const spend = spendSince(now, CALLS);
    expect(res.body).toEqual({
      spendTodayMicros: spend.day,
      spendMonthMicros: spend.month,
      requestsPerMinute: 0.6, // 3 calls in the last 5 minutes
      errorRate: 0.3333, // 1 of them failed (aborted is not a failure)
      budget: {
        period: 'MONTHLY',
        softLimitMicros: null,
        hardLimitMicros: null,
        usedMicros: spend.month,
      },
    });
  });

  it('shows the tenant-wide budget closest to its hard limit, with its soft limit', async () => {
    const tenant = await h.createTenant();
    const now = Date.now();
    await record(tenant, now, CALLS);
    const spend = spendSince(now, CALLS);

    // The monthly budget is nearly used up; the daily one barely.
    expect(
      (
        await setBudget(tenant, [
          { period: 'MONTHLY', limitMicros: 10_000, softThresholdPct: 75 },
          { period: 'DAILY', limitMicros: 1_000_000_000 },
          // a per-key budget is not the tenant's
          { period: 'MONTHLY', limitMicros: 1, apiKeyId: tenant.keyId },
        ])
      ).status,
    ).toBe(200);
    expect((await overview(tenant.key)).body.budget).toEqual({
      period: 'MONTHLY',
      softLimitMicros: '7500',
      hardLimitMicros: '10000',
      usedMicros: spend.month,
    });

    // Now the daily one is closer.
    await setBudget(tenant, [
      { period: 'MONTHLY', limitMicros: '900000000000000000' },
      { period: 'DAILY', limitMicros: 301, softThresholdPct: 33 },
    ]);
    expect((await overview(tenant.key)).body.budget).toEqual({
      period: 'DAILY',
      softLimitMicros: '99', // 301 × 33 % rounded down
      hardLimitMicros: '301',
      usedMicros: spend.day,
    });
  });

  it('a tenant without calls has zeros', async () => {
    const tenant = await h.createTenant();
    const res = await overview(tenant.key);
    expect(res.body).toEqual({
      spendTodayMicros: '0',
      spendMonthMicros: '0',
      requestsPerMinute: 0,
      errorRate: 0,
      budget: { period: 'MONTHLY', softLimitMicros: null, hardLimitMicros: null, usedMicros: '0' },
    });
  });

  it("B sees only its own figures; naming A is 403; the platform admin sees A's", async () => {
    const [a, b] = [await h.createTenant(), await h.createTenant()];
    const now = Date.now();
    await record(a, now, CALLS);
    expect((await overview(b.key)).body).toMatchObject({
      spendTodayMicros: '0',
      spendMonthMicros: '0',
      requestsPerMinute: 0,
    });
    const foreign = await overview(b.key, a.id);
    expectProblem(foreign, 403, 'forbidden');
    expect(foreign.body.spendMonthMicros).toBeUndefined();

    const admin = await overview(h.adminKey, a.id);
    expect(admin.body.spendMonthMicros).toBe(spendSince(now, CALLS).month);
    // without naming a tenant the admin has none to report on
    expectProblem(await overview(h.adminKey), 400, 'validation_failed');
  });

  it('needs usage:read, and takes no query parameters', async () => {
    const tenant = await h.createTenant();
    const key = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'runs only', scopes: ['runs:read'] },
    });
    expectProblem(await overview(key.body.secret), 403, 'forbidden');
    const res = await h.request('GET', '/api/v1/overview?period=year', { key: tenant.key });
    expectProblem(res, 400, 'validation_failed');
  });
});

import { randomUUID } from 'node:crypto';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

describe('budgets (/api/v1/budget)', () => {
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

  /** The platform admin replaces a tenant's policies. */
  const put = (tenant: Tenant, policies: unknown[]) =>
    h.request('PUT', '/api/v1/budget', { key: h.adminKey, tenant: tenant.id, body: { policies } });

  const get = (tenant: Tenant) => h.request('GET', '/api/v1/budget', { key: tenant.key });

  const stored = async (tenant: Tenant) => ({
    rows: await h.sql(
      `select api_key_id, period, limit_micros, soft_threshold_pct from budget_policies
        where tenant_id = $1 order by api_key_id nulls first, period`,
      [tenant.id],
    ),
    audit: await h.sql(
      `select 1 from audit_logs where tenant_id = $1 and action = 'budget.updated'`,
      [tenant.id],
    ),
  });

  /** A model call recorded by the gateway (inserted directly, as the superuser). */
  const llmEvent = (tenant: Tenant, costMicros: string, at: Date, apiKeyId: string | null) =>
    h.sql(
      `insert into llm_events (id, tenant_id, request_id, api_key_id, model, provider, status,
                               cost_micros, latency_ms, created_at)
       values (gen_random_uuid(), $1, 'req', $2, 'openai/gpt-4o-mini', 'openai', 'SUCCEEDED', $3, 10, $4)`,
      [tenant.id, apiKeyId, costMicros, at],
    );

  const startOfUtcDay = (now: Date) =>
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const startOfUtcMonth = (now: Date) =>
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

  it('a tenant without policies has none', async () => {
    const tenant = await h.createTenant();
    const res = await get(tenant);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ policies: [] });
  });

  it('shows each policy with its current UTC period and what was spent in it, as decimal strings', async () => {
    const [tenant, other] = [await h.createTenant(), await h.createTenant()];
    const now = new Date();
    const [day, month] = [startOfUtcDay(now), startOfUtcMonth(now)];
    const sameDay = day.getTime() === month.getTime();
    await llmEvent(
      tenant,
      '100',
      new Date(Math.max(day.getTime(), now.getTime() - 1_000)),
      tenant.keyId,
    );
    await llmEvent(tenant, '50', day, null);
    await llmEvent(tenant, '1000', month, tenant.keyId); // this month, and today only on the 1st
    await llmEvent(tenant, '7000', new Date(month.getTime() - 1), tenant.keyId); // last month
    await llmEvent(other, '999999', now, other.keyId); // another tenant

    const res = await put(tenant, [
      { period: 'DAILY', limitMicros: 5_000_000 },
      { period: 'MONTHLY', limitMicros: '123456789012345678', softThresholdPct: 90 },
      { period: 'MONTHLY', limitMicros: 2_000_000, apiKeyId: tenant.keyId },
    ]);
    expect(res.status).toBe(200);
    const expected = {
      policies: [
        {
          period: 'DAILY',
          scope: 'tenant',
          apiKeyId: null,
          limitMicros: '5000000',
          softThresholdPct: 80,
          periodStart: day.toISOString(),
          spentMicros: sameDay ? '1150' : '150',
        },
        {
          period: 'MONTHLY',
          scope: 'tenant',
          apiKeyId: null,
          limitMicros: '123456789012345678',
          softThresholdPct: 90,
          periodStart: month.toISOString(),
          spentMicros: '1150',
        },
        {
          period: 'MONTHLY',
          scope: 'apiKey',
          apiKeyId: tenant.keyId,
          limitMicros: '2000000',
          softThresholdPct: 80,
          periodStart: month.toISOString(),
          spentMicros: '1100',
        },
      ],
    };
    expect(res.body).toEqual(expected);
    expect((await get(tenant)).body).toEqual(expected);
    expect((await stored(tenant)).rows).toEqual([
      { api_key_id: null, period: 'DAILY', limit_micros: '5000000', soft_threshold_pct: 80 },
      {
        api_key_id: null,
        period: 'MONTHLY',
        limit_micros: '123456789012345678',
        soft_threshold_pct: 90,
      },
      {
        api_key_id: tenant.keyId,
        period: 'MONTHLY',
        limit_micros: '2000000',
        soft_threshold_pct: 80,
      },
    ]);
  });

  it('PUT replaces the whole set (an empty list removes every policy)', async () => {
    const tenant = await h.createTenant();
    await put(tenant, [
      { period: 'DAILY', limitMicros: 1 },
      { period: 'MONTHLY', limitMicros: 2 },
    ]);
    const res = await put(tenant, [{ period: 'MONTHLY', limitMicros: 3 }]);
    expect(res.body.policies.map((p: { limitMicros: string }) => p.limitMicros)).toEqual(['3']);
    expect((await stored(tenant)).rows).toHaveLength(1);
    expect((await put(tenant, [])).body).toEqual({ policies: [] });
    expect((await stored(tenant)).rows).toEqual([]);
  });

  it('concurrent replacements leave at most one tenant-wide policy per period', async () => {
    const tenant = await h.createTenant();
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => put(tenant, [{ period: 'DAILY', limitMicros: n }])),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const rows = (await stored(tenant)).rows;
    expect(rows).toHaveLength(1);
    expect((await stored(tenant)).audit).toHaveLength(4);
  });

  describe('bad input: clear error, and nothing is written', () => {
    const cases: [string, string, unknown][] = [
      [
        'two tenant-wide policies for one period',
        'body',
        [
          { period: 'DAILY', limitMicros: 1 },
          { period: 'DAILY', limitMicros: 2 },
        ],
      ],
      ['an unknown period', 'body.policies[0].period', [{ period: 'WEEKLY', limitMicros: 1 }]],
      ['a negative limit', 'body.policies[0].limitMicros', [{ period: 'DAILY', limitMicros: -1 }]],
      [
        'a limit with decimals',
        'body.policies[0].limitMicros',
        [{ period: 'DAILY', limitMicros: '1.5' }],
      ],
      [
        'a threshold over 100',
        'body.policies[0].softThresholdPct',
        [{ period: 'DAILY', limitMicros: 1, softThresholdPct: 101 }],
      ],
      [
        'an apiKeyId that is not a UUID',
        'body.policies[0].apiKeyId',
        [{ period: 'DAILY', limitMicros: 1, apiKeyId: 'key-1' }],
      ],
      ['an unknown field', 'body.policies[0]', [{ period: 'DAILY', limitMicros: 1, hard: true }]],
    ];
    it.each(cases)('%s → 400 at %s', async (_name, path, policies) => {
      const tenant = await h.createTenant();
      const res = await put(tenant, policies as unknown[]);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      expect(await stored(tenant)).toEqual({ rows: [], audit: [] });
    });

    it('an apiKeyId of another tenant, or of no key, is 404 and keeps the previous policies', async () => {
      const [tenant, other] = [await h.createTenant(), await h.createTenant()];
      expect((await put(tenant, [{ period: 'DAILY', limitMicros: 10 }])).status).toBe(200);
      const before = await stored(tenant);
      for (const apiKeyId of [other.keyId, randomUUID()]) {
        const res = await put(tenant, [
          { period: 'MONTHLY', limitMicros: 1 },
          { period: 'DAILY', limitMicros: 1, apiKeyId },
        ]);
        expectProblem(res, 404, 'not_found');
        expect(JSON.stringify(res.body)).not.toContain(other.id);
      }
      expect(await stored(tenant)).toEqual(before);
      expect(await h.sql('select 1 from budget_policies where tenant_id = $1', [other.id])).toEqual(
        [],
      );
    });
  });

  describe('access', () => {
    it('a tenant key, even with every scope, cannot change its budget (403)', async () => {
      const tenant = await h.createTenant();
      const res = await h.request('PUT', '/api/v1/budget', {
        key: tenant.key,
        body: { policies: [] },
      });
      expectProblem(res, 403, 'forbidden');
      expect(await stored(tenant)).toEqual({ rows: [], audit: [] });
    });

    it('reading needs usage:read', async () => {
      const tenant = await h.createTenant();
      const key = await h.request('POST', '/api/v1/api-keys', {
        key: tenant.key,
        body: { name: 'no usage', scopes: ['tasks:read'] },
      });
      expectProblem(
        await h.request('GET', '/api/v1/budget', { key: key.body.secret }),
        403,
        'forbidden',
      );
    });
  });

  it("tenant B never sees or changes A's budget, even naming A in X-Gnomon-Tenant", async () => {
    const [a, b] = [await h.createTenant(), await h.createTenant()];
    expect((await put(a, [{ period: 'DAILY', limitMicros: 77 }])).status).toBe(200);
    await llmEvent(a, '5', new Date(), a.keyId);
    const before = await stored(a);

    expect((await get(b)).body).toEqual({ policies: [] });
    const read = await h.request('GET', '/api/v1/budget', { key: b.key, tenant: a.id });
    expectProblem(read, 403, 'forbidden');
    expect(read.body.policies).toBeUndefined();
    const write = await h.request('PUT', '/api/v1/budget', {
      key: b.key,
      tenant: a.id,
      body: { policies: [] },
    });
    expectProblem(write, 403, 'forbidden');
    expect(await stored(a)).toEqual(before);

    // B's own tenant-wide policy counts only B's spend
    const own = await put(b, [{ period: 'DAILY', limitMicros: 1 }]);
    expect(own.body.policies[0].spentMicros).toBe('0');
  });

  it('writes a budget.updated audit entry with the new policy set', async () => {
    const tenant = await h.createTenant();
    const res = await put(tenant, [
      { period: 'MONTHLY', limitMicros: '900000000000000000', apiKeyId: tenant.keyId },
    ]);
    const rows = await h.sql(
      `select actor_type, target_type, target_id, request_id, metadata from audit_logs
        where tenant_id = $1 and action = 'budget.updated'`,
      [tenant.id],
    );
    expect(rows).toEqual([
      {
        actor_type: 'PLATFORM_ADMIN',
        target_type: 'budget',
        target_id: null,
        request_id: res.headers['x-request-id'],
        metadata: {
          policies: [
            {
              period: 'MONTHLY',
              apiKeyId: tenant.keyId,
              limitMicros: '900000000000000000',
              softThresholdPct: 80,
            },
          ],
        },
      },
    ]);
  });
});

import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

const UNLIMITED = {
  tenantRequestsPerMinute: null,
  tenantTokensPerMinute: null,
  userRequestsPerMinute: null,
};

describe('rate limits (/api/v1/limits)', () => {
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

  /** The platform admin sets a tenant's limits. */
  const put = (tenant: Tenant, body: unknown) =>
    h.request('PUT', '/api/v1/limits', { key: h.adminKey, tenant: tenant.id, body });

  const stored = async (tenant: Tenant) => ({
    rows: await h.sql(
      `select subject, requests_per_minute, tokens_per_minute from rate_limit_policies
        where tenant_id = $1 order by subject`,
      [tenant.id],
    ),
    audit: await h.sql(
      `select 1 from audit_logs where tenant_id = $1 and action = 'limits.updated'`,
      [tenant.id],
    ),
  });

  it('a tenant without limits is unlimited', async () => {
    const tenant = await h.createTenant();
    const res = await h.request('GET', '/api/v1/limits', { key: tenant.key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(UNLIMITED);
  });

  it('a platform admin replaces the limits; what is left out becomes unlimited', async () => {
    const tenant = await h.createTenant();
    const limits = {
      tenantRequestsPerMinute: 600,
      tenantTokensPerMinute: 2_000_000,
      userRequestsPerMinute: 60,
    };
    const first = await put(tenant, limits);
    expect(first.status).toBe(200);
    expect(first.body).toEqual(limits);
    expect((await h.request('GET', '/api/v1/limits', { key: tenant.key })).body).toEqual(limits);
    expect((await stored(tenant)).rows).toEqual([
      { subject: 'TENANT', requests_per_minute: 600, tokens_per_minute: 2_000_000 },
      { subject: 'USER', requests_per_minute: 60, tokens_per_minute: null },
    ]);

    const second = await put(tenant, { tenantTokensPerMinute: 1_000 });
    expect(second.body).toEqual({ ...UNLIMITED, tenantTokensPerMinute: 1_000 });
    expect((await stored(tenant)).rows).toEqual([
      { subject: 'TENANT', requests_per_minute: null, tokens_per_minute: 1_000 },
    ]);

    expect((await put(tenant, {})).body).toEqual(UNLIMITED);
    expect((await stored(tenant)).rows).toEqual([]);
  });

  describe('bad input: the error names the path, and nothing is written', () => {
    const cases: [string, string, unknown][] = [
      ['zero', 'body.tenantRequestsPerMinute', { tenantRequestsPerMinute: 0 }],
      ['a fraction', 'body.userRequestsPerMinute', { userRequestsPerMinute: 1.5 }],
      ['a string', 'body.tenantTokensPerMinute', { tenantTokensPerMinute: '100' }],
      ['too large', 'body.tenantTokensPerMinute', { tenantTokensPerMinute: 1e12 }],
      ['an unknown field', 'body', { userTokensPerMinute: 100 }],
    ];
    it.each(cases)('%s → 400 at %s', async (_name, path, body) => {
      const tenant = await h.createTenant();
      const res = await put(tenant, body);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
      expect(await stored(tenant)).toEqual({ rows: [], audit: [] });
    });
  });

  describe('access', () => {
    it('a tenant key, even with every scope, cannot change its limits (403)', async () => {
      const tenant = await h.createTenant();
      const res = await h.request('PUT', '/api/v1/limits', {
        key: tenant.key,
        body: { tenantRequestsPerMinute: 100_000 },
      });
      expectProblem(res, 403, 'forbidden');
      expect(await stored(tenant)).toEqual({ rows: [], audit: [] });
    });

    it('a platform admin must name the tenant (400 without X-Gnomon-Tenant)', async () => {
      const res = await h.request('PUT', '/api/v1/limits', {
        key: h.adminKey,
        body: { tenantRequestsPerMinute: 1 },
      });
      expectProblem(res, 400, 'validation_failed');
    });

    it('reading needs usage:read', async () => {
      const tenant = await h.createTenant();
      const key = await h.request('POST', '/api/v1/api-keys', {
        key: tenant.key,
        body: { name: 'no usage', scopes: ['tasks:read'] },
      });
      const res = await h.request('GET', '/api/v1/limits', { key: key.body.secret });
      expectProblem(res, 403, 'forbidden');
    });
  });

  it("tenant B never sees or changes A's limits, even naming A in X-Gnomon-Tenant", async () => {
    const [a, b] = [await h.createTenant(), await h.createTenant()];
    expect((await put(a, { tenantRequestsPerMinute: 42 })).status).toBe(200);
    const before = await stored(a);

    expect((await h.request('GET', '/api/v1/limits', { key: b.key })).body).toEqual(UNLIMITED);
    const read = await h.request('GET', '/api/v1/limits', { key: b.key, tenant: a.id });
    expectProblem(read, 403, 'forbidden');
    expect(read.body.tenantRequestsPerMinute).toBeUndefined();
    const write = await h.request('PUT', '/api/v1/limits', {
      key: b.key,
      tenant: a.id,
      body: {},
    });
    expectProblem(write, 403, 'forbidden');
    expect(await stored(a)).toEqual(before);
  });

  it('writes a limits.updated audit entry with the platform admin as actor, old and new limits', async () => {
    const tenant = await h.createTenant();
    const first = await put(tenant, { tenantRequestsPerMinute: 10 });
    const second = await put(tenant, { userRequestsPerMinute: 5 });
    const rows = await h.sql(
      `select actor_type, target_type, target_id, request_id, metadata from audit_logs
        where tenant_id = $1 and action = 'limits.updated' order by created_at`,
      [tenant.id],
    );
    expect(rows).toEqual([
      {
        actor_type: 'PLATFORM_ADMIN',
        target_type: 'rate_limits',
        target_id: null,
        request_id: first.headers['x-request-id'],
        metadata: { from: UNLIMITED, to: { ...UNLIMITED, tenantRequestsPerMinute: 10 } },
      },
      expect.objectContaining({
        request_id: second.headers['x-request-id'],
        metadata: {
          from: { ...UNLIMITED, tenantRequestsPerMinute: 10 },
          to: { ...UNLIMITED, userRequestsPerMinute: 5 },
        },
      }),
    ]);
  });
});

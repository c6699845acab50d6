import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

interface Call {
  at: string;
  model?: string;
  provider?: string | null;
  apiKeyId?: string | null;
  status?: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  errorCode?: string | null;
  input?: number;
  cost?: string;
}

const FROM = '2026-03-01T00:00:00.000Z';
const TO = '2026-03-04T00:00:00.000Z';
const range = `from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`;

describe('usage reports: CSV export and rate-limit hits', () => {
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

  /** Model calls as the gateway's usage consumer stores them (superuser SQL). */
  const record = async (tenant: Tenant, calls: Call[]) => {
    for (const c of calls) {
      await h.sql(
        `insert into llm_events (id, tenant_id, request_id, api_key_id, model, provider, status,
                                 error_code, input_tokens, cost_micros, latency_ms, created_at)
         values (gen_random_uuid(), $1, 'req', $2, $3, $4, $5, $6, $7, $8, 10, $9)`,
        [
          tenant.id,
          c.apiKeyId ?? null,
          c.model ?? 'openai/gpt-4o-mini',
          c.provider === undefined ? 'openai' : c.provider,
          c.status ?? 'SUCCEEDED',
          c.errorCode ?? null,
          c.input ?? 0,
          c.cost ?? '0',
          c.at,
        ],
      );
    }
  };

  /** A refusal as Admission records it: no provider, FAILED, rate_limit_exceeded. */
  const refusal = (at: string): Call => ({
    at,
    provider: null,
    status: 'FAILED',
    errorCode: 'rate_limit_exceeded',
  });

  describe('GET /usage/export', () => {
    it('downloads the report as RFC 4180 CSV with a header row and exact costs', async () => {
      const tenant = await h.createTenant();
      await record(tenant, [
        { at: FROM, model: 'openai/gpt-4o-mini', input: 10, cost: '1500000' },
        { at: '2026-03-02T12:00:00Z', model: 'my-vllm/a,"b"', input: 5, cost: '7' },
        { at: '2026-03-02T13:00:00Z', model: 'my-vllm/a,"b"', status: 'FAILED', input: 1 },
        { at: TO, model: 'openai/gpt-4o-mini', cost: '99' }, // at `to`: excluded
      ]);
      const res = await h.request('GET', `/api/v1/usage/export?${range}&groupBy=model`, {
        key: tenant.key,
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(
        'attachment; filename="usage-by-model-2026-03-01-to-2026-03-04.csv"',
      );
      expect(res.body).toBe(
        'model,calls,failed_calls,input_tokens,output_tokens,cached_tokens,cost_micros,cost_usd\r\n' +
          '"my-vllm/a,""b""",2,1,6,0,0,7,0.000007\r\n' +
          'openai/gpt-4o-mini,1,0,10,0,0,1500000,1.500000\r\n',
      );
    });

    it('groups by day by default, and keeps calls without an API key on an empty key', async () => {
      const tenant = await h.createTenant();
      await record(tenant, [
        { at: '2026-03-03T23:59:59.999Z', apiKeyId: tenant.keyId, cost: '5' },
        { at: '2026-03-03T10:00:00Z', cost: '1' },
      ]);
      const byDay = await h.request('GET', `/api/v1/usage/export?${range}`, { key: tenant.key });
      expect(byDay.body.split('\r\n')).toEqual([
        'day,calls,failed_calls,input_tokens,output_tokens,cached_tokens,cost_micros,cost_usd',
        '2026-03-03,2,0,0,0,0,6,0.000006',
        '',
      ]);
      const byKey = await h.request('GET', `/api/v1/usage/export?${range}&groupBy=apiKey`, {
        key: tenant.key,
      });
      expect(byKey.body.split('\r\n').slice(1)).toEqual([
        `${tenant.keyId},1,0,0,0,0,5,0.000005`,
        ',1,0,0,0,0,1,0.000001',
        '',
      ]);
    });

    it("exports only the caller's tenant: B gets a header row, and naming A is 403", async () => {
      const [a, b] = [await h.createTenant(), await h.createTenant()];
      await record(a, [{ at: '2026-03-02T00:00:00Z', cost: '123' }]);
      const own = await h.request('GET', `/api/v1/usage/export?${range}`, { key: b.key });
      expect(own.status).toBe(200);
      expect(own.body).toBe(
        'day,calls,failed_calls,input_tokens,output_tokens,cached_tokens,cost_micros,cost_usd\r\n',
      );
      const foreign = await h.request('GET', `/api/v1/usage/export?${range}`, {
        key: b.key,
        tenant: a.id,
      });
      expectProblem(foreign, 403, 'forbidden');
      const admin = await h.request('GET', `/api/v1/usage/export?${range}`, {
        key: h.adminKey,
        tenant: a.id,
      });
      expect(admin.body).toContain('2026-03-02,1,0,0,0,0,123,0.000123\r\n');
    });

    it('needs usage:read', async () => {
      const tenant = await h.createTenant();
      const key = await h.request('POST', '/api/v1/api-keys', {
        key: tenant.key,
        body: { name: 'runs only', scopes: ['runs:read'] },
      });
      const res = await h.request('GET', `/api/v1/usage/export?${range}`, {
        key: key.body.secret,
      });
      expectProblem(res, 403, 'forbidden');
    });
  });

  describe('GET /usage/rate-limits', () => {
    it('counts rate-limit refusals per UTC day, every day of the range, zero included', async () => {
      const [tenant, other] = [await h.createTenant(), await h.createTenant()];
      await record(tenant, [
        refusal(FROM),
        refusal('2026-03-01T23:59:59.999Z'),
        refusal('2026-03-03T00:30:00+01:00'), // 23:30 UTC on the 2nd
        refusal(TO), // at `to`: excluded
        refusal('2026-02-28T23:59:59.999Z'), // before `from`: excluded
        // other failures are not rate-limit hits
        {
          at: '2026-03-02T10:00:00Z',
          provider: null,
          status: 'FAILED',
          errorCode: 'budget_exceeded',
        },
        { at: '2026-03-02T10:00:00Z', status: 'FAILED', errorCode: 'provider_unavailable' },
        { at: '2026-03-02T10:00:00Z' },
      ]);
      await record(other, [refusal('2026-03-03T12:00:00Z')]);

      const res = await h.request('GET', `/api/v1/usage/rate-limits?${range}`, {
        key: tenant.key,
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        from: FROM,
        to: TO,
        items: [
          { day: '2026-03-01', hits: 2 },
          { day: '2026-03-02', hits: 1 },
          { day: '2026-03-03', hits: 0 },
        ],
      });
    });

    it('covers the partial first and last days of a range that does not start at midnight', async () => {
      const tenant = await h.createTenant();
      await record(tenant, [refusal('2026-03-01T20:00:00Z'), refusal('2026-03-03T01:00:00Z')]);
      const res = await h.request(
        'GET',
        '/api/v1/usage/rate-limits?from=2026-03-01T18:00:00Z&to=2026-03-03T06:00:00Z',
        { key: tenant.key },
      );
      expect(res.body.items).toEqual([
        { day: '2026-03-01', hits: 1 },
        { day: '2026-03-02', hits: 0 },
        { day: '2026-03-03', hits: 1 },
      ]);
    });

    it("shows only the caller's refusals; naming another tenant is 403", async () => {
      const [a, b] = [await h.createTenant(), await h.createTenant()];
      await record(a, [refusal('2026-03-02T00:00:00Z')]);
      const own = await h.request('GET', `/api/v1/usage/rate-limits?${range}`, { key: b.key });
      expect(own.body.items.map((item: { hits: number }) => item.hits)).toEqual([0, 0, 0]);
      const foreign = await h.request('GET', `/api/v1/usage/rate-limits?${range}`, {
        key: b.key,
        tenant: a.id,
      });
      expectProblem(foreign, 403, 'forbidden');
      expect(foreign.body.items).toBeUndefined();
    });
  });

  describe('bad queries → 400 naming the parameter, nothing written', () => {
    const cases: [string, string, string][] = [
      ['from missing', `to=${encodeURIComponent(TO)}`, 'query.from'],
      [
        'from after to',
        `from=${encodeURIComponent(TO)}&to=${encodeURIComponent(FROM)}`,
        'query.from',
      ],
      [
        'from equal to to',
        `from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(FROM)}`,
        'query.from',
      ],
      ['more than 366 days', 'from=2025-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'query.to'],
      ['not a timestamp', `from=yesterday&to=${encodeURIComponent(TO)}`, 'query.from'],
      ['an unknown parameter', `${range}&tenantId=x`, 'query'],
    ];
    const routes = ['/api/v1/usage/export', '/api/v1/usage/rate-limits'];
    it.each(routes.flatMap((route) => cases.map((c) => [route, ...c] as const)))(
      '%s: %s',
      async (route, _name, query, path) => {
        const tenant = await h.createTenant();
        const before = await h.sql('select count(*) as n from audit_logs where tenant_id = $1', [
          tenant.id,
        ]);
        const res = await h.request('GET', `${route}?${query}`, { key: tenant.key });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
        expect(
          await h.sql('select count(*) as n from audit_logs where tenant_id = $1', [tenant.id]),
        ).toEqual(before);
      },
    );

    it('the export refuses an unknown groupBy', async () => {
      const tenant = await h.createTenant();
      const res = await h.request('GET', `/api/v1/usage/export?${range}&groupBy=user`, {
        key: tenant.key,
      });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('query.groupBy');
    });
  });
});

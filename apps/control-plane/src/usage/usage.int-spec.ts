import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

interface Event {
  at: string;
  model: string;
  provider: string | null;
  apiKeyId: string | null;
  status?: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  input?: number;
  output?: number;
  cached?: number;
  cost: string;
}

const FROM = '2026-03-01T00:00:00.000Z';
const TO = '2026-03-04T00:00:00.000Z';

describe('usage (/api/v1/usage)', () => {
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

  /** Model calls as the gateway records them, inserted directly (as the superuser). */
  const record = async (tenant: Tenant, events: Event[]) => {
    for (const e of events) {
      await h.sql(
        `insert into llm_events (id, tenant_id, request_id, api_key_id, model, provider, status,
                                 input_tokens, output_tokens, cached_tokens, cost_micros,
                                 latency_ms, created_at)
         values (gen_random_uuid(), $1, 'req', $2, $3, $4, $5, $6, $7, $8, $9, 10, $10)`,
        [
          tenant.id,
          e.apiKeyId,
          e.model,
          e.provider,
          e.status ?? 'SUCCEEDED',
          e.input ?? 0,
          e.output ?? 0,
          e.cached ?? 0,
          e.cost,
          e.at,
        ],
      );
    }
  };

  const usage = (tenant: Tenant, query: string, key = tenant.key) =>
    h.request('GET', `/api/v1/usage?${query}`, { key });

  const range = `from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`;

  /** Tenant A's calls over three days, and tenant B's over the same days. */
  const world = async () => {
    const [a, b] = [await h.createTenant(), await h.createTenant()];
    await record(a, [
      // exactly at `from`: included
      {
        at: FROM,
        model: 'openai/gpt-4o-mini',
        provider: 'openai',
        apiKeyId: a.keyId,
        input: 100,
        output: 10,
        cost: '1000',
      },
      {
        at: '2026-03-01T23:30:00-01:00', // 00:30 UTC on the 2nd
        model: 'anthropic/claude-haiku-4-5',
        provider: 'anthropic',
        apiKeyId: a.keyId,
        input: 200,
        output: 20,
        cached: 50,
        cost: '9007199254740993', // beyond 2^53: must stay exact
      },
      {
        at: '2026-03-02T12:00:00Z',
        model: 'openai/gpt-4o-mini',
        provider: 'openai',
        apiKeyId: null,
        status: 'FAILED',
        input: 30,
        cost: '0',
      },
      {
        at: '2026-03-03T23:59:59.999Z',
        model: 'my-vllm/qwen',
        provider: null,
        apiKeyId: null,
        status: 'ABORTED',
        input: 5,
        output: 1,
        cost: '7',
      },
      // exactly at `to` and before `from`: excluded
      {
        at: TO,
        model: 'openai/gpt-4o-mini',
        provider: 'openai',
        apiKeyId: a.keyId,
        input: 1,
        cost: '1',
      },
      {
        at: '2026-02-28T23:59:59.999Z',
        model: 'openai/gpt-4o-mini',
        provider: 'openai',
        apiKeyId: a.keyId,
        input: 1,
        cost: '1',
      },
    ]);
    await record(b, [
      {
        at: '2026-03-02T10:00:00Z',
        model: 'gemini/gemini-2.5-flash',
        provider: 'gemini',
        apiKeyId: b.keyId,
        input: 11,
        output: 22,
        cost: '333',
      },
    ]);
    return { a, b };
  };

  const row = (key: string | null, fields: Partial<Record<string, number | string>>) => ({
    key,
    calls: 1,
    failedCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    costMicros: '0',
    ...fields,
  });

  const A_TOTALS = row(null, {
    calls: 4,
    failedCalls: 1,
    inputTokens: 335,
    outputTokens: 31,
    cachedTokens: 50,
    costMicros: '9007199254742000',
  });

  it('groups by UTC day by default, in [from, to), with exact totals', async () => {
    const { a } = await world();
    const res = await usage(a, range);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from: FROM,
      to: TO,
      groupBy: 'day',
      rows: [
        row('2026-03-01', { inputTokens: 100, outputTokens: 10, costMicros: '1000' }),
        row('2026-03-02', {
          calls: 2,
          failedCalls: 1,
          inputTokens: 230,
          outputTokens: 20,
          cachedTokens: 50,
          costMicros: '9007199254740993',
        }),
        row('2026-03-03', { inputTokens: 5, outputTokens: 1, costMicros: '7' }),
      ],
      totals: A_TOTALS,
    });
  });

  it('groups by model, provider and API key (calls without one under null, last)', async () => {
    const { a } = await world();
    const byModel = await usage(a, `${range}&groupBy=model`);
    expect(byModel.body.rows.map((r: { key: string; calls: number }) => [r.key, r.calls])).toEqual([
      ['anthropic/claude-haiku-4-5', 1],
      ['my-vllm/qwen', 1],
      ['openai/gpt-4o-mini', 2],
    ]);
    expect(byModel.body.totals).toEqual(A_TOTALS);

    const byProvider = await usage(a, `${range}&groupBy=provider`);
    expect(byProvider.body.groupBy).toBe('provider');
    expect(byProvider.body.rows).toEqual([
      row('anthropic', {
        inputTokens: 200,
        outputTokens: 20,
        cachedTokens: 50,
        costMicros: '9007199254740993',
      }),
      row('openai', {
        calls: 2,
        failedCalls: 1,
        inputTokens: 130,
        outputTokens: 10,
        costMicros: '1000',
      }),
      row(null, { inputTokens: 5, outputTokens: 1, costMicros: '7' }),
    ]);

    const byKey = await usage(a, `${range}&groupBy=apiKey`);
    expect(byKey.body.rows).toEqual([
      row(a.keyId, {
        calls: 2,
        inputTokens: 300,
        outputTokens: 30,
        cachedTokens: 50,
        costMicros: '9007199254741993',
      }),
      row(null, { calls: 2, failedCalls: 1, inputTokens: 35, outputTokens: 1, costMicros: '7' }),
    ]);
  });

  it('a range without calls has no rows and zero totals', async () => {
    const { a } = await world();
    const res = await usage(a, 'from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z');
    expect(res.body).toMatchObject({ rows: [], totals: row(null, { calls: 0 }) });
  });

  it('tenant B sees only its own calls, and naming A in X-Gnomon-Tenant is 403', async () => {
    const { a, b } = await world();
    const own = await usage(b, `${range}&groupBy=apiKey`);
    expect(own.body.rows).toEqual([
      row(b.keyId, { inputTokens: 11, outputTokens: 22, costMicros: '333' }),
    ]);
    expect(own.body.totals.calls).toBe(1);

    const foreign = await h.request('GET', `/api/v1/usage?${range}`, { key: b.key, tenant: a.id });
    expectProblem(foreign, 403, 'forbidden');
    expect(foreign.body.rows).toBeUndefined();

    // the platform admin sees A's usage when naming A
    const admin = await h.request('GET', `/api/v1/usage?${range}`, {
      key: h.adminKey,
      tenant: a.id,
    });
    expect(admin.body.totals).toEqual(A_TOTALS);
  });

  it('needs usage:read', async () => {
    const tenant = await h.createTenant();
    const key = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'no usage', scopes: ['llm:invoke'] },
    });
    expectProblem(await usage(tenant, range, key.body.secret), 403, 'forbidden');
  });

  describe('bad queries → 400 naming the parameter', () => {
    const cases: [string, string, string][] = [
      ['from missing', `to=${encodeURIComponent(TO)}`, 'query.from'],
      [
        'from after to',
        `from=${encodeURIComponent(TO)}&to=${encodeURIComponent(FROM)}`,
        'query.from',
      ],
      ['more than 366 days', 'from=2025-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'query.to'],
      ['not a timestamp', `from=yesterday&to=${encodeURIComponent(TO)}`, 'query.from'],
      ['an unknown groupBy', `${range}&groupBy=user`, 'query.groupBy'],
      ['an unknown parameter', `${range}&tenantId=x`, 'query'],
    ];
    it.each(cases)('%s', async (_name, query, path) => {
      const tenant = await h.createTenant();
      const res = await usage(tenant, query);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    });
  });
});

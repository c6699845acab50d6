import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

describe('model routing (/api/v1/llm-routes)', () => {
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

  const CONFIG = {
    allowedModels: ['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5', 'local-llama/llama-3.1-8b'],
    routes: {
      default: {
        chain: ['openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5'],
        firstTokenTimeoutMs: 5_000,
      },
      cheap: { chain: ['local-llama/llama-3.1-8b'] },
    },
  };

  const put = (tenant: Tenant, body: unknown, key = tenant.key) =>
    h.request('PUT', '/api/v1/llm-routes', { key, body });

  /** What is stored for the tenant: its row and its audit entries. */
  const stored = async (tenant: Tenant) => ({
    rows: await h.sql('select config, version from llm_route_configs where tenant_id = $1', [
      tenant.id,
    ]),
    audit: await h.sql(
      `select 1 from audit_logs where tenant_id = $1 and action like 'llm_routes.%'`,
      [tenant.id],
    ),
  });

  const keyWith = async (tenant: Tenant, scopes: string[]) => {
    const res = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'narrow', scopes },
    });
    expect(res.status).toBe(201);
    return res.body.secret as string;
  };

  it('a tenant that never saved routing gets the defaults (every model, no routes, version 0)', async () => {
    const tenant = await h.createTenant();
    const res = await h.request('GET', '/api/v1/llm-routes', { key: tenant.key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ allowedModels: null, routes: {}, version: 0, updatedAt: null });
  });

  it('PUT replaces the routing and bumps the version; GET returns it', async () => {
    const tenant = await h.createTenant();
    const first = await put(tenant, CONFIG);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ...CONFIG, version: 1 });
    expect(new Date(first.body.updatedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const read = await h.request('GET', '/api/v1/llm-routes', { key: tenant.key });
    expect(read.body).toEqual(first.body);

    const second = await put(tenant, {
      routes: { default: { chain: ['gemini/gemini-2.5-flash'] } },
    });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      allowedModels: null,
      routes: { default: { chain: ['gemini/gemini-2.5-flash'] } },
      version: 2,
    });
    expect((await stored(tenant)).rows).toEqual([
      {
        config: {
          allowedModels: null,
          routes: { default: { chain: ['gemini/gemini-2.5-flash'] } },
        },
        version: 2,
      },
    ]);
  });

  it('allows models of providers the catalog does not know (custom OpenAI-compatible ones)', async () => {
    const tenant = await h.createTenant();
    const res = await put(tenant, { routes: { local: { chain: ['my-vllm/qwen2.5-72b'] } } });
    expect(res.status).toBe(200);
  });

  describe('bad input: the error names the path, and nothing is written', () => {
    const cases: [string, string, string, unknown][] = [
      [
        "a catalog provider's unknown model in a chain",
        'body.routes.default.chain[1]',
        'unknown model "openai/gpt-9"',
        { routes: { default: { chain: ['openai/gpt-4o', 'openai/gpt-9'] } } },
      ],
      [
        "a catalog provider's unknown model in allowedModels",
        'body.allowedModels[0]',
        'unknown model "anthropic/claude-7"',
        { allowedModels: ['anthropic/claude-7'], routes: {} },
      ],
      [
        'a chain entry outside allowedModels',
        'body.routes.fast.chain[0]',
        '"openai/gpt-4o-mini" is not in allowedModels',
        { allowedModels: ['openai/gpt-4o'], routes: { fast: { chain: ['openai/gpt-4o-mini'] } } },
      ],
      [
        'a reference that is not provider/model',
        'body.routes.default.chain[0]',
        'must be "provider/model"',
        { routes: { default: { chain: ['gpt-4o'] } } },
      ],
      [
        'an unknown field',
        'body',
        'Unrecognized key: "fallbackEverything"',
        { routes: {}, fallbackEverything: true },
      ],
      ['an empty chain', 'body.routes.default.chain', '', { routes: { default: { chain: [] } } }],
    ];

    it.each(cases)('%s → 400 at %s', async (_name, path, message, body) => {
      const tenant = await h.createTenant();
      const res = await put(tenant, body);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual(
        expect.arrayContaining([{ path, message: expect.stringContaining(message) }]),
      );
      if (path.includes('chain[') || path.includes('allowedModels[')) {
        expect(res.body.detail).toContain(`${path}: ${message}`);
      }
      expect(await stored(tenant)).toEqual({ rows: [], audit: [] });
    });

    it('a rejected PUT leaves the previous routing and version in place', async () => {
      const tenant = await h.createTenant();
      expect((await put(tenant, CONFIG)).status).toBe(200);
      const res = await put(tenant, { routes: { default: { chain: ['openai/gpt-9'] } } });
      expectProblem(res, 400, 'validation_failed');
      const read = await h.request('GET', '/api/v1/llm-routes', { key: tenant.key });
      expect(read.body).toMatchObject({ ...CONFIG, version: 1 });
      expect((await stored(tenant)).audit).toHaveLength(1);
    });
  });

  describe('access', () => {
    it('usage:read may read but not replace (403); keys:manage may replace', async () => {
      const tenant = await h.createTenant();
      const reader = await keyWith(tenant, ['usage:read']);
      expect((await h.request('GET', '/api/v1/llm-routes', { key: reader })).status).toBe(200);
      expectProblem(await put(tenant, CONFIG, reader), 403, 'forbidden');
      expect(await stored(tenant)).toEqual({ rows: [], audit: [] });

      const admin = await keyWith(tenant, ['keys:manage']);
      expect((await put(tenant, CONFIG, admin)).status).toBe(200);
      expectProblem(await h.request('GET', '/api/v1/llm-routes', { key: admin }), 403, 'forbidden');
    });

    it("a platform admin reads and replaces a tenant's routing with X-Gnomon-Tenant", async () => {
      const tenant = await h.createTenant();
      const res = await h.request('PUT', '/api/v1/llm-routes', {
        key: h.adminKey,
        tenant: tenant.id,
        body: CONFIG,
      });
      expect(res.status).toBe(200);
      const read = await h.request('GET', '/api/v1/llm-routes', { key: tenant.key });
      expect(read.body).toMatchObject({ ...CONFIG, version: 1 });
      const without = await h.request('GET', '/api/v1/llm-routes', { key: h.adminKey });
      expectProblem(without, 400, 'validation_failed');
    });
  });

  describe('cross-tenant', () => {
    it("tenant B never sees or changes A's routing, even naming A in X-Gnomon-Tenant", async () => {
      const [a, b] = [await h.createTenant(), await h.createTenant()];
      expect((await put(a, CONFIG)).status).toBe(200);
      const before = await stored(a);

      const own = await h.request('GET', '/api/v1/llm-routes', { key: b.key });
      expect(own.body).toEqual({ allowedModels: null, routes: {}, version: 0, updatedAt: null });

      const read = await h.request('GET', '/api/v1/llm-routes', { key: b.key, tenant: a.id });
      expectProblem(read, 403, 'forbidden');
      expect(JSON.stringify(read.body)).not.toContain('local-llama');
      const write = await h.request('PUT', '/api/v1/llm-routes', {
        key: b.key,
        tenant: a.id,
        body: { routes: {} },
      });
      expectProblem(write, 403, 'forbidden');

      // B's own PUT lands in B
      expect((await put(b, { routes: {} })).status).toBe(200);
      expect(await stored(a)).toEqual(before);
      expect((await stored(b)).rows).toEqual([
        { config: { allowedModels: null, routes: {} }, version: 1 },
      ]);
    });
  });

  it('writes an llm_routes.updated audit entry per replacement with actor and request id', async () => {
    const tenant = await h.createTenant();
    const first = await put(tenant, CONFIG);
    const second = await put(tenant, { routes: {} });
    const rows = await h.sql(
      `select action, actor_type, actor_id, target_type, target_id, request_id, metadata
         from audit_logs where tenant_id = $1 and action = 'llm_routes.updated'
        order by created_at`,
      [tenant.id],
    );
    expect(rows).toEqual([
      {
        action: 'llm_routes.updated',
        actor_type: 'API_KEY',
        actor_id: tenant.keyId,
        target_type: 'llm_routes',
        target_id: null,
        request_id: first.headers['x-request-id'],
        metadata: { version: 1, allowedModels: CONFIG.allowedModels, routes: ['default', 'cheap'] },
      },
      expect.objectContaining({
        request_id: second.headers['x-request-id'],
        metadata: { version: 2, allowedModels: null, routes: [] },
      }),
    ]);
  });
});

import { ToolExecutionRequest } from '@gnomon/contracts';
import { TenantDatabase, tenantScope } from '@gnomon/db';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';
import { executableToolOf } from './tool-definition';
import { ToolRepository } from './tool.repository';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

const ADD_TOOL = {
  name: 'add',
  kind: 'js',
  description: 'Adds two numbers',
  source: 'export default ({ a, b }) => ({ sum: a + b });',
  inputSchema: {
    type: 'object',
    properties: { a: { type: 'number' }, b: { type: 'number' } },
    required: ['a', 'b'],
  },
  outputSchema: { type: 'object', properties: { sum: { type: 'number' } } },
  limits: { timeoutMs: 2_000 },
};

const WEATHER_TOOL = {
  name: 'weather',
  kind: 'http',
  request: {
    url: 'https://api.example.com/v1/weather/{{input.city}}',
    query: { units: '{{ input.units }}' },
    headers: { accept: 'application/json' },
  },
  allowNet: ['api.example.com'],
};

describe('tool registry (/api/v1/tools)', () => {
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

  const create = async (tenant: Tenant, body: object) => {
    const res = await h.request('POST', '/api/v1/tools', { key: tenant.key, body });
    expect(res.status).toBe(201);
    return res.body;
  };
  const put = (tenant: Tenant, ref: string, body: object) =>
    h.request('PUT', `/api/v1/tools/${ref}`, { key: tenant.key, body });
  const get = (tenant: Tenant, path: string) =>
    h.request('GET', `/api/v1/tools${path}`, { key: tenant.key });

  /** Every page of a listing, following nextCursor. */
  const allPages = async (tenant: Tenant, path: string) => {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const url: string = cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
      const res = await get(tenant, url);
      expect(res.status).toBe(200);
      pages.push(
        res.body.items.map((item: { name?: string; version: number }) => item.name ?? item.version),
      );
      cursor = res.body.nextCursor;
    } while (cursor);
    return pages;
  };

  describe('lifecycle', () => {
    it('creates version 1, readable by id and by name', async () => {
      const tenant = await h.createTenant();
      const res = await h.request('POST', '/api/v1/tools', { key: tenant.key, body: ADD_TOOL });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        name: 'add',
        version: 1,
        kind: 'js',
        description: 'Adds two numbers',
        source: ADD_TOOL.source,
        request: null,
        inputSchema: ADD_TOOL.inputSchema,
        outputSchema: ADD_TOOL.outputSchema,
        allowNet: [],
        limits: { timeoutMs: 2_000 },
        createdBy: `API_KEY:${tenant.keyId}`,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const byId = await get(tenant, `/${res.body.id}`);
      const byName = await get(tenant, '/add');
      const byUpperId = await get(tenant, `/${String(res.body.id).toUpperCase()}`);
      expect([byId.status, byName.status, byUpperId.status]).toEqual([200, 200, 200]);
      expect(byId.body).toEqual(res.body);
      expect(byName.body).toEqual(res.body);
      expect(byUpperId.body).toEqual(res.body);
      expect(
        await h.sql('select name, kind, current_version from tools where tenant_id = $1', [
          tenant.id,
        ]),
      ).toEqual([{ name: 'add', kind: 'js', current_version: 1 }]);
    });

    it('an http tool stores its request template with defaults filled in', async () => {
      const tenant = await h.createTenant();
      const tool = await create(tenant, WEATHER_TOOL);
      expect(tool).toMatchObject({
        kind: 'http',
        version: 1,
        description: '',
        source: null,
        request: { method: 'GET', ...WEATHER_TOOL.request },
        inputSchema: null,
        outputSchema: null,
        allowNet: ['api.example.com'],
        limits: {},
      });
    });

    it('a taken name is 409 conflict and writes nothing; another tenant may use it', async () => {
      const [tenant, other] = [await h.createTenant(), await h.createTenant()];
      await create(tenant, ADD_TOOL);
      const again = await h.request('POST', '/api/v1/tools', {
        key: tenant.key,
        body: { ...WEATHER_TOOL, name: 'add' },
      });
      expectProblem(again, 409, 'conflict');
      expect(again.body.detail).toContain('"add"');
      const counts = await h.sql(
        `select (select count(*) from tools where tenant_id = $1)::int as tools,
                (select count(*) from tool_versions where tenant_id = $1)::int as versions`,
        [tenant.id],
      );
      expect(counts).toEqual([{ tools: 1, versions: 1 }]);
      await create(other, ADD_TOOL);
    });

    it('PUT writes version 2; version 1 stays readable; versions list newest first', async () => {
      const tenant = await h.createTenant();
      const v1 = await create(tenant, ADD_TOOL);
      const body = {
        kind: 'js',
        description: 'Adds two integers',
        source: 'export default ({ a, b }) => ({ sum: Math.trunc(a + b) });',
        allowNet: ['*.example.com'],
      };
      const res = await put(tenant, 'add', body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: v1.id,
        name: 'add',
        version: 2,
        description: 'Adds two integers',
        source: body.source,
        inputSchema: null,
        allowNet: ['*.example.com'],
        limits: {},
        createdAt: v1.createdAt,
      });
      expect((await get(tenant, `/${v1.id}`)).body).toEqual(res.body);

      const first = await get(tenant, `/add/versions/1`);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        toolId: v1.id,
        version: 1,
        kind: 'js',
        description: ADD_TOOL.description,
        source: ADD_TOOL.source,
        request: null,
        inputSchema: ADD_TOOL.inputSchema,
        outputSchema: ADD_TOOL.outputSchema,
        allowNet: [],
        limits: ADD_TOOL.limits,
        createdBy: `API_KEY:${tenant.keyId}`,
        createdAt: v1.createdAt,
      });
      expect((await get(tenant, `/${v1.id}/versions/2`)).body).toMatchObject({ version: 2 });
      expectProblem(await get(tenant, '/add/versions/3'), 404, 'not_found');

      expect(await put(tenant, 'add', body).then((r) => r.body.version)).toBe(3);
      expect(await allPages(tenant, '/add/versions?limit=2')).toEqual([[3, 2], [1]]);
    });

    it('DELETE is a soft delete: 404 everywhere afterwards, the name is free again', async () => {
      const tenant = await h.createTenant();
      const tool = await create(tenant, ADD_TOOL);
      expect(
        (await put(tenant, 'add', { kind: 'js', source: 'export default () => 2' })).status,
      ).toBe(200);
      const res = await h.request('DELETE', '/api/v1/tools/add', { key: tenant.key });
      expect(res.status).toBe(204);
      expect(res.body).toBeUndefined();

      for (const path of [`/${tool.id}`, '/add', `/${tool.id}/versions`, '/add/versions/1'])
        expectProblem(await get(tenant, path), 404, 'not_found');
      expectProblem(await put(tenant, tool.id, { kind: 'js', source: 'x' }), 404, 'not_found');
      expectProblem(
        await h.request('DELETE', `/api/v1/tools/${tool.id}`, { key: tenant.key }),
        404,
        'not_found',
      );
      expect((await get(tenant, '')).body.items).toEqual([]);

      const again = await create(tenant, { ...WEATHER_TOOL, name: 'add' });
      expect(again).toMatchObject({ name: 'add', kind: 'http', version: 1 });
      expect(again.id).not.toBe(tool.id);
      expect((await get(tenant, '/add')).body.id).toBe(again.id);
      // The deleted row and its versions are kept.
      const rows = await h.sql(
        `select name, deleted_at is not null as deleted,
                (select count(*)::int from tool_versions v where v.tool_id = t.id) as versions
           from tools t where tenant_id = $1 order by created_at`,
        [tenant.id],
      );
      expect(rows).toEqual([
        { name: `add~${tool.id}`, deleted: true, versions: 2 },
        { name: 'add', deleted: false, versions: 1 },
      ]);
    });

    it("changing a tool's kind is refused at body.kind, and nothing is written", async () => {
      const tenant = await h.createTenant();
      await create(tenant, ADD_TOOL);
      const before = await h.sql('select * from tool_versions where tenant_id = $1', [tenant.id]);
      const res = await put(tenant, 'add', {
        kind: 'python',
        source: 'def main(input):\n  return 1',
      });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([
        { path: 'body.kind', message: expect.stringContaining('"js"') },
      ]);
      expect(await h.sql('select * from tool_versions where tenant_id = $1', [tenant.id])).toEqual(
        before,
      );
      expect((await get(tenant, '/add')).body.version).toBe(1);
    });
  });

  describe('listing', () => {
    it('pages newest first with cursors, filters by kind and name prefix', async () => {
      const tenant = await h.createTenant();
      const names = ['alpha', 'alpine', 'beta', 'a_b', 'axb', 'gamma'];
      for (const name of names)
        await create(tenant, name === 'beta' ? { ...WEATHER_TOOL, name } : { ...ADD_TOOL, name });
      await h.request('DELETE', '/api/v1/tools/gamma', { key: tenant.key });

      const newestFirst = ['axb', 'a_b', 'beta', 'alpine', 'alpha'];
      expect((await allPages(tenant, '?limit=2')).flat()).toEqual(newestFirst);
      expect(await allPages(tenant, '?limit=2')).toHaveLength(3);
      expect((await allPages(tenant, '?kind=http')).flat()).toEqual(['beta']);
      expect((await allPages(tenant, '?name=alp&limit=1')).flat()).toEqual(['alpine', 'alpha']);
      expect((await allPages(tenant, '?name=a_')).flat()).toEqual(['a_b']); // `_` is literal
      expect((await allPages(tenant, '?kind=js&name=a')).flat()).toEqual([
        'axb',
        'a_b',
        'alpine',
        'alpha',
      ]);
      const page = await get(tenant, '?limit=1');
      expect(page.body.items[0]).toMatchObject({
        name: 'axb',
        version: 1,
        source: ADD_TOOL.source,
      });

      // A cursor continues only the listing it came from.
      const cursor = encodeURIComponent((await get(tenant, '?name=alp&limit=1')).body.nextCursor);
      expect((await get(tenant, `?name=alp&limit=1&cursor=${cursor}`)).status).toBe(200);
      expectProblem(await get(tenant, `?name=al&limit=1&cursor=${cursor}`), 400, 'invalid_cursor');
      expectProblem(await get(tenant, `/alpha/versions?cursor=${cursor}`), 400, 'invalid_cursor');
    });
  });

  it('concurrent PUTs get distinct, gapless version numbers', async () => {
    const tenant = await h.createTenant();
    const tool = await create(tenant, ADD_TOOL);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        put(tenant, i % 2 ? 'add' : tool.id, { kind: 'js', source: `export default () => ${i}` }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const versions = results.map((r) => r.body.version as number).sort((a, b) => a - b);
    expect(versions).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await get(tenant, '/add')).body.version).toBe(9);
    const stored = await h.sql<{ version: number }>(
      'select version from tool_versions where tool_id = $1 order by version',
      [tool.id],
    );
    expect(stored.map((row) => row.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a platform admin manages tools inside a tenant with X-Gnomon-Tenant', async () => {
    const tenant = await h.createTenant();
    const res = await h.request('POST', '/api/v1/tools', {
      key: h.adminKey,
      tenant: tenant.id,
      body: ADD_TOOL,
    });
    expect(res.status).toBe(201);
    expect(res.body.createdBy).toMatch(/^PLATFORM_ADMIN:/);
    expect((await get(tenant, '/add')).body.id).toBe(res.body.id);
    expectProblem(
      await h.request('GET', '/api/v1/tools', { key: h.adminKey }),
      400,
      'validation_failed',
    );
  });

  it('writes tool.created, tool.updated and tool.deleted audit entries', async () => {
    const tenant = await h.createTenant();
    const created = await h.request('POST', '/api/v1/tools', { key: tenant.key, body: ADD_TOOL });
    const updated = await put(tenant, 'add', { kind: 'js', source: 'export default () => 0' });
    const deleted = await h.request('DELETE', '/api/v1/tools/add', { key: tenant.key });
    const rows = await h.sql(
      `select action, actor_type, actor_id, target_type, target_id, request_id, metadata
         from audit_logs where tenant_id = $1 and action like 'tool.%' order by created_at`,
      [tenant.id],
    );
    const common = {
      actor_type: 'API_KEY',
      actor_id: tenant.keyId,
      target_type: 'tool',
      target_id: created.body.id,
    };
    expect(rows).toEqual([
      {
        ...common,
        action: 'tool.created',
        request_id: created.headers['x-request-id'],
        metadata: { name: 'add', kind: 'js', version: 1 },
      },
      {
        ...common,
        action: 'tool.updated',
        request_id: updated.headers['x-request-id'],
        metadata: { name: 'add', version: 2 },
      },
      {
        ...common,
        action: 'tool.deleted',
        request_id: deleted.headers['x-request-id'],
        metadata: { name: 'add', version: 2 },
      },
    ]);
  });

  it('findByName and findVersion give the orchestrator the current (or a pinned) definition', async () => {
    const tenant = await h.createTenant();
    const other = await h.createTenant();
    const tool = await create(tenant, ADD_TOOL);
    const update = {
      kind: 'js',
      source: 'export default () => 2',
      inputSchema: ADD_TOOL.inputSchema,
      outputSchema: ADD_TOOL.outputSchema,
      limits: ADD_TOOL.limits,
    };
    expect((await put(tenant, 'add', update)).status).toBe(200);
    const repository = h.instances[0].get(ToolRepository);
    const db = h.instances[0].get(TenantDatabase);

    const found = await db.inTenant(tenantScope(tenant.id), (t) => repository.findByName(t, 'add'));
    expect(found).toMatchObject({
      tool: { id: tool.id, currentVersion: 2 },
      version: { version: 2 },
    });
    const { tool: executable, limits } = executableToolOf(found!);
    expect(executable).toEqual({
      kind: 'js',
      name: 'add',
      source: 'export default () => 2',
      allowNet: [],
      inputSchema: ADD_TOOL.inputSchema,
      outputSchema: ADD_TOOL.outputSchema,
    });
    expect(limits).toEqual(ADD_TOOL.limits);
    const request = { tenantId: tenant.id, runId: 'r1', stepId: 's1', tool: executable, input: {} };
    expect(ToolExecutionRequest.safeParse(request).success).toBe(true);

    const pinned = await db.inTenant(tenantScope(tenant.id), (t) =>
      repository.findVersion(t, tool.id, 1),
    );
    expect(pinned).toMatchObject({ version: 1, source: ADD_TOOL.source });
    // Another tenant finds neither, by name or by id.
    const foreign = await db.inTenant(tenantScope(other.id), async (t) => [
      await repository.findByName(t, 'add'),
      await repository.findVersion(t, tool.id, 1),
    ]);
    expect(foreign).toEqual([null, null]);
  });
});

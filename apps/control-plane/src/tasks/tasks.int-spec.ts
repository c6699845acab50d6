import { taskDefinitionJsonSchema } from '@gnomon/contracts';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';
import { SUMMARY, TRIAGE, storedTasks, tenantWithTool, type Tenant } from './task.fixtures';

describe('tasks (/api/v1/tasks)', () => {
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
    const res = await h.request('POST', '/api/v1/tasks', { key: tenant.key, body });
    expect(res.status).toBe(201);
    return res.body;
  };
  const put = (tenant: Tenant, ref: string, body: object) =>
    h.request('PUT', `/api/v1/tasks/${ref}`, { key: tenant.key, body });
  const get = (tenant: Tenant, path: string) =>
    h.request('GET', `/api/v1/tasks${path}`, { key: tenant.key });

  /** Every page of a listing, following nextCursor. */
  const allPages = async (tenant: Tenant, path: string) => {
    const pages: (string | number)[][] = [];
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
    it('creates version 1 with defaults filled in, readable by id and by name', async () => {
      const tenant = await tenantWithTool(h);
      const res = await h.request('POST', '/api/v1/tasks', {
        key: tenant.key,
        body: { name: 'triage', description: 'Triage tickets', definition: TRIAGE },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        name: 'triage',
        description: 'Triage tickets',
        currentVersion: 1,
        definition: expect.objectContaining({ language: 'gnomon.task/v1', start: 'classify' }),
        createdAt: expect.any(String),
        updatedAt: res.body.createdAt,
      });
      // Stored as parsed: the language's defaults are part of the immutable version.
      expect(res.body.definition.steps[0]).toEqual({
        ...TRIAGE.steps[0],
        maxTurns: 10,
        timeoutSeconds: 300,
        retry: { maxAttempts: 1, backoffSeconds: 1, backoffRate: 2 },
      });
      const byId = await get(tenant, `/${res.body.id}`);
      const byName = await get(tenant, '/triage');
      const byUpperId = await get(tenant, `/${String(res.body.id).toUpperCase()}`);
      expect([byId.status, byName.status, byUpperId.status]).toEqual([200, 200, 200]);
      expect(byId.body).toEqual(res.body);
      expect(byName.body).toEqual(res.body);
      expect(byUpperId.body).toEqual(res.body);
      expect(
        await h.sql(
          `select t.name, t.description, t.current_version, v.version, v.definition, v.created_by
             from tasks t join task_versions v on v.task_id = t.id where t.tenant_id = $1`,
          [tenant.id],
        ),
      ).toEqual([
        {
          name: 'triage',
          description: 'Triage tickets',
          current_version: 1,
          version: 1,
          definition: res.body.definition,
          created_by: `API_KEY:${tenant.keyId}`,
        },
      ]);
      expectProblem(await get(tenant, '/nothing-here'), 404, 'not_found');
    });

    it('PUT writes version 2; version 1 stays as it was; versions list newest first', async () => {
      const tenant = await tenantWithTool(h);
      const v1 = await create(tenant, { name: 'triage', description: 'd1', definition: TRIAGE });
      const res = await put(tenant, 'triage', { definition: SUMMARY });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: v1.id,
        name: 'triage',
        description: 'd1', // kept: the PUT did not give one
        currentVersion: 2,
        definition: { start: 'summarise' },
        createdAt: v1.createdAt,
      });
      expect(new Date(res.body.updatedAt).getTime()).toBeGreaterThanOrEqual(
        new Date(v1.updatedAt).getTime(),
      );
      expect((await get(tenant, `/${v1.id}`)).body).toEqual(res.body);

      const first = await get(tenant, '/triage/versions/1');
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        taskId: v1.id,
        version: 1,
        definition: v1.definition,
        createdBy: `API_KEY:${tenant.keyId}`,
        createdAt: v1.createdAt,
      });
      const second = await get(tenant, `/${v1.id}/versions/2`);
      expect(second.body).toMatchObject({
        taskId: v1.id,
        version: 2,
        definition: res.body.definition,
      });
      expectProblem(await get(tenant, '/triage/versions/3'), 404, 'not_found');

      const third = await put(tenant, v1.id, { description: 'd3', definition: TRIAGE });
      expect(third.body).toMatchObject({ currentVersion: 3, description: 'd3' });
      expect(await allPages(tenant, '/triage/versions?limit=2')).toEqual([[3, 2], [1]]);
      expect((await get(tenant, '/triage/versions/1')).body).toEqual(first.body);
    });

    it('a taken name is 409 conflict and writes nothing; another tenant may use it', async () => {
      const [tenant, other] = [await tenantWithTool(h), await tenantWithTool(h)];
      await create(tenant, { name: 'triage', definition: TRIAGE });
      const before = await storedTasks(h, tenant);
      const again = await h.request('POST', '/api/v1/tasks', {
        key: tenant.key,
        body: { name: 'triage', definition: SUMMARY },
      });
      expectProblem(again, 409, 'conflict');
      expect(again.body.detail).toContain('"triage"');
      expect(await storedTasks(h, tenant)).toEqual(before);
      await create(other, { name: 'triage', definition: SUMMARY });
    });
  });

  it('lists newest first in cursor pages, filtered by a literal name prefix', async () => {
    const tenant = await h.createTenant();
    for (const name of ['alpha', 'alpine', 'beta', 'a_b', 'axb'])
      await create(tenant, { name, definition: SUMMARY });

    expect(await allPages(tenant, '?limit=2')).toEqual([
      ['axb', 'a_b'],
      ['beta', 'alpine'],
      ['alpha'],
    ]);
    expect((await allPages(tenant, '?name=alp&limit=1')).flat()).toEqual(['alpine', 'alpha']);
    expect((await allPages(tenant, '?name=a_')).flat()).toEqual(['a_b']); // `_` is literal
    const page = await get(tenant, '?limit=1');
    expect(page.body.items).toEqual([
      expect.objectContaining({ name: 'axb', currentVersion: 1, definition: expect.any(Object) }),
    ]);

    // A cursor continues only the listing it came from.
    const cursor = encodeURIComponent((await get(tenant, '?name=alp&limit=1')).body.nextCursor);
    expect((await get(tenant, `?name=alp&limit=1&cursor=${cursor}`)).status).toBe(200);
    expectProblem(await get(tenant, `?name=al&limit=1&cursor=${cursor}`), 400, 'invalid_cursor');
    expectProblem(await get(tenant, `/alpha/versions?cursor=${cursor}`), 400, 'invalid_cursor');
    expectProblem(await get(tenant, '?limit=101'), 400, 'validation_failed');
  });

  it('concurrent PUTs get distinct, gapless version numbers', async () => {
    const tenant = await h.createTenant();
    const task = await create(tenant, { name: 'sum', definition: SUMMARY });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        put(tenant, i % 2 ? 'sum' : task.id, {
          description: `v${i}`,
          definition: { ...SUMMARY, description: `run ${i}` },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const versions = results.map((r) => r.body.currentVersion as number).sort((a, b) => a - b);
    expect(versions).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    // Each answer carries its own definition under its own number.
    for (const r of results)
      expect(r.body.definition.description).toBe(`run ${r.body.description.slice(1)}`);
    expect((await get(tenant, '/sum')).body.currentVersion).toBe(9);
    const stored = await h.sql<{ version: number }>(
      'select version from task_versions where task_id = $1 order by version',
      [task.id],
    );
    expect(stored.map((row) => row.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('writes task.created and task.updated audit entries with actor and request id', async () => {
    const tenant = await h.createTenant();
    const created = await h.request('POST', '/api/v1/tasks', {
      key: tenant.key,
      body: { name: 'sum', definition: SUMMARY },
    });
    const updated = await put(tenant, 'sum', { definition: SUMMARY });
    const rows = await h.sql(
      `select action, actor_type, actor_id, target_type, target_id, request_id, metadata
         from audit_logs where tenant_id = $1 and action like 'task.%' order by created_at`,
      [tenant.id],
    );
    const common = {
      actor_type: 'API_KEY',
      actor_id: tenant.keyId,
      target_type: 'task',
      target_id: created.body.id,
    };
    expect(rows).toEqual([
      {
        ...common,
        action: 'task.created',
        request_id: created.headers['x-request-id'],
        metadata: { name: 'sum', version: 1 },
      },
      {
        ...common,
        action: 'task.updated',
        request_id: updated.headers['x-request-id'],
        metadata: { name: 'sum', version: 2 },
      },
    ]);
  });

  it('a platform admin manages tasks inside a tenant with X-Gnomon-Tenant', async () => {
    const tenant = await h.createTenant();
    const res = await h.request('POST', '/api/v1/tasks', {
      key: h.adminKey,
      tenant: tenant.id,
      body: { name: 'sum', definition: SUMMARY },
    });
    expect(res.status).toBe(201);
    expect((await get(tenant, '/sum')).body.id).toBe(res.body.id);
    const version = await get(tenant, '/sum/versions/1');
    expect(version.body.createdBy).toMatch(/^PLATFORM_ADMIN:/);
    expectProblem(
      await h.request('GET', '/api/v1/tasks', { key: h.adminKey }),
      400,
      'validation_failed',
    );
  });

  describe('GET /api/v1/tasks/schema', () => {
    it('serves the published JSON Schema to any authenticated caller, not anonymously', async () => {
      const tenant = await h.createTenant();
      const narrow = await h.request('POST', '/api/v1/api-keys', {
        key: tenant.key,
        body: { name: 'usage only', scopes: ['usage:read'] },
      });
      expect(narrow.status).toBe(201);
      for (const key of [tenant.key, narrow.body.secret as string, h.adminKey]) {
        const res = await h.request('GET', '/api/v1/tasks/schema', { key });
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toEqual(taskDefinitionJsonSchema());
      }
      expect((await h.request('GET', '/api/v1/tasks/schema')).status).toBe(401);
    });
  });

  describe('cross-tenant', () => {
    it("B's key gets 404 for A's task by id and by name on every route; A is unchanged", async () => {
      const a = await tenantWithTool(h);
      const b = await tenantWithTool(h);
      const task = await create(a, { name: 'triage', definition: TRIAGE });
      const before = await storedTasks(h, a);
      for (const ref of [task.id as string, 'triage']) {
        const which = ref === task.id ? 'id' : 'name';
        for (const [method, path, body] of [
          ['GET', '', undefined],
          ['PUT', '', { definition: TRIAGE }],
          ['GET', '/versions', undefined],
          ['GET', '/versions/1', undefined],
        ] as const) {
          const res = await h.request(method, `/api/v1/tasks/${ref}${path}`, { key: b.key, body });
          expect(`${method} {${which}}${path} → ${res.status} ${res.body?.code}`).toBe(
            `${method} {${which}}${path} → 404 not_found`,
          );
          expect(JSON.stringify(res.body)).not.toContain('Classify');
        }
      }
      expect((await h.request('GET', '/api/v1/tasks', { key: b.key })).body.items).toEqual([]);
      expect(await storedTasks(h, a)).toEqual(before);
      expect(await storedTasks(h, b)).toEqual({ tasks: [], versions: [], audit: [] });
    });

    it("B cannot reach A's tasks by naming A in X-Gnomon-Tenant (403), and writes nothing", async () => {
      const a = await h.createTenant();
      const b = await h.createTenant();
      const task = await create(a, { name: 'sum', definition: SUMMARY });
      const before = await storedTasks(h, a);
      for (const [method, path, body] of [
        ['GET', '', undefined],
        ['POST', '', { name: 'intruder', definition: SUMMARY }],
        ['GET', `/${task.id}`, undefined],
        ['PUT', '/sum', { definition: SUMMARY }],
      ] as const) {
        const res = await h.request(method, `/api/v1/tasks${path}`, {
          key: b.key,
          tenant: a.id,
          body,
        });
        expectProblem(res, 403, 'forbidden');
      }
      expect(await storedTasks(h, a)).toEqual(before);
      expect(await storedTasks(h, b)).toEqual({ tasks: [], versions: [], audit: [] });
    });

    it("a name both tenants use resolves to the caller's own task", async () => {
      const a = await h.createTenant();
      const b = await h.createTenant();
      await create(a, { name: 'sum', description: 'A', definition: SUMMARY });
      const own = await create(b, { name: 'sum', description: 'B', definition: SUMMARY });
      const res = await put(b, 'sum', { definition: SUMMARY });
      expect(res.body).toMatchObject({ id: own.id, currentVersion: 2, description: 'B' });
      expect((await get(a, '/sum')).body).toMatchObject({ currentVersion: 1, description: 'A' });
    });
  });
});

import { ControlPlaneHarness } from '../testing/control-plane-harness';

describe('tenants (platform admin)', () => {
  let h: ControlPlaneHarness;
  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates a tenant with its first owner and records it in the audit log', async () => {
    const res = await h.request('POST', '/api/v1/admin/tenants', {
      key: h.adminKey,
      body: { name: 'Acme', plan: 'TEAM', owner: { email: 'Ada@Acme.test', name: 'Ada' } },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Acme', plan: 'TEAM', status: 'ACTIVE' });
    const members = await h.sql('select email, role from members where tenant_id = $1', [
      res.body.id,
    ]);
    expect(members).toEqual([{ email: 'ada@acme.test', role: 'OWNER' }]);
    const audit = await h.sql(
      'select action, actor_type, request_id from audit_logs where tenant_id = $1',
      [res.body.id],
    );
    expect(audit).toEqual([
      {
        action: 'tenant.created',
        actor_type: 'PLATFORM_ADMIN',
        request_id: res.headers['x-request-id'],
      },
    ]);
  });

  describe('list: search by name or id, filter by status', () => {
    const list = (query: string, key = h.adminKey) =>
      h.request('GET', `/api/v1/admin/tenants?${query}`, { key });
    const names = (res: { body: { items: { name: string }[] } }) =>
      res.body.items.map((tenant) => tenant.name);

    /** Tenants with a marker no other test's names contain, newest last. */
    const world = async () => {
      const marker = `m${Math.random().toString(36).slice(2, 8)}`;
      const made: { id: string; name: string }[] = [];
      for (const name of [`Acme ${marker}`, `acme-${marker} labs`, `Other ${marker} 100%_x`]) {
        const res = await h.request('POST', '/api/v1/admin/tenants', {
          key: h.adminKey,
          body: { name, owner: { email: `o@${marker}.test`, name: 'O' } },
        });
        expect(res.status).toBe(201);
        made.push({ id: res.body.id, name });
      }
      return { marker, made };
    };

    it('matches part of the name in any case, newest first', async () => {
      const { marker, made } = await world();
      expect(names(await list(`q=ACME%20${marker}`))).toEqual([made[0].name]);
      expect(names(await list(`q=${marker.toUpperCase()}`))).toEqual(
        [...made].reverse().map((t) => t.name),
      );
      expect(names(await list(`q=acme`)).filter((n) => n.includes(marker))).toEqual([
        made[1].name,
        made[0].name,
      ]);
    });

    it('takes % and _ literally', async () => {
      const { marker, made } = await world();
      expect(names(await list(`q=${marker}%20100%25_`))).toEqual([made[2].name]);
      expect(names(await list('q=%25_')).filter((n) => n.includes(marker))).toEqual([made[2].name]);
      expect(names(await list(`q=${marker}_`))).toEqual([]);
    });

    it('finds a tenant by its exact id', async () => {
      const { made } = await world();
      const res = await list(`q=${made[1].id.toUpperCase()}`);
      expect(res.body.items.map((t: { id: string }) => t.id)).toEqual([made[1].id]);
    });

    it('combines with status and with pagination (the cursor keeps the filters)', async () => {
      const { marker, made } = await world();
      const suspend = await h.request('PATCH', `/api/v1/admin/tenants/${made[0].id}`, {
        key: h.adminKey,
        body: { status: 'SUSPENDED' },
      });
      expect(suspend.status).toBe(200);
      expect(names(await list(`q=${marker}&status=SUSPENDED`))).toEqual([made[0].name]);
      expect(names(await list(`q=${marker}&status=ACTIVE`))).toEqual([made[2].name, made[1].name]);

      const first = await list(`q=${marker}&limit=2`);
      expect(names(first)).toEqual([made[2].name, made[1].name]);
      const cursor = encodeURIComponent(first.body.nextCursor);
      const second = await list(`q=${marker}&limit=2&cursor=${cursor}`);
      expect(names(second)).toEqual([made[0].name]);
      expect(second.body.nextCursor).toBeNull();
      const reused = await list(`q=other&limit=2&cursor=${cursor}`);
      expect({ status: reused.status, code: reused.body.code }).toEqual({
        status: 400,
        code: 'invalid_cursor',
      });
    });

    it('an empty q or status is no filter; bad ones are 400; tenant keys are 403', async () => {
      const { marker } = await world();
      const all = await list('q=&status=&limit=100');
      expect(all.status).toBe(200);
      expect(names(all).filter((n) => n.includes(marker))).toHaveLength(3);
      for (const [query, path] of [
        [`q=${'x'.repeat(201)}`, 'query.q'],
        ['status=GONE', 'query.status'],
        ['search=acme', 'query'],
      ]) {
        const res = await list(query);
        expect({ status: res.status, code: res.body.code }).toEqual({
          status: 400,
          code: 'validation_failed',
        });
        expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      }
      const tenant = await h.createTenant();
      const res = await list(`q=${marker}`, tenant.key);
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 403,
        code: 'forbidden',
      });
    });
  });
});

import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

describe('members and roles (/api/v1/members)', () => {
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

  const addMember = async (tenant: Tenant, email: string, role: string, key = tenant.key) => {
    const res = await h.request('POST', '/api/v1/members', {
      key,
      body: { email, name: 'Someone', role },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  const ownerOf = async (tenant: Tenant) => {
    const rows = await h.sql<{ id: string }>(
      `select id from members where tenant_id = $1 and role = 'OWNER'`,
      [tenant.id],
    );
    return rows[0].id;
  };

  /** A key acting for a member: bounded by that member's current role. */
  const memberKey = async (tenant: Tenant, memberId: string, scopes: string[]) => {
    const res = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'member key', scopes, memberId },
    });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, secret: res.body.secret as string };
  };

  const ownerCount = async (tenant: Tenant) =>
    Number(
      (
        await h.sql<{ n: string }>(
          `select count(*) as n from members where tenant_id = $1 and role = 'OWNER'`,
          [tenant.id],
        )
      )[0].n,
    );

  describe('CRUD', () => {
    it('adds a member (201) with the email lower-cased', async () => {
      const tenant = await h.createTenant();
      const res = await h.request('POST', '/api/v1/members', {
        key: tenant.key,
        body: { email: 'Grace.Hopper@Example.TEST', name: 'Grace', role: 'ADMIN' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        email: 'grace.hopper@example.test',
        name: 'Grace',
        role: 'ADMIN',
      });
      const rows = await h.sql('select email, role from members where id = $1 and tenant_id = $2', [
        res.body.id,
        tenant.id,
      ]);
      expect(rows).toEqual([{ email: 'grace.hopper@example.test', role: 'ADMIN' }]);
    });

    it('refuses a duplicate email, whatever its case, with 409 conflict and writes nothing', async () => {
      const tenant = await h.createTenant();
      await addMember(tenant, 'dup@example.test', 'MEMBER');
      const res = await h.request('POST', '/api/v1/members', {
        key: tenant.key,
        body: { email: 'DUP@example.test', name: 'Again', role: 'VIEWER' },
      });
      expectProblem(res, 409, 'conflict');
      const rows = await h.sql('select role from members where tenant_id = $1 and email = $2', [
        tenant.id,
        'dup@example.test',
      ]);
      expect(rows).toEqual([{ role: 'MEMBER' }]);
      const audit = await h.sql(
        `select 1 from audit_logs where tenant_id = $1 and action = 'member.added'`,
        [tenant.id],
      );
      expect(audit).toHaveLength(1);
    });

    it('lists members newest first in cursor pages without gaps or repeats', async () => {
      const tenant = await h.createTenant();
      for (const n of [1, 2, 3, 4]) await addMember(tenant, `m${n}@example.test`, 'MEMBER');
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = await h.request('GET', `/api/v1/members?limit=2${query}`, { key: tenant.key });
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((m: { email: string }) => m.email));
        cursor = page.body.nextCursor;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(3);
      const [owner] = await h.sql<{ email: string }>(
        `select email from members where tenant_id = $1 and role = 'OWNER'`,
        [tenant.id],
      );
      const newest = ['m4', 'm3', 'm2', 'm1'].map((m) => `${m}@example.test`);
      expect(seen).toEqual([...newest, owner.email]);
    });

    it('gets one member by id', async () => {
      const tenant = await h.createTenant();
      const id = await addMember(tenant, 'get@example.test', 'VIEWER');
      const res = await h.request('GET', `/api/v1/members/${id}`, { key: tenant.key });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, email: 'get@example.test', role: 'VIEWER' });
    });

    it("changes a member's role and name with PATCH", async () => {
      const tenant = await h.createTenant();
      const id = await addMember(tenant, 'patch@example.test', 'VIEWER');
      const res = await h.request('PATCH', `/api/v1/members/${id}`, {
        key: tenant.key,
        body: { role: 'ADMIN', name: 'Renamed' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, role: 'ADMIN', name: 'Renamed' });
      expect(await h.sql('select role, name from members where id = $1', [id])).toEqual([
        { role: 'ADMIN', name: 'Renamed' },
      ]);
    });

    it('removes a member (204)', async () => {
      const tenant = await h.createTenant();
      const id = await addMember(tenant, 'bye@example.test', 'MEMBER');
      const res = await h.request('DELETE', `/api/v1/members/${id}`, { key: tenant.key });
      expect(res.status).toBe(204);
      expect(await h.sql('select 1 from members where id = $1', [id])).toEqual([]);
      const again = await h.request('GET', `/api/v1/members/${id}`, { key: tenant.key });
      expectProblem(again, 404, 'not_found');
    });
  });

  describe('the last owner', () => {
    it('cannot be demoted or removed (409 last_owner)', async () => {
      const tenant = await h.createTenant();
      const owner = await ownerOf(tenant);
      const demote = await h.request('PATCH', `/api/v1/members/${owner}`, {
        key: tenant.key,
        body: { role: 'ADMIN' },
      });
      expectProblem(demote, 409, 'last_owner');
      const remove = await h.request('DELETE', `/api/v1/members/${owner}`, { key: tenant.key });
      expectProblem(remove, 409, 'last_owner');
      expect(await ownerCount(tenant)).toBe(1);
    });

    it('survives two owners being demoted concurrently: exactly one demotion succeeds', async () => {
      const tenant = await h.createTenant();
      const first = await ownerOf(tenant);
      const second = await addMember(tenant, 'second-owner@example.test', 'OWNER');
      const results = await Promise.all(
        [first, second].map((id) =>
          h.request('PATCH', `/api/v1/members/${id}`, { key: tenant.key, body: { role: 'ADMIN' } }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(results.find((r) => r.status === 409)?.body.code).toBe('last_owner');
      expect(await ownerCount(tenant)).toBe(1);
    });
  });

  describe('keys bound to a member', () => {
    it('a non-owner member cannot grant or take away OWNER (403 forbidden)', async () => {
      const tenant = await h.createTenant();
      const owner = await ownerOf(tenant);
      const adminId = await addMember(tenant, 'admin@example.test', 'ADMIN');
      const other = await addMember(tenant, 'other@example.test', 'MEMBER');
      const { secret } = await memberKey(tenant, adminId, ['members:manage']);

      const attempts = [
        h.request('POST', '/api/v1/members', {
          key: secret,
          body: { email: 'new-owner@example.test', name: 'N', role: 'OWNER' },
        }),
        h.request('PATCH', `/api/v1/members/${other}`, { key: secret, body: { role: 'OWNER' } }),
        h.request('PATCH', `/api/v1/members/${owner}`, { key: secret, body: { role: 'VIEWER' } }),
        h.request('DELETE', `/api/v1/members/${owner}`, { key: secret }),
      ];
      for (const res of await Promise.all(attempts)) expectProblem(res, 403, 'forbidden');

      const roles = await h.sql(
        'select email, role from members where tenant_id = $1 order by email',
        [tenant.id],
      );
      expect(roles.filter((r) => r.role === 'OWNER')).toHaveLength(1);
      expect(roles.find((r) => r.email === 'other@example.test')).toEqual({
        email: 'other@example.test',
        role: 'MEMBER',
      });
      // but the admin may still manage non-owner roles
      const ok = await h.request('PATCH', `/api/v1/members/${other}`, {
        key: secret,
        body: { role: 'VIEWER' },
      });
      expect(ok.status).toBe(200);
    });

    it("removing a member revokes their keys at once (401 on the key's next use)", async () => {
      const tenant = await h.createTenant();
      const memberId = await addMember(tenant, 'leaver@example.test', 'MEMBER');
      const key = await memberKey(tenant, memberId, ['tasks:read']);
      expect((await h.request('GET', '/api/v1/me', { key: key.secret })).status).toBe(200);

      const res = await h.request('DELETE', `/api/v1/members/${memberId}`, { key: tenant.key });
      expect(res.status).toBe(204);

      expectProblem(
        await h.request('GET', '/api/v1/me', { key: key.secret }),
        401,
        'unauthenticated',
      );
      const rows = await h.sql<{ revoked_at: Date | null }>(
        'select revoked_at from api_keys where id = $1',
        [key.id],
      );
      expect(rows[0].revoked_at).not.toBeNull();
    });

    it('demoting a member narrows their key at once (ADMIN→VIEWER loses members:manage)', async () => {
      const tenant = await h.createTenant();
      const memberId = await addMember(tenant, 'demoted@example.test', 'ADMIN');
      const { secret } = await memberKey(tenant, memberId, ['members:manage']);
      const before = await h.request('POST', '/api/v1/members', {
        key: secret,
        body: { email: 'allowed@example.test', name: 'A', role: 'VIEWER' },
      });
      expect(before.status).toBe(201);

      const demote = await h.request('PATCH', `/api/v1/members/${memberId}`, {
        key: tenant.key,
        body: { role: 'VIEWER' },
      });
      expect(demote.status).toBe(200);

      const after = await h.request('POST', '/api/v1/members', {
        key: secret,
        body: { email: 'refused@example.test', name: 'R', role: 'VIEWER' },
      });
      expectProblem(after, 403, 'forbidden');
      expect(
        await h.sql('select 1 from members where email = $1', ['refused@example.test']),
      ).toEqual([]);
    });
  });

  it('writes an audit_logs row for every mutation with actor and the response x-request-id', async () => {
    const tenant = await h.createTenant();
    const added = await h.request('POST', '/api/v1/members', {
      key: tenant.key,
      body: { email: 'audited@example.test', name: 'Au', role: 'MEMBER' },
    });
    const id = added.body.id as string;
    const updated = await h.request('PATCH', `/api/v1/members/${id}`, {
      key: tenant.key,
      body: { role: 'VIEWER' },
    });
    const removed = await h.request('DELETE', `/api/v1/members/${id}`, { key: tenant.key });
    expect([added.status, updated.status, removed.status]).toEqual([201, 200, 204]);

    const rows = await h.sql(
      `select action, actor_type, actor_id, target_type, target_id, request_id
         from audit_logs where tenant_id = $1 and target_id = $2 order by created_at, action`,
      [tenant.id, id],
    );
    const expected = (action: string, res: HttpResult) => ({
      action,
      actor_type: 'API_KEY',
      actor_id: tenant.keyId,
      target_type: 'member',
      target_id: id,
      request_id: res.headers['x-request-id'],
    });
    expect(rows).toEqual(
      expect.arrayContaining([
        expected('member.added', added),
        expected('member.invitation_created', added),
        expected('member.updated', updated),
        expected('member.removed', removed),
      ]),
    );
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(3);
  });
});

import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';
import { Browser, memberWithSession, PASSWORD, setCookiesOf } from './session.fixtures';

describe('dashboard sign-in and sessions (/api/v1/auth)', () => {
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
  const memberCount = async (tenantId: string) =>
    (await h.sql('select id from members where tenant_id = $1', [tenantId])).length;

  it('invitation → accept → session works on tenant routes; CSRF guards mutations; sign-out ends it', async () => {
    const tenant = await h.createTenant();
    const added = await h.request('POST', '/api/v1/members', {
      key: tenant.key,
      body: { email: 'Ada@Example.test', name: 'Ada', role: 'ADMIN' },
    });
    expect(added.status).toBe(201);
    const { token, url, expiresAt } = added.body.invitation;
    expect(url).toBe(`/admin/accept?token=${token}`);
    expect(new Date(expiresAt).getTime() - Date.now()).toBeGreaterThan(71 * 3_600_000);
    // Only the token's HMAC is stored.
    const [link] = await h.sql<{ token_hash: string }>(
      'select token_hash from member_links where member_id = $1',
      [added.body.id],
    );
    expect(link.token_hash).not.toContain(token);

    const browser = new Browser(h);
    const accepted = await browser.request('POST', '/api/v1/auth/accept', {
      body: { token, password: PASSWORD },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.headers['cache-control']).toBe('no-store');
    expect(accepted.body).toMatchObject({
      principal: {
        type: 'MEMBER',
        id: added.body.id,
        memberId: added.body.id,
        email: 'ada@example.test',
        name: 'Ada',
        role: 'ADMIN',
        tenantId: tenant.id,
      },
      csrfToken: browser.cookies.get('gnomon_csrf'),
    });
    const [session, csrf] = setCookiesOf(accepted);
    expect(session).toMatch(
      /^gnomon_session=[\w-]{43}; Path=\/; Max-Age=43200; HttpOnly; Secure; SameSite=Strict$/,
    );
    expect(csrf).toMatch(/^gnomon_csrf=[\w-]+; Path=\/; Max-Age=43200; Secure; SameSite=Strict$/);
    const secret = browser.cookies.get('gnomon_session')!;
    const rows = await h.sql<{ secret_hash: string }>(
      'select secret_hash from sessions where member_id = $1',
      [added.body.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].secret_hash).not.toBe(secret);

    // A tenant route with the cookie alone; /me and /auth/session answer for the session.
    const list = await browser.request('GET', '/api/v1/members');
    expect(list.status).toBe(200);
    expect(list.body.items.map((m: { email: string }) => m.email)).toContain('ada@example.test');
    expect((await browser.request('GET', '/api/v1/me')).body).toMatchObject({
      type: 'MEMBER',
      id: added.body.id,
      tenantId: tenant.id,
      memberId: added.body.id,
    });
    const current = await browser.request('GET', '/api/v1/auth/session');
    expect(current.body).toEqual({ ...accepted.body, idleExpiresAt: current.body.idleExpiresAt });

    // A mutation without the CSRF header, or with a wrong one, is refused and writes nothing.
    const before = await memberCount(tenant.id);
    const body = { email: 'grace@example.test', name: 'Grace', role: 'MEMBER' };
    for (const csrfHeader of [false, 'x'.repeat(43), 'wrong'] as const) {
      const res = await browser.request('POST', '/api/v1/members', { body, csrf: csrfHeader });
      expectProblem(res, 403, 'forbidden');
      expect(res.body.detail).toBe('missing or invalid CSRF token');
    }
    expect(await memberCount(tenant.id)).toBe(before);
    const made = await browser.request('POST', '/api/v1/members', { body });
    expect(made.status).toBe(201);
    const audit = await h.sql(
      `select action, actor_type, actor_id from audit_logs
        where tenant_id = $1 and action in ('member.added', 'member.invitation_created') and target_id = $2`,
      [tenant.id, made.body.id],
    );
    expect(audit).toEqual(
      expect.arrayContaining([
        { action: 'member.added', actor_type: 'MEMBER', actor_id: added.body.id },
        { action: 'member.invitation_created', actor_type: 'MEMBER', actor_id: added.body.id },
      ]),
    );

    // Sign-out needs the CSRF header too, then the cookie is refused everywhere.
    expectProblem(
      await browser.request('POST', '/api/v1/auth/sign-out', { csrf: false }),
      403,
      'forbidden',
    );
    const kept = new Map(browser.cookies);
    const out = await browser.request('POST', '/api/v1/auth/sign-out');
    expect(out.status).toBe(204);
    expect(setCookiesOf(out).every((c) => c.includes('Max-Age=0'))).toBe(true);
    expect(browser.cookies.size).toBe(0);
    const stolen = new Browser(h);
    for (const [name, value] of kept) stolen.cookies.set(name, value);
    const refused = await stolen.request('GET', '/api/v1/members');
    expectProblem(refused, 401, 'unauthenticated');
    expect(setCookiesOf(refused)[0]).toMatch(/^gnomon_session=; .*Max-Age=0/);
    const actions = await h.sql<{ action: string; actor_type: string }>(
      `select action, actor_type from audit_logs where tenant_id = $1 and target_id = $2
        order by created_at, action`,
      [tenant.id, added.body.id],
    );
    expect(actions.map((a) => `${a.action}/${a.actor_type}`)).toEqual([
      'member.added/API_KEY',
      'member.invitation_created/API_KEY',
      'member.password_set/MEMBER',
      'session.signed_in/MEMBER',
      'session.signed_out/MEMBER',
    ]);
  });

  it('a viewer reads but every mutation is refused (403), writing nothing', async () => {
    const tenant = await h.createTenant();
    const { browser } = await memberWithSession(h, tenant, 'viewer@example.test', 'VIEWER');
    expect((await browser.request('GET', '/api/v1/members')).status).toBe(200);
    const before = await memberCount(tenant.id);
    const attempts = [
      browser.request('POST', '/api/v1/members', {
        body: { email: 'x@example.test', name: 'X', role: 'VIEWER' },
      }),
      browser.request('POST', '/api/v1/api-keys', { body: { name: 'k', scopes: ['tasks:read'] } }),
      browser.request('POST', '/api/v1/tasks', { body: { name: 't', definition: {} } }),
    ];
    for (const res of await Promise.all(attempts)) {
      expectProblem(res, 403, 'forbidden');
      expect(res.body.detail).toMatch(/the VIEWER role lacks the "[a-z]+:(manage|write)" scope/);
    }
    expect(await memberCount(tenant.id)).toBe(before);
    expect(
      await h.sql('select 1 from api_keys where tenant_id = $1 and name = $2', [tenant.id, 'k']),
    ).toEqual([]);
  });

  it('wrong password and unknown email get the same 401, counted as failures', async () => {
    const tenant = await h.createTenant();
    await memberWithSession(h, tenant, 'known@example.test', 'MEMBER');
    const wrong = await new Browser(h).signIn('known@example.test', 'not the password at all');
    const unknown = await new Browser(h).signIn('nobody@example.test', PASSWORD);
    for (const res of [wrong, unknown]) {
      expectProblem(res, 401, 'unauthenticated');
      expect(res.body.detail).toBe('email or password is wrong');
      expect(setCookiesOf(res)).toEqual([]);
    }
    const metrics = String((await h.request('GET', '/metrics')).body);
    expect(metrics).toMatch(/gnomon_auth_failures_total\{reason="sign_in_password"[^}]*\} [2-9]/);
    const ok = await new Browser(h).signIn('KNOWN@example.test');
    expect(ok.status).toBe(200);
  });

  it('a password matching members of several tenants → 409 tenant_required naming just those tenants', async () => {
    const [a, b, c] = [await h.createTenant(), await h.createTenant(), await h.createTenant()];
    const email = 'multi@example.test';
    for (const tenant of [a, b]) await memberWithSession(h, tenant, email, 'MEMBER');
    // In c the same email has another password.
    const other = await h.request('POST', '/api/v1/members', {
      key: c.key,
      body: { email, name: 'Multi', role: 'MEMBER' },
    });
    await new Browser(h).request('POST', '/api/v1/auth/accept', {
      body: { token: other.body.invitation.token, password: 'a different password' },
    });
    const names = await h.sql<{ id: string; name: string }>(
      'select id, name from tenants where id = any($1) order by name, id',
      [[a.id, b.id]],
    );
    const sessionsBefore = await h.sql('select id from sessions');

    const ambiguous = await new Browser(h).signIn(email);
    expectProblem(ambiguous, 409, 'tenant_required');
    expect(ambiguous.body.tenants).toEqual(names);
    expect(setCookiesOf(ambiguous)).toEqual([]);
    expect(await h.sql('select id from sessions')).toEqual(sessionsBefore);

    const chosen = new Browser(h);
    const signedIn = await chosen.signIn(email, PASSWORD, b.id);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.principal).toMatchObject({
      tenantId: b.id,
      tenantName: names.find((t) => t.id === b.id)?.name,
    });
    expect((await chosen.request('GET', '/api/v1/me')).body.tenantId).toBe(b.id);
    // c's password signs in to c only, without asking.
    const single = await new Browser(h).signIn(email, 'a different password');
    expect(single.body.principal.tenantId).toBe(c.id);
  });

  it('a used, replaced, expired or unknown link → 400 at body.token, and nothing is written', async () => {
    const tenant = await h.createTenant();
    const { memberId, token: used } = await memberWithSession(
      h,
      tenant,
      'links@example.test',
      'MEMBER',
    );
    const state = () =>
      h.sql(
        'select password_hash, (select count(*) from sessions where member_id = $1) as n from members where id = $1',
        [memberId],
      );
    const reset = await h.request('POST', `/api/v1/members/${memberId}/reset-link`, {
      key: tenant.key,
    });
    expect(reset.status).toBe(201);
    const replaced = reset.body.token as string;
    const newer = await h.request('POST', `/api/v1/members/${memberId}/reset-link`, {
      key: tenant.key,
    });
    const before = await state();
    for (const token of [used, replaced, 'x'.repeat(43), 'short']) {
      const res = await new Browser(h).request('POST', '/api/v1/auth/accept', {
        body: { token, password: 'another long password' },
      });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([
        { path: 'body.token', message: 'this link is not valid (any more)' },
      ]);
    }
    const short = await new Browser(h).request('POST', '/api/v1/auth/accept', {
      body: { token: newer.body.token, password: 'too short' },
    });
    expectProblem(short, 400, 'validation_failed');
    expect(short.body.errors[0].path).toBe('body.password');
    expect(await state()).toEqual(before);

    // The newest link works once, ends the member's other sessions, and sets the new password.
    const old = new Browser(h);
    expect((await old.signIn('links@example.test')).status).toBe(200);
    const fresh = new Browser(h);
    const ok = await fresh.request('POST', '/api/v1/auth/accept', {
      body: { token: newer.body.token, password: 'another long password' },
    });
    expect(ok.status).toBe(200);
    expectProblem(await old.request('GET', '/api/v1/members'), 401, 'unauthenticated');
    expect((await fresh.request('GET', '/api/v1/members')).status).toBe(200);
    expect((await new Browser(h).signIn('links@example.test')).status).toBe(401);
    expect(
      (await new Browser(h).signIn('links@example.test', 'another long password')).status,
    ).toBe(200);
  });

  it('reset links for an owner are for owners only (403 for an admin, nothing written)', async () => {
    const tenant = await h.createTenant();
    const { browser } = await memberWithSession(h, tenant, 'admin@example.test', 'ADMIN');
    const [owner] = await h.sql<{ id: string }>(
      `select id from members where tenant_id = $1 and role = 'OWNER'`,
      [tenant.id],
    );
    const res = await browser.request('POST', `/api/v1/members/${owner.id}/reset-link`);
    expectProblem(res, 403, 'forbidden');
    expect(await h.sql('select 1 from member_links where member_id = $1', [owner.id])).toEqual([]);
    // The platform admin can make the first owner's link (tenants are created without one).
    const link = await h.request('POST', `/api/v1/members/${owner.id}/reset-link`, {
      key: h.adminKey,
      tenant: tenant.id,
    });
    expect(link.status).toBe(201);
  });

  it("a role change narrows the member's session at once; removing the member ends it", async () => {
    const tenant = await h.createTenant();
    const { memberId, browser } = await memberWithSession(
      h,
      tenant,
      'demoted@example.test',
      'ADMIN',
    );
    const body = { email: 'n1@example.test', name: 'N', role: 'VIEWER' };
    expect((await browser.request('POST', '/api/v1/members', { body })).status).toBe(201);
    await h.request('PATCH', `/api/v1/members/${memberId}`, {
      key: tenant.key,
      body: { role: 'VIEWER' },
    });
    const refused = await browser.request('POST', '/api/v1/members', {
      body: { ...body, email: 'n2@example.test' },
    });
    expectProblem(refused, 403, 'forbidden');
    expect((await browser.request('GET', '/api/v1/auth/session')).body.principal.role).toBe(
      'VIEWER',
    );
    await h.request('DELETE', `/api/v1/members/${memberId}`, { key: tenant.key });
    expectProblem(await browser.request('GET', '/api/v1/members'), 401, 'unauthenticated');
    expect(await h.sql('select 1 from sessions where member_id = $1', [memberId])).toEqual([]);
  });

  it('sign-out-everywhere ends all of this member’s sessions, on every instance, and no one else’s', async () => {
    const tenant = await h.createTenant();
    const { browser: laptop } = await memberWithSession(
      h,
      tenant,
      'everywhere@example.test',
      'MEMBER',
    );
    const phone = new Browser(h);
    await phone.signIn('everywhere@example.test');
    const { browser: colleague } = await memberWithSession(
      h,
      tenant,
      'colleague@example.test',
      'MEMBER',
    );
    if (h.instances.length < 2) await h.addInstance();
    const phoneOnOther = phone.on(1);
    expect((await phoneOnOther.request('GET', '/api/v1/members')).status).toBe(200); // cached there
    const res = await laptop.request('POST', '/api/v1/auth/sign-out-everywhere');
    expect(res.status).toBe(204);
    for (const browser of [laptop, phone, phoneOnOther])
      expectProblem(await browser.request('GET', '/api/v1/members'), 401, 'unauthenticated');
    expect((await colleague.request('GET', '/api/v1/members')).status).toBe(200);
    // A tenant API key has no sessions to end.
    expectProblem(
      await h.request('POST', '/api/v1/auth/sign-out-everywhere', { key: tenant.key }),
      403,
      'forbidden',
    );
    expectProblem(
      await h.request('GET', '/api/v1/auth/session', { key: tenant.key }),
      401,
      'unauthenticated',
    );
  });

  it('the platform admin key signs in; the session acts in a tenant with X-Gnomon-Tenant', async () => {
    const tenant = await h.createTenant();
    const admin = new Browser(h);
    const res = await admin.request('POST', '/api/v1/auth/sign-in/admin-key', {
      body: { key: h.adminKey },
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain(h.adminKey);
    expect(res.body.principal).toMatchObject({
      type: 'PLATFORM_ADMIN',
      memberId: null,
      tenantId: null,
      role: null,
    });
    expect(res.body.principal.scopes).toContain('members:manage');
    expect((await admin.request('GET', '/api/v1/admin/tenants')).status).toBe(200);
    expectProblem(await admin.request('GET', '/api/v1/members'), 400, 'validation_failed');
    const list = await admin.request('GET', '/api/v1/members', { tenant: tenant.id });
    expect(list.status).toBe(200);
    const add = await admin.request('POST', '/api/v1/members', {
      tenant: tenant.id,
      body: { email: 'by-admin@example.test', name: 'A', role: 'MEMBER' },
    });
    expect(add.status).toBe(201);
    const [row] = await h.sql('select actor_type from audit_logs where target_id = $1 limit 1', [
      add.body.id,
    ]);
    expect(row).toEqual({ actor_type: 'PLATFORM_ADMIN' });

    for (const key of ['not-the-admin-key-at-all', tenant.key]) {
      const wrong = await new Browser(h).request('POST', '/api/v1/auth/sign-in/admin-key', {
        body: { key },
      });
      expectProblem(wrong, 401, 'unauthenticated');
      expect(setCookiesOf(wrong)).toEqual([]);
    }
    // Sign-out-everywhere with the key itself ends every platform-admin session.
    expect(
      (await h.request('POST', '/api/v1/auth/sign-out-everywhere', { key: h.adminKey })).status,
    ).toBe(204);
    expectProblem(await admin.request('GET', '/api/v1/admin/tenants'), 401, 'unauthenticated');
  });

  it('a Bearer key wins over a cookie and needs no CSRF token', async () => {
    const tenant = await h.createTenant();
    const { browser } = await memberWithSession(h, tenant, 'both@example.test', 'VIEWER');
    const res = await browser.request('POST', '/api/v1/members', {
      key: tenant.key,
      csrf: false,
      body: { email: 'via-key@example.test', name: 'K', role: 'MEMBER' },
    });
    expect(res.status).toBe(201);
  });
});

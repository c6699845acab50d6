import {
  ControlPlaneHarness,
  type HttpResult,
  type RequestOptions,
} from '../testing/control-plane-harness';

type World = Awaited<ReturnType<typeof setUp>>;
interface WriteRoute {
  method: string;
  url: (w: World) => string;
  admin?: boolean;
  valid: Record<string, unknown>;
}

/** The creation and update routes whose input is checked here. */
const ROUTES: Record<string, WriteRoute> = {
  'POST /admin/tenants': {
    method: 'POST',
    url: () => '/api/v1/admin/tenants',
    admin: true,
    valid: { name: 'Bad Input Co', owner: { email: 'o@bad.test', name: 'O' } },
  },
  'PATCH /admin/tenants/{id}': {
    method: 'PATCH',
    url: (w) => `/api/v1/admin/tenants/${w.tenant.id}`,
    admin: true,
    valid: { name: 'Renamed' },
  },
  'POST /members': {
    method: 'POST',
    url: () => '/api/v1/members',
    valid: { email: 'new@bad.test', name: 'N', role: 'MEMBER' },
  },
  'PATCH /members/{id}': {
    method: 'PATCH',
    url: (w) => `/api/v1/members/${w.memberId}`,
    valid: { role: 'VIEWER' },
  },
  'POST /api-keys': {
    method: 'POST',
    url: () => '/api/v1/api-keys',
    valid: { name: 'k', scopes: ['tasks:read'] },
  },
  'POST /api-keys/{id}/rotate': {
    method: 'POST',
    url: (w) => `/api/v1/api-keys/${w.keyId}/rotate`,
    valid: { gracePeriodSeconds: 60 },
  },
};
const ROUTE_NAMES = Object.keys(ROUTES);

let h: ControlPlaneHarness;

/** A tenant with an extra member; its all-scopes key is the one rotated. */
async function setUp() {
  const tenant = await h.createTenant();
  const member = await h.request('POST', '/api/v1/members', {
    key: tenant.key,
    body: { email: 'existing@bad.test', name: 'E', role: 'MEMBER' },
  });
  return { tenant, memberId: member.body.id as string, keyId: tenant.keyId };
}

/** Rows of every table a bad request could touch. */
async function counts() {
  const [row] = await h.sql(`select
    (select count(*) from tenants) as tenants, (select count(*) from members) as members,
    (select count(*) from api_keys) as api_keys, (select count(*) from audit_logs) as audit_logs,
    (select count(*) from api_keys where revoked_at is not null or expires_at is not null) as ended_keys,
    (select string_agg(name || status || plan, ',' order by id) from tenants) as tenant_state,
    (select string_agg(name || role, ',' order by id) from members) as member_state`);
  return row;
}

/** Sends a bad request for `route`, asserting the problem+json answer and that nothing changed. */
async function rejects(
  route: WriteRoute | { method: string; url: (w: World) => string; admin?: boolean },
  options: Omit<RequestOptions, 'key'>,
  expected: { status: number; code: string; path?: string },
): Promise<HttpResult> {
  const w = await setUp();
  const before = await counts();
  const res = await h.request(route.method, route.url(w), {
    key: route.admin ? h.adminKey : w.tenant.key,
    ...options,
  });
  expect({ status: res.status, code: res.body?.code }).toEqual({
    status: expected.status,
    code: expected.code,
  });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
  if (expected.path) {
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: expected.path })]),
    );
  }
  expect(await counts()).toEqual(before);
  return res;
}

describe('bad input is refused with a clear problem and writes nothing', () => {
  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  describe.each(ROUTE_NAMES)('%s', (routeName) => {
    const route = ROUTES[routeName];
    it('unknown field → 400 validation_failed', async () => {
      await rejects(
        route,
        { body: { ...route.valid, isAdmin: true } },
        { status: 400, code: 'validation_failed', path: 'body' },
      );
    });
    it('missing body → 400 validation_failed', async () => {
      await rejects(route, {}, { status: 400, code: 'validation_failed', path: 'body' });
    });
    it('malformed JSON → 400 malformed_json', async () => {
      const raw = JSON.stringify(route.valid).slice(0, -3);
      const headers = { 'content-type': 'application/json' };
      await rejects(route, { rawBody: raw, headers }, { status: 400, code: 'malformed_json' });
    });
    it('body over the 1 MiB limit (2 MiB) → 413 payload_too_large', async () => {
      const raw = JSON.stringify({ ...route.valid, name: 'x'.repeat(2 * 1024 * 1024) });
      const headers = { 'content-type': 'application/json' };
      await rejects(route, { rawBody: raw, headers }, { status: 413, code: 'payload_too_large' });
    });
    it('wrong content type (text/plain) → 415 unsupported_media_type', async () => {
      const headers = { 'content-type': 'text/plain' };
      const raw = JSON.stringify(route.valid);
      await rejects(
        route,
        { rawBody: raw, headers },
        { status: 415, code: 'unsupported_media_type' },
      );
    });
  });

  const invalid = { status: 400, code: 'validation_failed' };
  it.each([
    ['POST /admin/tenants', { name: 42, owner: { email: 'o@x.test', name: 'O' } }, 'body.name'],
    ['POST /admin/tenants', { name: 'n', owner: 'o@x.test' }, 'body.owner'],
    ['PATCH /admin/tenants/{id}', { name: ['x'] }, 'body.name'],
    ['POST /members', { email: 1234, name: 'N', role: 'MEMBER' }, 'body.email'],
    ['PATCH /members/{id}', { name: { first: 'N' } }, 'body.name'],
    ['POST /api-keys', { name: 'k', scopes: 'tasks:read' }, 'body.scopes'],
    [
      'POST /api-keys',
      { name: 'k', scopes: ['tasks:read'], expiresAt: 1893456000 },
      'body.expiresAt',
    ],
    ['POST /api-keys/{id}/rotate', { gracePeriodSeconds: '60' }, 'body.gracePeriodSeconds'],
  ])('wrong type on %s %j → 400 at %s', async (routeName, body, path) => {
    await rejects(ROUTES[routeName], { body }, { ...invalid, path });
  });

  it.each([
    [
      'POST /admin/tenants',
      { name: 'n', plan: 'PLATINUM', owner: { email: 'o@x.test', name: 'O' } },
      'body.plan',
    ],
    ['PATCH /admin/tenants/{id}', { status: 'DELETED' }, 'body.status'],
    ['POST /members', { email: 'god@x.test', name: 'G', role: 'GOD' }, 'body.role'],
    ['PATCH /members/{id}', { role: 'GOD' }, 'body.role'],
    ['POST /api-keys', { name: 'k', scopes: ['tasks:read', 'root:all'] }, 'body.scopes[1]'],
  ])('bad enum on %s %j → 400 at %s', async (routeName, body, path) => {
    await rejects(ROUTES[routeName], { body }, { ...invalid, path });
  });

  it.each([
    ['PATCH /admin/tenants/{id}', {}, 'body'],
    ['PATCH /members/{id}', {}, 'body'],
    ['POST /members', { email: 'not-an-email', name: 'N', role: 'MEMBER' }, 'body.email'],
    ['POST /api-keys', { name: 'k', scopes: [] }, 'body.scopes'],
    ['POST /api-keys/{id}/rotate', { gracePeriodSeconds: -1 }, 'body.gracePeriodSeconds'],
  ])('out-of-range value on %s %j → 400 at %s', async (routeName, body, path) => {
    await rejects(ROUTES[routeName], { body }, { ...invalid, path });
  });

  it('expiresAt in the past → 400 at body.expiresAt', async () => {
    const body = { name: 'k', scopes: ['tasks:read'], expiresAt: '2020-01-01T00:00:00Z' };
    await rejects(ROUTES['POST /api-keys'], { body }, { ...invalid, path: 'body.expiresAt' });
  });

  it.each([
    ['GET', '/api/v1/members/not-a-uuid'],
    ['PATCH', '/api/v1/members/12345'],
    ['DELETE', '/api/v1/members/00000000-0000-0000-0000-00000000000g'],
    ['GET', '/api/v1/api-keys/xyz'],
    ['POST', '/api/v1/api-keys/xyz/revoke'],
    ['POST', '/api/v1/api-keys/xyz/rotate'],
    ['GET', '/api/v1/admin/tenants/xyz'],
    ['DELETE', '/api/v1/admin/tenants/xyz'],
  ])('invalid UUID in path: %s %s → 400 at params.id', async (method, url) => {
    const body = method === 'PATCH' ? { role: 'VIEWER' } : method === 'POST' ? {} : undefined;
    await rejects(
      { method, url: () => url, admin: url.includes('/admin/') },
      { body },
      {
        ...invalid,
        path: 'params.id',
      },
    );
  });

  it.each([
    ['/api/v1/members?limit=101', 'query.limit'],
    ['/api/v1/api-keys?limit=1000', 'query.limit'],
    ['/api/v1/audit-log?limit=101', 'query.limit'],
    ['/api/v1/admin/tenants?limit=101', 'query.limit'],
    ['/api/v1/members?limit=0', 'query.limit'],
    ['/api/v1/members?limit=ten', 'query.limit'],
    ['/api/v1/members?sort=email', 'query'],
    ['/api/v1/api-keys?include=secret', 'query'],
    ['/api/v1/admin/tenants?status=GONE', 'query.status'],
  ])('bad query: GET %s → 400 at %s', async (url, path) => {
    await rejects(
      { method: 'GET', url: () => url, admin: url.includes('/admin/') },
      {},
      {
        ...invalid,
        path,
      },
    );
  });

  describe('cursors', () => {
    const cursorOf = async (key: string, list: string) => {
      const page = await h.request('GET', `/api/v1/${list}?limit=1`, { key });
      expect(page.body.nextCursor).toEqual(expect.any(String));
      return page.body.nextCursor as string;
    };
    const listWith = (list: string, cursor: string) => ({
      method: 'GET',
      url: () => `/api/v1/${list}?limit=1&cursor=${encodeURIComponent(cursor)}`,
    });
    const badCursor = { status: 400, code: 'invalid_cursor' };

    it('a real cursor with one character flipped → 400 invalid_cursor', async () => {
      const { tenant } = await setUp();
      const cursor = await cursorOf(tenant.key, 'members');
      for (const at of [3, cursor.length - 5]) {
        const flipped = `${cursor.slice(0, at)}${cursor[at] === 'A' ? 'B' : 'A'}${cursor.slice(at + 1)}`;
        const res = await h.request('GET', listWith('members', flipped).url(), { key: tenant.key });
        expect({ status: res.status, code: res.body.code }).toEqual(badCursor);
      }
      // the untouched cursor works
      const ok = await h.request('GET', listWith('members', cursor).url(), { key: tenant.key });
      expect(ok.status).toBe(200);
    });

    it('a members cursor used on api-keys (and on the audit log) → 400 invalid_cursor', async () => {
      const { tenant } = await setUp();
      await h.request('POST', '/api/v1/api-keys', {
        key: tenant.key,
        body: { name: 'second', scopes: ['tasks:read'] },
      });
      const cursor = await cursorOf(tenant.key, 'members');
      for (const list of ['api-keys', 'audit-log']) {
        const res = await h.request('GET', listWith(list, cursor).url(), { key: tenant.key });
        expect({ status: res.status, code: res.body.code }).toEqual(badCursor);
      }
    });

    it("another tenant's cursor → 400 invalid_cursor", async () => {
      const other = await setUp();
      const cursor = await cursorOf(other.tenant.key, 'members');
      await rejects(listWith('members', cursor), {}, badCursor);
    });

    it('a cursor that is not one at all → 400 invalid_cursor', async () => {
      await rejects(listWith('members', 'not-a-cursor'), {}, badCursor);
      await rejects(listWith('api-keys', 'a.b.c'), {}, badCursor);
    });
  });

  it('the whole run answered no 5xx (per the metrics of every response)', async () => {
    const metrics = await h.request('GET', '/metrics');
    const series = String(metrics.body)
      .split('\n')
      .filter((line) => line.startsWith('gnomon_http_request_duration_seconds_count'));
    expect(series.length).toBeGreaterThan(10);
    expect(series.filter((line) => /status="5\d\d"/.test(line))).toEqual([]);
  });
});

import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('operations: health, readiness, metrics, request ids', () => {
  let h: ControlPlaneHarness;
  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  it('GET /healthz answers 200 ok without credentials', async () => {
    const res = await h.request('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 with the database and Redis ok', async () => {
    const res = await h.request('GET', '/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } });
  });

  it('GET /metrics exposes gnomon_http_request_duration_seconds in Prometheus text', async () => {
    await h.request('GET', '/healthz');
    const res = await h.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.headers['cache-control']).toBe('no-store');
    const text = String(res.body);
    expect(text).toContain('# TYPE gnomon_http_request_duration_seconds histogram');
    expect(text).toMatch(
      /gnomon_http_request_duration_seconds_count\{[^}]*method="GET"[^}]*route="\/healthz"[^}]*status="200"[^}]*\} [1-9]/,
    );
  });

  describe('x-request-id', () => {
    it('every response carries a fresh x-request-id, successes and errors alike', async () => {
      const tenant = await h.createTenant();
      const responses: HttpResult[] = [
        await h.request('GET', '/healthz'),
        await h.request('GET', '/api/v1/me', { key: tenant.key }),
        await h.request('POST', '/api/v1/members', {
          key: tenant.key,
          body: { email: 'rid@example.test', name: 'R', role: 'VIEWER' },
        }),
        await h.request('GET', '/api/v1/members'),
        await h.request('GET', '/api/v1/members?limit=500', { key: tenant.key }),
        await h.request('POST', '/api/v1/members', {
          key: tenant.key,
          rawBody: 'x',
          headers: { 'content-type': 'text/plain' },
        }),
        await h.request('GET', '/no/such/route'),
      ];
      expect(responses.map((r) => r.status)).toEqual([200, 200, 201, 401, 400, 415, 404]);
      const ids = responses.map((r) => r.headers['x-request-id']);
      for (const id of ids) expect(id).toMatch(UUID);
      expect(new Set(ids).size).toBe(ids.length);
      // errors quote the same id in their body
      for (const res of responses.filter((r) => r.status >= 400)) {
        expect(res.body.requestId).toBe(res.headers['x-request-id']);
      }
    });

    it('honours a valid incoming x-request-id in the header, the problem body and the audit log', async () => {
      const tenant = await h.createTenant();
      const traced = { 'x-request-id': 'trace-1234.abc:def_X' };
      const health = await h.request('GET', '/healthz', { headers: traced });
      expect(health.headers['x-request-id']).toBe('trace-1234.abc:def_X');

      const refused = await h.request('GET', '/api/v1/members', { headers: traced });
      expect(refused.status).toBe(401);
      expect(refused.body.requestId).toBe('trace-1234.abc:def_X');

      const added = await h.request('POST', '/api/v1/members', {
        key: tenant.key,
        headers: { 'x-request-id': 'audit-trace-42' },
        body: { email: 'traced@example.test', name: 'T', role: 'VIEWER' },
      });
      expect(added.status).toBe(201);
      expect(added.headers['x-request-id']).toBe('audit-trace-42');
      const audit = await h.sql(
        `select request_id from audit_logs where tenant_id = $1 and action = 'member.added'`,
        [tenant.id],
      );
      expect(audit).toEqual([{ request_id: 'audit-trace-42' }]);
    });

    it.each([
      ['with spaces', 'not a valid id'],
      ['too long', 'a'.repeat(129)],
      ['with markup characters', 'abc<script>'],
    ])('replaces an invalid incoming x-request-id (%s) with a fresh one', async (_why, given) => {
      const res = await h.request('GET', '/healthz', { headers: { 'x-request-id': given } });
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toMatch(UUID);
    });
  });

  it.each([
    ['GET', '/no/such/route'],
    ['GET', '/api/v1/nothing-here'],
    ['PUT', '/api/v1/members'],
    ['POST', '/healthz'],
  ])('%s %s (no such route) is a problem+json 404 not_found', async (method, url) => {
    const res = await h.request(method, url);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 404,
      code: 'not_found',
      title: 'Not found',
      requestId: res.headers['x-request-id'],
      type: 'https://docs.gnomon.dev/errors/not_found',
    });
  });
});

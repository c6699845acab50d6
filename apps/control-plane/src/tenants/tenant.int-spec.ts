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
});

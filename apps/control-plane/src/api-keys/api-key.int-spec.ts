import { parseSecret } from '@gnomon/auth';
import { randomBytes } from 'node:crypto';
import { ControlPlaneHarness } from '../testing/control-plane-harness';

const ALL = [
  'tasks:read',
  'tasks:write',
  'runs:read',
  'runs:write',
  'approvals:write',
  'llm:invoke',
  'keys:manage',
  'members:manage',
  'usage:read',
];

/** Polls until `check` holds; returns how long it took (ms). */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

describe('API keys', () => {
  let h: ControlPlaneHarness;
  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
    await h.addInstance(); // a second instance sharing the database and Redis
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates a key whose secret is shown once and never stored', async () => {
    const tenant = await h.createTenant();
    const created = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'ci', scopes: ['runs:read', 'runs:write'] },
    });
    expect(created.status).toBe(201);
    const secret: string = created.body.secret;
    expect(parseSecret(secret)).toBe('tenant');
    expect(created.body).toMatchObject({
      name: 'ci',
      scopes: ['runs:read', 'runs:write'],
      status: 'active',
      prefix: secret.slice(0, 12),
      lastFour: secret.slice(-4),
    });
    expect(created.body.createdBy).toEqual({ type: 'API_KEY', id: tenant.keyId });

    const shown = await h.request('GET', `/api/v1/api-keys/${created.body.id}`, {
      key: tenant.key,
    });
    expect(shown.status).toBe(200);
    expect(shown.body.secret).toBeUndefined();
    const listed = await h.request('GET', '/api/v1/api-keys', { key: tenant.key });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const rows = await h.sql<{ secret_hash: string }>(
      'select secret_hash from api_keys where id = $1',
      [created.body.id],
    );
    expect(rows[0].secret_hash).not.toContain(secret.slice(4, 20));

    const me = await h.request('GET', '/api/v1/me', { key: secret });
    expect(me.body).toMatchObject({
      type: 'API_KEY',
      id: created.body.id,
      tenantId: tenant.id,
      scopes: ['runs:read', 'runs:write'],
    });
  });

  it('enforces scopes: a key without keys:manage cannot manage keys, and cannot grant what it lacks', async () => {
    const tenant = await h.createTenant();
    const reader = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'r', scopes: ['runs:read'] },
    });
    const denied = await h.request('GET', '/api/v1/api-keys', { key: reader.body.secret });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('forbidden');

    const manager = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'm', scopes: ['keys:manage'] },
    });
    const escalate = await h.request('POST', '/api/v1/api-keys', {
      key: manager.body.secret,
      body: { name: 'x', scopes: ['keys:manage', 'members:manage'] },
    });
    expect(escalate.status).toBe(403);
    expect(escalate.body.detail).toContain('members:manage');
  });

  it('revocation is seen by a second instance within one second', async () => {
    const tenant = await h.createTenant();
    const key = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'k', scopes: ['runs:read'] },
    });
    // Warm both instances' caches so the second one would answer from memory.
    for (const instance of [0, 1]) {
      expect(
        (await h.request('GET', '/api/v1/me', { key: key.body.secret }, instance)).status,
      ).toBe(200);
    }
    const revoked = await h.request(
      'POST',
      `/api/v1/api-keys/${key.body.id}/revoke`,
      { key: tenant.key },
      0,
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    const elapsed = await within(
      1000,
      async () =>
        (await h.request('GET', '/api/v1/me', { key: key.body.secret }, 1)).status === 401,
    );
    expect(elapsed).toBeLessThan(1000);
    const again = await h.request('POST', `/api/v1/api-keys/${key.body.id}/revoke`, {
      key: tenant.key,
    });
    expect(again.status).toBe(200);
    // One revocation, one audit row: revoking again changes nothing.
    const audits = await h.sql(
      'select action from audit_logs where target_id = $1 order by created_at',
      [key.body.id],
    );
    expect(audits).toEqual([{ action: 'api_key.created' }, { action: 'api_key.revoked' }]);
  });

  it('rotation issues a successor; the old secret works through the grace period only', async () => {
    const tenant = await h.createTenant();
    const old = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'svc', scopes: ['runs:read'] },
    });
    const rotated = await h.request('POST', `/api/v1/api-keys/${old.body.id}/rotate`, {
      key: tenant.key,
      body: { gracePeriodSeconds: 1 },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({
      name: 'svc',
      scopes: ['runs:read'],
      rotatedFromId: old.body.id,
    });
    expect(rotated.body.secret).not.toBe(old.body.secret);
    expect((await h.request('GET', '/api/v1/me', { key: old.body.secret }, 1)).status).toBe(200);
    expect((await h.request('GET', '/api/v1/me', { key: rotated.body.secret }, 1)).status).toBe(
      200,
    );
    await within(
      3000,
      async () =>
        (await h.request('GET', '/api/v1/me', { key: old.body.secret }, 1)).status === 401,
    );
    expect((await h.request('GET', '/api/v1/me', { key: rotated.body.secret }, 1)).status).toBe(
      200,
    );

    const immediate = await h.request('POST', `/api/v1/api-keys/${rotated.body.id}/rotate`, {
      key: tenant.key,
      body: { gracePeriodSeconds: 0 },
    });
    expect(immediate.status).toBe(201);
    expect((await h.request('GET', '/api/v1/me', { key: rotated.body.secret }, 1)).status).toBe(
      401,
    );
    const rerotate = await h.request('POST', `/api/v1/api-keys/${rotated.body.id}/rotate`, {
      key: tenant.key,
      body: {},
    });
    expect(rerotate.status).toBe(409);
  });

  it('an expired key stops working', async () => {
    const tenant = await h.createTenant();
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const key = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'short', scopes: ['runs:read'], expiresAt },
    });
    expect(key.status).toBe(201);
    expect((await h.request('GET', '/api/v1/me', { key: key.body.secret })).status).toBe(200);
    await within(
      4000,
      async () => (await h.request('GET', '/api/v1/me', { key: key.body.secret })).status === 401,
    );
    const shown = await h.request('GET', `/api/v1/api-keys/${key.body.id}`, { key: tenant.key });
    expect(shown.body.status).toBe('expired');
  });

  it('suspending a tenant stops its keys on every instance; reactivating restores them', async () => {
    const tenant = await h.createTenant();
    expect((await h.request('GET', '/api/v1/me', { key: tenant.key }, 1)).status).toBe(200);
    const suspended = await h.request('PATCH', `/api/v1/admin/tenants/${tenant.id}`, {
      key: h.adminKey,
      body: { status: 'SUSPENDED' },
    });
    expect(suspended.status).toBe(200);
    await within(
      1000,
      async () => (await h.request('GET', '/api/v1/me', { key: tenant.key }, 1)).status === 401,
    );
    // The platform admin can still look inside a suspended tenant.
    expect(
      (await h.request('GET', '/api/v1/members', { key: h.adminKey, tenant: tenant.id })).status,
    ).toBe(200);
    await h.request('PATCH', `/api/v1/admin/tenants/${tenant.id}`, {
      key: h.adminKey,
      body: { status: 'ACTIVE' },
    });
    await within(
      1000,
      async () => (await h.request('GET', '/api/v1/me', { key: tenant.key }, 1)).status === 200,
    );
  });

  it('a deleted tenant disappears and its keys stop working', async () => {
    const tenant = await h.createTenant();
    expect(
      (await h.request('DELETE', `/api/v1/admin/tenants/${tenant.id}`, { key: h.adminKey })).status,
    ).toBe(204);
    expect(
      (await h.request('GET', `/api/v1/admin/tenants/${tenant.id}`, { key: h.adminKey })).status,
    ).toBe(404);
    expect((await h.request('GET', '/api/v1/me', { key: tenant.key }, 1)).status).toBe(401);
    const rows = await h.sql('select deleted_at from tenants where id = $1', [tenant.id]);
    expect(rows[0].deleted_at).not.toBeNull();
  });

  it('records lastUsedAt without a write per request', async () => {
    const tenant = await h.createTenant();
    const key = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'used', scopes: ALL.slice(0, 1) },
    });
    await h.request('GET', '/api/v1/me', { key: key.body.secret });
    await within(2000, async () => {
      const shown = await h.request('GET', `/api/v1/api-keys/${key.body.id}`, { key: tenant.key });
      return shown.body.lastUsedAt !== null;
    });
  });

  it('pages through keys with signed cursors', async () => {
    const tenant = await h.createTenant();
    for (let i = 0; i < 4; i++) {
      await h.request('POST', '/api/v1/api-keys', {
        key: tenant.key,
        body: { name: `k${i}`, scopes: ['runs:read'] },
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await h.request(
        'GET',
        `/api/v1/api-keys?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { key: tenant.key },
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5); // four new keys and the harness's all-scopes key
    expect(new Set(seen).size).toBe(5);
  });

  it('slows down repeated authentication failures from one address with 429', async () => {
    const limited = await ControlPlaneHarness.start({ GNOMON_AUTH_FAILURE_LIMIT: '3' });
    try {
      // A fresh documentation-range address per run: Redis keeps failure windows across runs.
      const address = `2001:db8::${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
      for (let i = 0; i < 3; i++) {
        expect(
          (
            await limited.request('GET', '/api/v1/me', {
              key: `gnm_wrong${i}`,
              remoteAddress: address,
            })
          ).status,
        ).toBe(401);
      }
      const blocked = await limited.request('GET', '/api/v1/me', {
        key: limited.adminKey,
        remoteAddress: address,
      });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(
        (
          await limited.request('GET', '/api/v1/me', {
            key: limited.adminKey,
            remoteAddress: `2001:db8::1:${randomBytes(2).toString('hex')}`,
          })
        ).status,
      ).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

import { CredentialCipher } from '@gnomon/auth';
import { ControlPlaneHarness } from '../testing/control-plane-harness';

describe('provider credentials (bring your own key)', () => {
  let h: ControlPlaneHarness;
  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  it('stores the key sealed with AES-256-GCM and never returns it', async () => {
    const tenant = await h.createTenant();
    const apiKey = 'sk-ant-tenant-own-secret-1234';
    const created = await h.request('POST', '/api/v1/provider-credentials', {
      key: tenant.key,
      body: { provider: 'anthropic', apiKey },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      provider: 'anthropic',
      label: 'default',
      lastFour: '1234',
      baseUrl: null,
    });
    expect(JSON.stringify(created.body)).not.toContain('tenant-own-secret');

    const listed = await h.request('GET', '/api/v1/provider-credentials', { key: tenant.key });
    const shown = await h.request('GET', `/api/v1/provider-credentials/${created.body.id}`, {
      key: tenant.key,
    });
    for (const res of [listed, shown])
      expect(JSON.stringify(res.body)).not.toContain('tenant-own-secret');

    const [row] = await h.sql<{ ciphertext: Buffer; iv: Buffer; auth_tag: Buffer }>(
      'select ciphertext, iv, auth_tag from provider_credentials where id = $1',
      [created.body.id],
    );
    expect(row.ciphertext.includes(Buffer.from('tenant-own-secret'))).toBe(false);
    const cipher = new CredentialCipher(h.config.secrets.encryptionKey);
    expect(
      cipher.open({ ciphertext: row.ciphertext, iv: row.iv, authTag: row.auth_tag }, tenant.id),
    ).toBe(apiKey);
    const audit = await h.sql('select action from audit_logs where target_id = $1', [
      created.body.id,
    ]);
    expect(audit).toEqual([{ action: 'provider_credential.created' }]);
    expect(
      JSON.stringify(
        await h.sql('select metadata from audit_logs where target_id = $1', [created.body.id]),
      ),
    ).not.toContain('tenant-own-secret');
  });

  it('refuses a second credential with the same provider and label, and bad input, writing nothing', async () => {
    const tenant = await h.createTenant();
    const body = { provider: 'openai', label: 'prod', apiKey: 'sk-first-key-0001' };
    expect(
      (await h.request('POST', '/api/v1/provider-credentials', { key: tenant.key, body })).status,
    ).toBe(201);
    const duplicate = await h.request('POST', '/api/v1/provider-credentials', {
      key: tenant.key,
      body,
    });
    expect(duplicate.status).toBe(409);
    for (const bad of [
      { provider: 'OpenAI!', apiKey: 'sk-xxxxxxxx' },
      { provider: 'openai', apiKey: 'short' },
      { provider: 'openai', apiKey: 'sk-xxxxxxxx', extra: true },
      { provider: 'openai', apiKey: 'sk-xxxxxxxx', baseUrl: 'not a url' },
    ]) {
      const res = await h.request('POST', '/api/v1/provider-credentials', {
        key: tenant.key,
        body: bad,
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    const rows = await h.sql('select id from provider_credentials where tenant_id = $1', [
      tenant.id,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('deletes a credential (the sealed key is destroyed) and requires keys:manage', async () => {
    const tenant = await h.createTenant();
    const created = await h.request('POST', '/api/v1/provider-credentials', {
      key: tenant.key,
      body: { provider: 'gemini', apiKey: 'gemini-key-abcdef' },
    });
    const reader = await h.request('POST', '/api/v1/api-keys', {
      key: tenant.key,
      body: { name: 'r', scopes: ['usage:read'] },
    });
    expect(
      (await h.request('GET', '/api/v1/provider-credentials', { key: reader.body.secret })).status,
    ).toBe(403);
    expect(
      (
        await h.request('DELETE', `/api/v1/provider-credentials/${created.body.id}`, {
          key: tenant.key,
        })
      ).status,
    ).toBe(204);
    expect(
      await h.sql('select 1 from provider_credentials where id = $1', [created.body.id]),
    ).toEqual([]);
    expect(
      (
        await h.request('GET', `/api/v1/provider-credentials/${created.body.id}`, {
          key: tenant.key,
        })
      ).status,
    ).toBe(404);
  });
});

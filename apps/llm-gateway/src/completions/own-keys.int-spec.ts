import { CredentialCipher } from '@gnomon/auth';
import { startAnthropicFake, type AnthropicFake } from '@gnomon/testing';
import { GatewayHarness } from '../testing/gateway-harness';

/** Bring your own key: a tenant's stored provider key serves its calls, and only its calls. */
describe('tenant provider credentials in the gateway', () => {
  let h: GatewayHarness;
  let anthropic: AnthropicFake;

  beforeAll(async () => {
    anthropic = await startAnthropicFake({ apiKey: 'sk-ant-tenant-own-key' });
    // The platform offers no Anthropic key of its own.
    h = await GatewayHarness.start();
  });
  afterAll(async () => {
    await h.close();
    await anthropic.close();
  });

  async function storeKey(tenantId: string, apiKey: string) {
    const sealed = new CredentialCipher(h.config.secrets.encryptionKey).seal(apiKey, tenantId);
    await h.sql(
      `insert into provider_credentials (tenant_id, provider, label, base_url, ciphertext, iv, auth_tag, last_four)
       values ($1, 'anthropic', 'default', $2, $3, $4, $5, $6)`,
      [tenantId, anthropic.url, sealed.ciphertext, sealed.iv, sealed.authTag, apiKey.slice(-4)],
    );
  }

  it("uses the tenant's own key for its calls and offers the provider to that tenant only", async () => {
    const owner = await h.createTenant();
    const other = await h.createTenant();
    await storeKey(owner.tenantId, 'sk-ant-tenant-own-key');
    anthropic.script({ kind: 'ok', content: 'answered with your own key' });

    const { data, response } = await h
      .client(owner.key)
      .chat.completions.create({
        model: 'anthropic/claude-haiku-4-5',
        messages: [{ role: 'user', content: 'hi' }],
      })
      .withResponse();
    expect(data.choices[0].message.content).toBe('answered with your own key');
    expect(response.headers.get('x-gnomon-provider')).toBe('anthropic');
    const sent = anthropic.requests.at(-1)!;
    expect(JSON.stringify(sent.headers)).toContain('sk-ant-tenant-own-key');

    expect((await h.client(owner.key).models.list()).data.map((m) => m.id)).toContain(
      'anthropic/claude-haiku-4-5',
    );
    expect((await h.client(other.key).models.list()).data.map((m) => m.id)).not.toContain(
      'anthropic/claude-haiku-4-5',
    );
    await expect(
      h.client(other.key).chat.completions.create({
        model: 'anthropic/claude-haiku-4-5',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toMatchObject({ status: 502, code: 'provider_unavailable' });
    expect(anthropic.requests).toHaveLength(1);
  });
});

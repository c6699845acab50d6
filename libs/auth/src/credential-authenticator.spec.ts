import { generateSecret } from './api-key-format';
import { CredentialAuthenticator, type CredentialSource } from './credential-authenticator';
import { LocalOnlyCredentialCache } from './credential-cache';
import type { CredentialRecord } from './principal';
import { SecretHasher } from './secret-hasher';

/** An in-memory credential store that counts lookups. */
class FakeSource implements CredentialSource {
  readonly records = new Map<string, CredentialRecord>();
  lookups = 0;
  onLookup: () => Promise<void> = () => Promise.resolve();

  async findByHash(hash: string): Promise<CredentialRecord> {
    this.lookups += 1;
    const record = this.records.get(hash) ?? { kind: 'unknown' };
    await this.onLookup();
    return record;
  }
}

const tenantKey = (
  overrides: Partial<Extract<CredentialRecord, { kind: 'tenant-key' }>> = {},
): CredentialRecord => ({
  kind: 'tenant-key',
  keyId: 'k1',
  tenantId: 't1',
  memberId: null,
  memberRole: null,
  scopes: ['runs:read'],
  expiresAt: null,
  revoked: false,
  tenantActive: true,
  ...overrides,
});

describe('CredentialAuthenticator', () => {
  const hasher = new SecretHasher('a-test-pepper-of-some-length');
  let now = 1_000_000;
  let source: FakeSource;
  let authenticator: CredentialAuthenticator;

  beforeEach(async () => {
    source = new FakeSource();
    authenticator = new CredentialAuthenticator(hasher, source, new LocalOnlyCredentialCache(), {
      now: () => now,
    });
    await authenticator.start();
  });

  it('authenticates a known key and caches it in process', async () => {
    const secret = generateSecret('tenant');
    source.records.set(hasher.hash(secret), tenantKey());
    const first = await authenticator.authenticate(secret);
    expect(first).toMatchObject({
      ok: true,
      principal: { type: 'API_KEY', id: 'k1', tenantId: 't1' },
    });
    await authenticator.authenticate(secret);
    expect(source.lookups).toBe(1);
  });

  it('caches misses too, and rejects malformed Gnomon-looking secrets without a lookup', async () => {
    const unknown = generateSecret('tenant');
    expect(await authenticator.authenticate(unknown)).toEqual({ ok: false, reason: 'unknown' });
    expect(await authenticator.authenticate(unknown)).toEqual({ ok: false, reason: 'unknown' });
    expect(source.lookups).toBe(1);
    expect(await authenticator.authenticate(`${unknown.slice(0, -1)}x`)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(await authenticator.authenticate(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(source.lookups).toBe(1);
  });

  it('refuses revoked, expired and inactive-tenant keys', async () => {
    const cases: [CredentialRecord, string][] = [
      [tenantKey({ revoked: true }), 'revoked'],
      [tenantKey({ expiresAt: now - 1 }), 'expired'],
      [tenantKey({ tenantActive: false }), 'tenant_inactive'],
    ];
    for (const [record, reason] of cases) {
      const secret = generateSecret('tenant');
      source.records.set(hasher.hash(secret), record);
      expect(await authenticator.authenticate(secret)).toEqual({ ok: false, reason });
    }
  });

  it('checks expiry at every request, even from the cache', async () => {
    const secret = generateSecret('tenant');
    source.records.set(hasher.hash(secret), tenantKey({ expiresAt: now + 1000 }));
    expect((await authenticator.authenticate(secret)).ok).toBe(true);
    now += 1000;
    expect(await authenticator.authenticate(secret)).toEqual({ ok: false, reason: 'expired' });
    expect(source.lookups).toBe(1);
  });

  it('forgets an invalidated key at once', async () => {
    const secret = generateSecret('tenant');
    const hash = hasher.hash(secret);
    source.records.set(hash, tenantKey());
    expect((await authenticator.authenticate(secret)).ok).toBe(true);
    source.records.set(hash, tenantKey({ revoked: true }));
    await authenticator.invalidate([hash]);
    expect(await authenticator.authenticate(secret)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('does not cache an answer from a lookup that raced with an invalidation', async () => {
    const secret = generateSecret('tenant');
    const hash = hasher.hash(secret);
    source.records.set(hash, tenantKey());
    // The lookup reads the old row; the revocation commits and invalidates before it returns.
    source.onLookup = async () => {
      source.onLookup = () => Promise.resolve();
      source.records.set(hash, tenantKey({ revoked: true }));
      await authenticator.invalidate([hash]);
    };
    const stale = await authenticator.authenticate(secret);
    expect(stale.ok).toBe(true); // answered from the row it read
    expect(await authenticator.authenticate(secret)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('tells other listeners about every invalidation (sessions share the channel)', async () => {
    const heard: (string[] | 'all')[] = [];
    authenticator.onInvalidate((hashes) => heard.push(hashes));
    await authenticator.invalidate(['h1', 'h2']);
    expect(heard).toContainEqual(['h1', 'h2']);
  });

  it('gives platform keys every scope and no tenant', async () => {
    const secret = 'an-operator-chosen-admin-key';
    source.records.set(hasher.hash(secret), { kind: 'platform-key', keyId: 'p1', revoked: false });
    const result = await authenticator.authenticate(secret);
    expect(result.ok && result.principal.type).toBe('PLATFORM_ADMIN');
    expect(result.ok && result.principal.tenantId).toBeNull();
    expect(result.ok && result.principal.scopes.has('keys:manage')).toBe(true);
  });
});

import { ROLE_SCOPES } from '@gnomon/contracts';
import { CredentialAuthenticator } from './credential-authenticator';
import { LocalOnlyCredentialCache } from './credential-cache';
import { generateOpaqueToken } from './opaque-token';
import { SecretHasher } from './secret-hasher';
import {
  SessionAuthenticator,
  type SessionRecord,
  type SessionSource,
} from './session-authenticator';
import type { SessionTimes } from './session-expiry';

const MINUTE = 60_000;

/** Sessions in memory, counting lookups and recording activity writes. */
class FakeSessions implements SessionSource {
  readonly records = new Map<string, SessionRecord>();
  readonly touches: SessionTimes[] = [];
  lookups = 0;
  onLookup: () => Promise<void> = () => Promise.resolve();

  async findByHash(hash: string): Promise<SessionRecord | null> {
    this.lookups += 1;
    const record = this.records.get(hash) ?? null;
    await this.onLookup();
    return record ? { ...record } : null;
  }

  async touch(record: SessionRecord, times: SessionTimes): Promise<void> {
    this.touches.push(times);
    await Promise.resolve();
    for (const [hash, stored] of this.records)
      if (stored.sessionId === record.sessionId) this.records.set(hash, { ...stored, ...times });
  }
}

describe('SessionAuthenticator', () => {
  const hasher = new SecretHasher('a-test-pepper-of-some-length');
  let now: number;
  let source: FakeSessions;
  let bus: CredentialAuthenticator;
  let sessions: SessionAuthenticator;

  const memberSession = (overrides: Partial<SessionRecord> = {}): SessionRecord =>
    ({
      sessionId: 's1',
      principalType: 'MEMBER',
      tenantId: 't1',
      memberId: 'm1',
      memberRole: 'VIEWER',
      email: 'v@example.test',
      name: 'V',
      tenantName: 'T',
      lastSeenAt: now,
      idleExpiresAt: now + 30 * MINUTE,
      expiresAt: now + 12 * 60 * MINUTE,
      revoked: false,
      tenantActive: true,
      ...overrides,
    }) as SessionRecord;
  const stored = (record: SessionRecord = memberSession()) => {
    const secret = generateOpaqueToken();
    source.records.set(hasher.hash(secret), record);
    return secret;
  };

  beforeEach(async () => {
    now = 1_000_000_000;
    source = new FakeSessions();
    bus = new CredentialAuthenticator(
      hasher,
      { findByHash: () => Promise.resolve({ kind: 'unknown' }) },
      new LocalOnlyCredentialCache(),
    );
    await bus.start();
    sessions = new SessionAuthenticator(hasher, source, bus, {
      idleMs: 30 * MINUTE,
      now: () => now,
    });
  });

  it('turns a live member session into a MEMBER principal with its role scopes, cached', async () => {
    const secret = stored();
    const result = await sessions.authenticate(secret);
    expect(result.ok && result.principal).toMatchObject({
      type: 'MEMBER',
      id: 'm1',
      tenantId: 't1',
      memberId: 'm1',
      memberRole: 'VIEWER',
      scopes: new Set(ROLE_SCOPES.VIEWER),
      session: { id: 's1', secretHash: hasher.hash(secret), tenantName: 'T' },
    });
    const csrf = result.ok ? result.principal.session?.csrfToken : undefined;
    expect(csrf).toBe(sessions.csrfTokenFor(secret));
    expect(csrf).not.toBe(hasher.hash(secret));
    await sessions.authenticate(secret);
    expect(source.lookups).toBe(1);
  });

  it('gives a platform-admin session every scope and no tenant', async () => {
    const secret = stored({
      ...memberSession(),
      principalType: 'PLATFORM_ADMIN',
      platformKeyId: 'p1',
    });
    const result = await sessions.authenticate(secret);
    expect(result.ok && result.principal.type).toBe('PLATFORM_ADMIN');
    expect(result.ok && result.principal.id).toBe('p1');
    expect(result.ok && result.principal.tenantId).toBeNull();
    expect(result.ok && result.principal.scopes.has('members:manage')).toBe(true);
  });

  it('refuses malformed, unknown, revoked, expired and inactive-tenant sessions', async () => {
    let slowPaths = 0;
    const count = () => {
      slowPaths += 1;
      return Promise.resolve();
    };
    expect(await sessions.authenticate('not a session', count)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(source.lookups).toBe(0);
    expect(await sessions.authenticate(generateOpaqueToken(), count)).toEqual({
      ok: false,
      reason: 'unknown',
    });
    expect(slowPaths).toBe(2);
    const cases: [Partial<SessionRecord>, string][] = [
      [{ revoked: true }, 'revoked'],
      [{ idleExpiresAt: now }, 'expired'],
      [{ expiresAt: now }, 'expired'],
      [{ tenantActive: false }, 'tenant_inactive'],
    ];
    for (const [overrides, reason] of cases) {
      expect(await sessions.authenticate(stored(memberSession(overrides)))).toEqual({
        ok: false,
        reason,
      });
    }
  });

  it('forgets a session the moment its hash is invalidated on the shared channel', async () => {
    const secret = stored();
    const hash = hasher.hash(secret);
    expect((await sessions.authenticate(secret)).ok).toBe(true);
    source.records.set(hash, memberSession({ revoked: true }));
    await bus.invalidate([hash]); // e.g. sign-out, here or on a peer
    expect(await sessions.authenticate(secret)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('does not cache an answer from a lookup that raced with an invalidation', async () => {
    const secret = stored();
    const hash = hasher.hash(secret);
    source.onLookup = async () => {
      source.onLookup = () => Promise.resolve();
      source.records.set(hash, memberSession({ revoked: true }));
      await sessions.invalidate([hash]);
    };
    expect((await sessions.authenticate(secret)).ok).toBe(true); // answered from what it read
    expect(await sessions.authenticate(secret)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('writes activity at most once a minute, one write for concurrent requests, and slides', async () => {
    const secret = stored();
    now += 30_000;
    await sessions.authenticate(secret);
    expect(source.touches).toHaveLength(0);
    now += 30_000;
    const results = await Promise.all([1, 2, 3].map(() => sessions.authenticate(secret)));
    expect(source.touches).toEqual([
      { lastSeenAt: now, idleExpiresAt: now + 30 * MINUTE, expiresAt: expect.any(Number) },
    ]);
    for (const result of results)
      expect(result.ok && result.principal.session?.idleExpiresAt).toBe(now + 30 * MINUTE);
    now += 29 * MINUTE; // past the first idle expiry, within the slid one
    expect((await sessions.authenticate(secret)).ok).toBe(true);
    expect(source.touches).toHaveLength(2);
  });

  it('confirms an apparent idle expiry with the source (a peer may have seen activity)', async () => {
    sessions = new SessionAuthenticator(hasher, source, bus, {
      idleMs: 30 * MINUTE,
      localTtlMs: 60 * MINUTE,
      now: () => now,
    });
    const secret = stored();
    expect((await sessions.authenticate(secret)).ok).toBe(true);
    // Another instance recorded activity 20 minutes in; this one's copy does not know.
    source.records.set(
      hasher.hash(secret),
      memberSession({ lastSeenAt: now + 20 * MINUTE, idleExpiresAt: now + 50 * MINUTE }),
    );
    now += 40 * MINUTE;
    expect((await sessions.authenticate(secret)).ok).toBe(true);
    expect(source.lookups).toBe(2);
    // That request slid the expiry to 70 minutes; the database agrees past it.
    now += 31 * MINUTE;
    expect(await sessions.authenticate(secret)).toEqual({ ok: false, reason: 'expired' });
  });
});

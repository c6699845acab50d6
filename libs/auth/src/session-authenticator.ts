import { API_KEY_SCOPES, ROLE_SCOPES, type ApiKeyScope, type MemberRole } from '@gnomon/contracts';
import type { InvalidationListener } from './credential-cache';
import { isOpaqueTokenShape } from './opaque-token';
import type { Principal } from './principal';
import type { SecretHasher } from './secret-hasher';
import { isSessionLive, needsTouch, touchedTimes, type SessionTimes } from './session-expiry';

/** A stored session with what its principal needs, as the source reads it. */
export type SessionRecord = SessionTimes & {
  sessionId: string;
  email: string | null;
  name: string | null;
  tenantName: string | null;
  /** Signed out, or (platform admin) the key it was opened with was revoked. */
  revoked: boolean;
  /** The member's tenant is active and not deleted (always true for platform admins). */
  tenantActive: boolean;
} & (
    | { principalType: 'MEMBER'; tenantId: string; memberId: string; memberRole: MemberRole }
    | { principalType: 'PLATFORM_ADMIN'; platformKeyId: string }
  );

/** Where sessions really live (the database). */
export interface SessionSource {
  findByHash(hash: string): Promise<SessionRecord | null>;
  /** Records activity: the new times, never moving anything backwards. */
  touch(record: SessionRecord, times: SessionTimes): Promise<void>;
}

/** The channel that tells every instance which secret hashes changed (CredentialAuthenticator). */
export interface InvalidationBus {
  invalidate(hashes: string[]): Promise<void>;
  onInvalidate(listener: InvalidationListener): void;
}

export interface SessionAuthenticatorOptions {
  idleMs: number;
  /** Activity is written at most this often per session (default one minute). */
  touchIntervalMs?: number;
  /** How long this process trusts its own copy; peers' invalidations cut it short. */
  localTtlMs?: number;
  maxLocalEntries?: number;
  now?: () => number;
  onTouchError?: (error: unknown) => void;
}

export type SessionAuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'expired' | 'tenant_inactive' };

interface LocalEntry {
  record: SessionRecord;
  until: number;
}

const ALL_SCOPES: ReadonlySet<ApiKeyScope> = new Set(API_KEY_SCOPES);

/**
 * Checks the session cookie of a dashboard request: HMAC of the secret → in-process cache →
 * database. Ending a session (sign-out, role change, member removed) invalidates its hash
 * through the credential invalidation channel, so it takes effect at once here and on peers;
 * a lost message is bounded by `localTtlMs`. A cached record can only look *older* than the
 * database (its activity is refreshed by any instance), so an apparent idle expiry is confirmed
 * against the database before the session is refused.
 */
export class SessionAuthenticator {
  private readonly local = new Map<string, LocalEntry>();
  private readonly touching = new Map<string, Promise<void>>();
  private generation = 0;
  private readonly touchIntervalMs: number;
  private readonly localTtlMs: number;
  private readonly maxLocalEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly hasher: SecretHasher,
    private readonly source: SessionSource,
    private readonly bus: InvalidationBus,
    private readonly options: SessionAuthenticatorOptions,
  ) {
    this.touchIntervalMs = options.touchIntervalMs ?? 60_000;
    this.localTtlMs = options.localTtlMs ?? 30_000;
    this.maxLocalEntries = options.maxLocalEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    bus.onInvalidate((hashes) => this.forget(hashes));
  }

  hash(secret: string): string {
    return this.hasher.hash(secret);
  }

  /** The CSRF token of a session: derived from its secret, so only its holder can know it. */
  csrfTokenFor(secret: string): string {
    return this.hasher.hash(`csrf:${secret}`);
  }

  /**
   * `beforeSlowPath` runs before anything but the in-process cache is consulted (and before a
   * malformed secret is refused): the place for abuse checks a known session need not pay for.
   */
  async authenticate(
    secret: string,
    beforeSlowPath?: () => Promise<void>,
  ): Promise<SessionAuthResult> {
    if (!isOpaqueTokenShape(secret)) {
      await beforeSlowPath?.();
      return { ok: false, reason: 'malformed' };
    }
    const hash = this.hasher.hash(secret);
    const cached = this.local.get(hash);
    const fromCache = cached !== undefined && cached.until > this.now();
    if (!fromCache) await beforeSlowPath?.();
    let record = fromCache ? cached.record : await this.load(hash);
    if (record && fromCache && !isSessionLive(record, this.now())) {
      this.local.delete(hash);
      record = await this.load(hash);
    }
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.revoked) return { ok: false, reason: 'revoked' };
    if (!isSessionLive(record, this.now())) return { ok: false, reason: 'expired' };
    if (!record.tenantActive) return { ok: false, reason: 'tenant_inactive' };
    const current = await this.touch(hash, record);
    return { ok: true, principal: this.principalOf(current, hash, secret) };
  }

  /** Drop these hashes here and on every peer (call after the database change committed). */
  invalidate(hashes: string[]): Promise<void> {
    return this.bus.invalidate(hashes);
  }

  private forget(hashes: string[] | 'all'): void {
    this.generation += 1;
    if (hashes === 'all') this.local.clear();
    else for (const hash of hashes) this.local.delete(hash);
  }

  private async load(hash: string): Promise<SessionRecord | null> {
    const generation = this.generation;
    const record = await this.source.findByHash(hash);
    // A lookup that raced with an invalidation answers this request but is not kept.
    if (record && generation === this.generation) this.remember(hash, record);
    return record;
  }

  private remember(hash: string, record: SessionRecord): void {
    if (this.local.size >= this.maxLocalEntries) {
      const oldest = this.local.keys().next();
      if (!oldest.done) this.local.delete(oldest.value);
    }
    this.local.set(hash, { record, until: this.now() + this.localTtlMs });
  }

  /** Writes activity when the last write is a touch interval old; one write at a time. */
  private async touch(hash: string, record: SessionRecord): Promise<SessionRecord> {
    const now = this.now();
    if (!needsTouch(record, now, this.touchIntervalMs)) return record;
    const times = touchedTimes(record, now, this.options.idleMs);
    let pending = this.touching.get(record.sessionId);
    if (!pending) {
      pending = this.source
        .touch(record, times)
        .catch((error: unknown) => this.options.onTouchError?.(error))
        .finally(() => this.touching.delete(record.sessionId));
      this.touching.set(record.sessionId, pending);
    }
    await pending;
    const updated = { ...record, ...times };
    const entry = this.local.get(hash);
    if (entry?.record.sessionId === record.sessionId) entry.record = updated;
    return updated;
  }

  private principalOf(record: SessionRecord, hash: string, secret: string): Principal {
    const session = {
      id: record.sessionId,
      secretHash: hash,
      csrfToken: this.csrfTokenFor(secret),
      expiresAt: record.expiresAt,
      idleExpiresAt: record.idleExpiresAt,
      email: record.email,
      name: record.name,
      tenantName: record.tenantName,
    };
    if (record.principalType === 'PLATFORM_ADMIN') {
      return {
        type: 'PLATFORM_ADMIN',
        id: record.platformKeyId,
        tenantId: null,
        memberId: null,
        memberRole: null,
        scopes: ALL_SCOPES,
        session,
      };
    }
    return {
      type: 'MEMBER',
      id: record.memberId,
      tenantId: record.tenantId,
      memberId: record.memberId,
      memberRole: record.memberRole,
      scopes: new Set(ROLE_SCOPES[record.memberRole]),
      session,
    };
  }
}

import { API_KEY_SCOPES, type ApiKeyScope } from '@gnomon/contracts';
import { parseSecret, type KeyKind } from './api-key-format';
import type { InvalidationListener, SharedCredentialCache } from './credential-cache';
import type { AuthFailure, CredentialRecord, Principal } from './principal';
import type { SecretHasher } from './secret-hasher';

/** Where credentials really live (the database), consulted on a cache miss. */
export interface CredentialSource {
  /** `opaque` is a secret not in Gnomon's format: only a configured admin key can match. */
  findByHash(hash: string, kind: KeyKind | 'opaque'): Promise<CredentialRecord>;
}

export interface AuthenticatorOptions {
  /** How long this process trusts its own copy; peers' invalidations cut it short. */
  localTtlMs?: number;
  sharedTtlSeconds?: number;
  negativeTtlSeconds?: number;
  maxLocalEntries?: number;
  now?: () => number;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: AuthFailure };

interface LocalEntry {
  record: CredentialRecord;
  until: number;
}

const MAX_SECRET_LENGTH = 512;

/**
 * Credential check on every request: HMAC the presented secret, then in-process cache →
 * shared cache → database, misses cached too. A revocation anywhere reaches every instance
 * through the shared cache's invalidation channel.
 */
export class CredentialAuthenticator {
  private readonly local = new Map<string, LocalEntry>();
  private readonly listeners: InvalidationListener[] = [];
  /** Bumped on every invalidation; a lookup that started earlier must not fill the cache. */
  private generation = 0;
  private readonly localTtlMs: number;
  private readonly sharedTtlSeconds: number;
  private readonly negativeTtlSeconds: number;
  private readonly maxLocalEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly hasher: SecretHasher,
    private readonly source: CredentialSource,
    private readonly shared: SharedCredentialCache,
    options: AuthenticatorOptions = {},
  ) {
    this.localTtlMs = options.localTtlMs ?? 30_000;
    this.sharedTtlSeconds = options.sharedTtlSeconds ?? 300;
    this.negativeTtlSeconds = options.negativeTtlSeconds ?? 30;
    this.maxLocalEntries = options.maxLocalEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Start listening to peers' invalidations. */
  start(): Promise<void> {
    return this.shared.subscribe((hashes) => this.forget(hashes));
  }

  stop(): Promise<void> {
    return this.shared.close();
  }

  hash(secret: string): string {
    return this.hasher.hash(secret);
  }

  /**
   * `beforeSlowPath` runs before anything but the in-process cache is consulted (and before
   * rejecting a malformed secret): the place for abuse checks that a known, cached key need
   * not pay for on every request.
   */
  async authenticate(
    secret: string | undefined,
    beforeSlowPath?: () => Promise<void>,
  ): Promise<AuthResult> {
    if (secret && secret.length <= MAX_SECRET_LENGTH) {
      const hash = this.hasher.hash(secret);
      const cached = this.local.get(hash);
      if (cached && cached.until > this.now()) return this.evaluate(cached.record);
      await beforeSlowPath?.();
      const kind: KeyKind | 'opaque' = parseSecret(secret) ?? 'opaque';
      if (kind === 'opaque' && /^(gnm|gnp)_/.test(secret))
        return { ok: false, reason: 'malformed' };
      return this.evaluate(await this.lookup(hash, kind));
    }
    if (!secret) return { ok: false, reason: 'missing' };
    await beforeSlowPath?.();
    return { ok: false, reason: 'malformed' };
  }

  /** Drop these hashes here and on every peer (call after the database change committed). */
  async invalidate(hashes: string[]): Promise<void> {
    this.forget(hashes);
    await this.shared.invalidate(hashes);
  }

  /**
   * Also tell `listener` about every invalidation, local or from a peer: other caches of
   * secret hashes (dashboard sessions) ride on the same channel.
   */
  onInvalidate(listener: InvalidationListener): void {
    this.listeners.push(listener);
  }

  private forget(hashes: string[] | 'all'): void {
    this.generation += 1;
    if (hashes === 'all') this.local.clear();
    else for (const hash of hashes) this.local.delete(hash);
    for (const listener of this.listeners) listener(hashes);
  }

  private async lookup(hash: string, kind: KeyKind | 'opaque'): Promise<CredentialRecord> {
    const generation = this.generation;
    const shared = await this.shared.get(hash);
    if (shared && shared !== 'tombstone') {
      this.remember(hash, shared, generation);
      return shared;
    }
    const record = await this.source.findByHash(hash, kind);
    if (shared !== 'tombstone' && generation === this.generation) {
      const ttl = record.kind === 'unknown' ? this.negativeTtlSeconds : this.sharedTtlSeconds;
      await this.shared.fill(hash, record, ttl);
      this.remember(hash, record, generation);
    }
    return record;
  }

  private remember(hash: string, record: CredentialRecord, generation: number): void {
    if (generation !== this.generation) return;
    if (this.local.size >= this.maxLocalEntries) {
      const oldest = this.local.keys().next();
      if (!oldest.done) this.local.delete(oldest.value);
    }
    const ttl =
      record.kind === 'unknown'
        ? Math.min(this.localTtlMs, this.negativeTtlSeconds * 1000)
        : this.localTtlMs;
    this.local.set(hash, { record, until: this.now() + ttl });
  }

  private evaluate(record: CredentialRecord): AuthResult {
    switch (record.kind) {
      case 'unknown':
        return { ok: false, reason: 'unknown' };
      case 'platform-key':
        if (record.revoked) return { ok: false, reason: 'revoked' };
        return {
          ok: true,
          principal: {
            type: 'PLATFORM_ADMIN',
            id: record.keyId,
            tenantId: null,
            memberId: null,
            memberRole: null,
            scopes: ALL_SCOPES,
          },
        };
      case 'tenant-key':
        if (record.revoked) return { ok: false, reason: 'revoked' };
        if (record.expiresAt !== null && record.expiresAt <= this.now())
          return { ok: false, reason: 'expired' };
        if (!record.tenantActive) return { ok: false, reason: 'tenant_inactive' };
        return {
          ok: true,
          principal: {
            type: 'API_KEY',
            id: record.keyId,
            tenantId: record.tenantId,
            memberId: record.memberId,
            memberRole: record.memberRole,
            scopes: new Set<ApiKeyScope>(record.scopes),
          },
        };
    }
  }
}

const ALL_SCOPES: ReadonlySet<ApiKeyScope> = new Set(API_KEY_SCOPES);

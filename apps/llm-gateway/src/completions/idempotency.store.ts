import { Inject, Injectable } from '@nestjs/common';
import type { ChatCompletion } from '@gnomon/contracts';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../config/gateway.config';
import { IDEMPOTENCY_RECORDS } from '../platform/state-backend';
import { GATEWAY_CONFIG } from '../platform/tokens';

const TTL_MS = 24 * 3600 * 1000;
const PENDING_TTL_MS = 15 * 60 * 1000;

/** The first result of an idempotent request, replayed to repeats (never billed again). */
export interface StoredResult {
  requestHash: string;
  completion: ChatCompletion;
  headers: Record<string, string>;
}

export type Claim =
  | {
      kind: 'claimed';
      release(): Promise<void>;
      complete(result: Omit<StoredResult, 'requestHash'>): Promise<void>;
    }
  | { kind: 'replay'; result: StoredResult }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

/**
 * Expiring string records, the one thing idempotency needs from a store: Redis (shared by every
 * instance) or this process's memory (single-instance mode).
 */
export interface IdempotencyRecords {
  /** Stores `value` for `ttlMs` unless `key` holds an unexpired value; true when stored. */
  create(key: string, value: string, ttlMs: number): Promise<boolean>;
  get(key: string): Promise<string | null>;
  /** Stores `value` for `ttlMs`, replacing any value. */
  put(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * `Idempotency-Key` handling: the first request claims the key, repeats within 24 hours get
 * its result. Only successes are kept; a failed call releases the key so a retry runs again.
 * A claim whose request never finished (a crash) lapses after 15 minutes.
 */
@Injectable()
export class IdempotencyStore {
  constructor(
    @Inject(IDEMPOTENCY_RECORDS) private readonly records: IdempotencyRecords,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async claim(tenantId: string, key: string, requestBody: unknown): Promise<Claim> {
    const recordKey = `${this.config.env.GNOMON_REDIS_PREFIX}:idem:{t:${tenantId}}:${createHash('sha256').update(key).digest('base64url')}`;
    const requestHash = createHash('sha256')
      .update(JSON.stringify(requestBody))
      .digest('base64url');
    const pending = JSON.stringify({ state: 'pending', requestHash });
    if (await this.records.create(recordKey, pending, PENDING_TTL_MS)) {
      return {
        kind: 'claimed',
        release: () => this.records.delete(recordKey),
        complete: (result) =>
          this.records.put(
            recordKey,
            JSON.stringify({ state: 'done', requestHash, ...result }),
            TTL_MS,
          ),
      };
    }
    const raw = await this.records.get(recordKey);
    if (!raw) return this.claim(tenantId, key, requestBody);
    const stored = JSON.parse(raw) as { state: 'pending' | 'done' } & StoredResult;
    if (stored.requestHash !== requestHash) return { kind: 'mismatch' };
    if (stored.state === 'pending') return { kind: 'in_progress' };
    return { kind: 'replay', result: stored };
  }
}

export class RedisIdempotencyRecords implements IdempotencyRecords {
  constructor(private readonly redis: Redis) {}

  async create(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(key, value, 'PX', ttlMs, 'NX')) === 'OK';
  }

  get(key: string): Promise<string | null> {
    return this.redis.get(key);
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(key, value, 'PX', ttlMs);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(key);
  }
}

export interface InMemoryIdempotencyOptions {
  /** Most records kept; the oldest go first. Default 10 000. */
  maxEntries?: number;
  /** Most bytes of stored values (completions can be large). Default 64 MiB. */
  maxBytes?: number;
  clock?: () => number;
}

/**
 * Single-instance mode: the records in this process's memory, with the same expiries. Bounded:
 * past `maxEntries` or `maxBytes` the oldest records are forgotten (a repeat of a forgotten
 * request runs, and is billed, again). Lost on restart.
 */
export class InMemoryIdempotencyRecords implements IdempotencyRecords {
  private readonly records = new Map<string, { value: string; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly clock: () => number;
  private bytes = 0;
  private lastSweep = 0;

  constructor(options: InMemoryIdempotencyOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.clock = options.clock ?? Date.now;
  }

  get size(): number {
    return this.records.size;
  }

  create(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key) !== null) return Promise.resolve(false);
    this.store(key, value, ttlMs);
    return Promise.resolve(true);
  }

  get(key: string): Promise<string | null> {
    return Promise.resolve(this.live(key));
  }

  put(key: string, value: string, ttlMs: number): Promise<void> {
    this.store(key, value, ttlMs);
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.remove(key);
    return Promise.resolve();
  }

  private live(key: string): string | null {
    const record = this.records.get(key);
    if (!record) return null;
    if (record.expiresAt > this.clock()) return record.value;
    this.remove(key);
    return null;
  }

  private store(key: string, value: string, ttlMs: number): void {
    const now = this.clock();
    this.remove(key); // re-inserted last: the Map's order is the eviction order
    this.records.set(key, { value, expiresAt: now + ttlMs });
    this.bytes += value.length;
    if (now - this.lastSweep >= 60_000) {
      this.lastSweep = now;
      for (const [k, record] of this.records) if (record.expiresAt <= now) this.remove(k);
    }
    for (const oldest of this.records.keys()) {
      if (this.records.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      if (oldest === key) continue;
      this.remove(oldest);
    }
  }

  private remove(key: string): void {
    const record = this.records.get(key);
    if (!record) return;
    this.bytes -= record.value.length;
    this.records.delete(key);
  }
}

import type { Redis } from 'ioredis';
import type { CredentialRecord } from './principal';

/** What an instance hears from its peers: these hashes changed, or forget everything. */
export type InvalidationListener = (hashes: string[] | 'all') => void;

/**
 * Cache shared by every instance (Redis), plus the invalidation channel that keeps each
 * instance's in-process cache honest. "tombstone" marks a hash invalidated moments ago: the
 * reader must go to the database and must not refill the cache, so a lookup racing with a
 * revocation cannot put the stale answer back.
 */
export interface SharedCredentialCache {
  get(hash: string): Promise<CredentialRecord | 'tombstone' | null>;
  fill(hash: string, record: CredentialRecord, ttlSeconds: number): Promise<void>;
  invalidate(hashes: string[]): Promise<void>;
  subscribe(listener: InvalidationListener): Promise<void>;
  close(): Promise<void>;
}

const TOMBSTONE = '!';
const TOMBSTONE_SECONDS = 10;
const CHANNEL = 'gnomon:credentials:invalidate';
const key = (hash: string) => `gnomon:cred:${hash}`;

export class RedisCredentialCache implements SharedCredentialCache {
  private subscriber: Redis | null = null;

  constructor(private readonly redis: Redis) {}

  async get(hash: string): Promise<CredentialRecord | 'tombstone' | null> {
    const raw = await this.redis.get(key(hash));
    if (raw === null) return null;
    if (raw === TOMBSTONE) return 'tombstone';
    return JSON.parse(raw) as CredentialRecord;
  }

  async fill(hash: string, record: CredentialRecord, ttlSeconds: number): Promise<void> {
    await this.redis.set(key(hash), JSON.stringify(record), 'EX', ttlSeconds, 'NX');
  }

  async invalidate(hashes: string[]): Promise<void> {
    if (hashes.length === 0) return;
    const pipeline = this.redis.multi();
    for (const hash of hashes) pipeline.set(key(hash), TOMBSTONE, 'EX', TOMBSTONE_SECONDS);
    pipeline.publish(CHANNEL, JSON.stringify(hashes));
    await pipeline.exec();
  }

  async subscribe(listener: InvalidationListener): Promise<void> {
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => {
      listener(JSON.parse(message) as string[]);
    });
    // Messages sent while disconnected are lost: forget everything after a reconnect.
    subscriber.on('ready', () => listener('all'));
    subscriber.on('error', () => undefined);
    await subscriber.subscribe(CHANNEL);
  }

  async close(): Promise<void> {
    if (this.subscriber) await this.subscriber.quit().catch(() => undefined);
  }
}

/** Single-instance mode (no REDIS_URL): the in-process cache is the only one. */
export class LocalOnlyCredentialCache implements SharedCredentialCache {
  private listener: InvalidationListener | null = null;

  get(): Promise<null> {
    return Promise.resolve(null);
  }

  fill(): Promise<void> {
    return Promise.resolve();
  }

  invalidate(hashes: string[]): Promise<void> {
    this.listener?.(hashes);
    return Promise.resolve();
  }

  subscribe(listener: InvalidationListener): Promise<void> {
    this.listener = listener;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

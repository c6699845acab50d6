import type { Redis } from 'ioredis';

/**
 * Slows down credential guessing: after `maxFailures` failed authentications from one
 * address within `windowSeconds`, that address gets 429 until the window ends.
 */
export interface AuthFailureLimiter {
  /** Seconds to wait if the address is blocked, otherwise 0. */
  blockedFor(address: string): Promise<number>;
  recordFailure(address: string): Promise<void>;
}

export interface FailureLimitOptions {
  maxFailures: number;
  windowSeconds: number;
}

export const DEFAULT_FAILURE_LIMIT: FailureLimitOptions = { maxFailures: 20, windowSeconds: 60 };

export class RedisAuthFailureLimiter implements AuthFailureLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly options: FailureLimitOptions = DEFAULT_FAILURE_LIMIT,
  ) {}

  async blockedFor(address: string): Promise<number> {
    const [[, count], [, ttl]] = (await this.redis
      .multi()
      .get(this.key(address))
      .ttl(this.key(address))
      .exec()) as [[null, string | null], [null, number]];
    return Number(count ?? 0) >= this.options.maxFailures ? Math.max(1, ttl) : 0;
  }

  async recordFailure(address: string): Promise<void> {
    // The window starts at the first failure (NX), so a steady trickle cannot keep it open forever.
    await this.redis
      .multi()
      .incr(this.key(address))
      .expire(this.key(address), this.options.windowSeconds, 'NX')
      .exec();
  }

  private key(address: string): string {
    return `gnomon:authfail:${address}`;
  }
}

export class InMemoryAuthFailureLimiter implements AuthFailureLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly options: FailureLimitOptions = DEFAULT_FAILURE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  blockedFor(address: string): Promise<number> {
    const window = this.current(address);
    const blocked = window && window.count >= this.options.maxFailures;
    return Promise.resolve(
      blocked ? Math.max(1, Math.ceil((window.resetAt - this.now()) / 1000)) : 0,
    );
  }

  recordFailure(address: string): Promise<void> {
    const window = this.current(address) ?? {
      count: 0,
      resetAt: this.now() + this.options.windowSeconds * 1000,
    };
    window.count += 1;
    this.windows.set(address, window);
    if (this.windows.size > 100_000) this.windows.clear();
    return Promise.resolve();
  }

  private current(address: string) {
    const window = this.windows.get(address);
    if (window && window.resetAt <= this.now()) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { ChatCompletion } from '@gnomon/contracts';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../config/gateway.config';
import { GATEWAY_CONFIG, REDIS } from '../platform/tokens';

const TTL_SECONDS = 24 * 3600;
const PENDING_TTL_SECONDS = 15 * 60;

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
 * `Idempotency-Key` handling: the first request claims the key, repeats within 24 hours get
 * its result. Only successes are kept; a failed call releases the key so a retry runs again.
 */
@Injectable()
export class IdempotencyStore {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async claim(tenantId: string, key: string, requestBody: unknown): Promise<Claim> {
    const redisKey = `${this.config.env.GNOMON_REDIS_PREFIX}:idem:{t:${tenantId}}:${createHash('sha256').update(key).digest('base64url')}`;
    const requestHash = createHash('sha256')
      .update(JSON.stringify(requestBody))
      .digest('base64url');
    const pending = JSON.stringify({ state: 'pending', requestHash });
    const won = await this.redis.set(redisKey, pending, 'EX', PENDING_TTL_SECONDS, 'NX');
    if (won === 'OK') {
      return {
        kind: 'claimed',
        release: async () => {
          await this.redis.del(redisKey);
        },
        complete: async (result) => {
          await this.redis.set(
            redisKey,
            JSON.stringify({ state: 'done', requestHash, ...result }),
            'EX',
            TTL_SECONDS,
          );
        },
      };
    }
    const raw = await this.redis.get(redisKey);
    if (!raw) return this.claim(tenantId, key, requestBody);
    const stored = JSON.parse(raw) as { state: 'pending' | 'done' } & StoredResult;
    if (stored.requestHash !== requestHash) return { kind: 'mismatch' };
    if (stored.state === 'pending') return { kind: 'in_progress' };
    return { kind: 'replay', result: stored };
  }
}

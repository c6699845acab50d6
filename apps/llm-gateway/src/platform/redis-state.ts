import { RedisCredentialCache } from '@gnomon/auth';
import type { TenantDatabase } from '@gnomon/db';
import { Governor } from '@gnomon/governance';
import type { Logger } from '@gnomon/observability';
import { Redis } from 'ioredis';
import { RedisIdempotencyRecords } from '../completions/idempotency.store';
import type { GatewayConfig } from '../config/gateway.config';
import { EventSpendSource } from '../usage/event-spend-source';
import { RedisUsageStream, usageStreamKey } from '../usage/usage-stream.consumer';
import type { StateBackend } from './state-backend';

/**
 * REDIS_URL set: budgets, rate limits, idempotency records, the credential cache and the usage
 * stream live in Redis, shared by every instance; lost budget counters are rebuilt from
 * `llm_events`.
 */
export function createRedisState(
  config: GatewayConfig,
  db: TenantDatabase,
  logger: Logger,
): StateBackend {
  const url = config.env.REDIS_URL;
  if (!url) throw new Error('createRedisState needs REDIS_URL');
  // A hung or absent Redis fails calls within 2 s (fail closed), never queues them forever.
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    // A command that timed out was already answered (503); replaying it after a reconnect would
    // re-run admissions and idempotency claims nobody is waiting for.
    autoResendUnfulfilledCommands: false,
    // Commands issued in the same tick share one write (admit, settle and auth of concurrent calls).
    enableAutoPipelining: true,
    connectionName: 'gnomon-llm-gateway',
  });
  const prefix = config.env.GNOMON_REDIS_PREFIX;
  const usageEvents = new RedisUsageStream(redis, db, logger, config);
  return {
    mode: 'redis',
    redis,
    governor: new Governor(redis, new EventSpendSource(db), {
      keyPrefix: prefix,
      eventStream: usageStreamKey(prefix),
    }),
    usageEvents,
    idempotency: new RedisIdempotencyRecords(redis),
    credentialCache: new RedisCredentialCache(redis),
    check: async () =>
      (await redis.ping().catch(() => 'unreachable')) === 'PONG' ? 'ok' : 'unreachable',
    start: () => usageEvents.start(),
    stop: async () => {
      await usageEvents.stop();
      await redis.quit().catch(() => undefined);
    },
  };
}

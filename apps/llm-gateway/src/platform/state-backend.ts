import type { SharedCredentialCache } from '@gnomon/auth';
import type { UsageGovernor } from '@gnomon/governance';
import type { Redis } from 'ioredis';
import type { IdempotencyRecords } from '../completions/idempotency.store';
import type { UsageEventLog } from '../usage/usage-event-log';

/** The budget and rate-limit governor (`UsageGovernor`): Redis `Governor` or `LocalGovernor`. */
export const USAGE_GOVERNOR = Symbol('UsageGovernor');
/** Where usage events wait before they become `llm_events` rows (`UsageEventLog`). */
export const USAGE_EVENT_LOG = Symbol('UsageEventLog');
/** Expiring records behind `Idempotency-Key` (`IdempotencyRecords`). */
export const IDEMPOTENCY_RECORDS = Symbol('IdempotencyRecords');
/** The StateBackend itself (readiness, lifecycle). */
export const STATE_BACKEND = Symbol('StateBackend');

export const SINGLE_INSTANCE_READINESS = 'not configured (single-instance mode)';

/**
 * The gateway's hot-path state, chosen once by configuration (GatewayPlatformModule): with
 * REDIS_URL everything lives in Redis and any number of instances share it; without it, in
 * this process (single-instance mode). Services depend on the ports, never on the mode.
 */
export interface StateBackend {
  readonly mode: 'redis' | 'single-instance';
  /** The Redis connection; null in single-instance mode. */
  readonly redis: Redis | null;
  readonly governor: UsageGovernor;
  readonly usageEvents: UsageEventLog;
  readonly idempotency: IdempotencyRecords;
  readonly credentialCache: SharedCredentialCache;
  /** The `redis` line of /readyz: `ok`, `unreachable`, or not configured. */
  check(): Promise<string>;
  /** Starts moving usage events to Postgres. */
  start(): Promise<void>;
  /** Stops that, persisting what it still can, and closes connections. */
  stop(): Promise<void>;
}

import { LocalOnlyCredentialCache } from '@gnomon/auth';
import type { TenantDatabase } from '@gnomon/db';
import { LocalGovernor } from '@gnomon/governance';
import type { Logger } from '@gnomon/observability';
import { InMemoryIdempotencyRecords } from '../completions/idempotency.store';
import { EventSpendSource } from '../usage/event-spend-source';
import { LocalUsageQueue } from '../usage/local-usage-queue';
import { SINGLE_INSTANCE_READINESS, type StateBackend } from './state-backend';

/**
 * No REDIS_URL (what `npm start` runs): the same contracts in this process's memory. Budget
 * counters start from `llm_events` (plus events still queued) on first use of a period; usage
 * events go to Postgres through an in-process queue. Limits are per process, so run exactly
 * one gateway instance this way. What is lost with the process: unwritten usage events (a
 * graceful stop writes them), open reservations (spend already settled is in Postgres),
 * rate-limit windows and idempotency records.
 */
export function createSingleInstanceState(db: TenantDatabase, logger: Logger): StateBackend {
  const usageEvents = new LocalUsageQueue(db, logger);
  return {
    mode: 'single-instance',
    redis: null,
    governor: new LocalGovernor(usageEvents.spendSource(new EventSpendSource(db)), {
      onEvent: (fields) => usageEvents.push(fields),
    }),
    usageEvents,
    idempotency: new InMemoryIdempotencyRecords(),
    credentialCache: new LocalOnlyCredentialCache(),
    check: () => Promise.resolve(SINGLE_INSTANCE_READINESS),
    start: () => usageEvents.start(),
    stop: () => usageEvents.stop(),
  };
}

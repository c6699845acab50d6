/**
 * Where usage events go before they become `llm_events` rows. Settled and released calls reach
 * it through the governor (atomically with their settlement); calls refused before any
 * reservation are appended directly. Adapters: the Redis stream and its consumer group
 * (`RedisUsageStream`), or an in-process queue for single-instance mode (`LocalUsageQueue`).
 */
export interface UsageEventLog {
  /** Records the event of a call that reserved nothing (flat string fields, as in the stream). */
  append(fields: Record<string, string>): Promise<void>;
  /** Persists everything recorded so far to `llm_events` now; returns how many were written. */
  drain(): Promise<number>;
  /** Starts moving events to Postgres in the background. */
  start(): Promise<void>;
  /** Stops the background work, persisting what can still be persisted. */
  stop(): Promise<void>;
}

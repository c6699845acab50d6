import type { TenantDatabase } from '@gnomon/db';
import type { SpendSource } from '@gnomon/governance';
import type { Logger } from '@gnomon/observability';
import { setTimeout as sleep } from 'node:timers/promises';
import { persistUsageEvents } from './persist-usage-events';
import { fromStreamFields, type UsageEvent } from './usage-event';
import type { UsageEventLog } from './usage-event-log';

export interface LocalUsageQueueOptions {
  /** Events per insert. Default 100. */
  batchSize?: number;
  /** How long an event waits for company before it is written. Default 200 ms. */
  flushDelayMs?: number;
  /** Events kept while Postgres is unreachable; beyond it the oldest are dropped. Default 100 000. */
  maxBacklog?: number;
  /** Retry delay after a failed write, doubling up to retryMaxMs. Default 500 ms and 30 s. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How long stop() keeps trying to write what is left. Default 5 s. */
  shutdownFlushMs?: number;
}

export const SINGLE_INSTANCE_WARNING =
  'single-instance mode (no REDIS_URL): budgets, rate limits, idempotency keys and the ' +
  'credential cache live in this process, and usage events are queued in memory and written ' +
  'to Postgres within a moment. Events not yet written are LOST if the process is killed ' +
  '(SIGKILL, crash, out of memory); a graceful stop (SIGTERM, Ctrl-C) writes them first. ' +
  'Run a single gateway instance, or set REDIS_URL.';

/**
 * Single-instance mode's usage event log: events wait in this process's memory and a writer
 * moves them to `llm_events` in small batches, off the request path, with the same idempotent
 * insert as the Redis stream's consumer (so a retried batch never duplicates a row). A failed
 * write keeps the events and retries with backoff; stop() writes what is left.
 *
 * Unlike the Redis stream, the queue does not survive the process: events not yet written when
 * the process is killed are lost (a graceful shutdown flushes them; whatever still cannot be
 * written is logged in full).
 */
export class LocalUsageQueue implements UsageEventLog {
  private readonly queue: UsageEvent[] = [];
  private readonly batchSize: number;
  private readonly flushDelayMs: number;
  private readonly maxBacklog: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly shutdownFlushMs: number;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<number> | null = null;
  private failures = 0;
  private stopped = false;
  /** Serializes writes with spend reads, so an event is never counted twice nor missed. */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: TenantDatabase,
    private readonly logger: Logger,
    options: LocalUsageQueueOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.flushDelayMs = options.flushDelayMs ?? 200;
    this.maxBacklog = options.maxBacklog ?? 100_000;
    this.retryMinMs = options.retryMinMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.shutdownFlushMs = options.shutdownFlushMs ?? 5_000;
  }

  /** Events waiting to be written. */
  get backlog(): number {
    return this.queue.length;
  }

  /** Enqueues an event; synchronous, so the governor can call it inside a settlement. */
  push(fields: Record<string, string>): void {
    const event = fromStreamFields(fields);
    if (!event.id || !event.tenantId) {
      this.logger.error({ usageEvent: fields }, 'usage event without id or tenant; not recorded');
      return;
    }
    if (this.stopped) {
      this.logger.error(
        { usageEvent: event },
        'usage event recorded after shutdown; not persisted',
      );
      return;
    }
    if (this.queue.length >= this.maxBacklog) {
      const dropped = this.queue.shift();
      this.logger.error(
        { usageEvent: dropped, backlog: this.queue.length },
        'usage event queue full (is Postgres reachable?): dropped the oldest event',
      );
    }
    this.queue.push(event);
    this.schedule(this.flushDelayMs);
  }

  append(fields: Record<string, string>): Promise<void> {
    this.push(fields);
    return Promise.resolve();
  }

  start(): Promise<void> {
    this.logger.warn(SINGLE_INSTANCE_WARNING);
    return Promise.resolve();
  }

  /** Writes everything queued now (tests, tools); rejects when Postgres refuses. */
  async drain(): Promise<number> {
    this.clearTimer();
    try {
      return await this.flush();
    } catch (error) {
      this.retryLater(error);
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.clearTimer();
    const deadline = Date.now() + this.shutdownFlushMs;
    let written = 0;
    while (this.queue.length > 0 && Date.now() < deadline) {
      try {
        written += await this.flush();
      } catch (error) {
        this.logger.error({ err: error, backlog: this.queue.length }, 'usage events: write failed');
        await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
      }
    }
    this.stopped = true;
    this.clearTimer();
    if (this.queue.length > 0) {
      const lost = this.queue.splice(0);
      this.logger.error(
        { lost: lost.length, usageEvents: lost },
        `single-instance mode: ${lost.length} usage events could not be written to Postgres before shutdown and are lost (logged here in full for replay)`,
      );
    } else if (written > 0) {
      this.logger.info({ written }, 'usage events written to Postgres before shutdown');
    }
  }

  /**
   * The spend of a period as the governor's counters must start from it: what Postgres has
   * plus what is still queued here, read while no write is in progress.
   */
  spendSource(postgres: SpendSource): SpendSource {
    return {
      spentMicros: (tenantId, scope, scopeId, periodStart, periodEnd) =>
        this.exclusive(async () => {
          const stored = Number(
            await postgres.spentMicros(tenantId, scope, scopeId, periodStart, periodEnd),
          );
          const from = periodStart.getTime();
          const to = periodEnd.getTime();
          let queued = 0;
          for (const event of this.queue) {
            const at = Date.parse(event.createdAt);
            if (
              event.tenantId === tenantId &&
              (scope === 'tenant' || event.apiKeyId === scopeId) &&
              at >= from &&
              at < to
            ) {
              queued += event.costMicros;
            }
          }
          return stored + queued;
        }),
    };
  }

  private flush(): Promise<number> {
    this.flushing ??= this.writeAll().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async writeAll(): Promise<number> {
    let written = 0;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.batchSize);
      await this.exclusive(async () => {
        await persistUsageEvents(this.db, batch);
        // Only the head can have moved meanwhile (an overflow drop), so the written batch is
        // whatever of it still leads the queue.
        const done = new Set(batch);
        let count = 0;
        while (count < this.queue.length && done.has(this.queue[count])) count += 1;
        this.queue.splice(0, count);
      });
      written += batch.length;
    }
    this.failures = 0;
    return written;
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.flushing || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch((error: unknown) => this.retryLater(error));
    }, delayMs);
    this.timer.unref();
  }

  private retryLater(error: unknown): void {
    this.failures += 1;
    const delayMs = Math.min(this.retryMaxMs, this.retryMinMs * 2 ** (this.failures - 1));
    this.logger.error(
      { err: error, backlog: this.queue.length, retryInMs: delayMs },
      'could not write usage events to Postgres; retrying',
    );
    this.clearTimer();
    this.schedule(delayMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

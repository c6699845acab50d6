import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { TenantDatabase, type RunEventRow, type TenantScope } from '@gnomon/db';
import { ApiError, notFound } from '@gnomon/http-api';
import { MetricsRegistry, type Logger } from '@gnomon/observability';
import { Readable } from 'node:stream';
import { Counter, Gauge } from 'prom-client';
import { z } from 'zod';
import { isTerminalRunStatus } from '@gnomon/contracts';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { LOGGER } from '../platform/tokens';
import { RunQueryRepository } from './run-query.repository';
import { runEventView } from './run-views';

/**
 * Live run events over server-sent events, read from the run_events table: every instance
 * serves every run (no sticky sessions, no pub/sub), at the cost of one small query per open
 * stream and poll interval.
 *
 * Ordering: events are sent in id order and a resumed stream (`Last-Event-ID`) sends only
 * greater ids. That is exact as long as a run's events commit in id order, which the writers
 * guarantee by appending them while holding the run's row lock (status moves and
 * `allocateSeqs` take it).
 */

export const RUN_EVENT_STREAM_SETTINGS = Symbol('RunEventStreamSettings');

export interface RunEventStreamSettings {
  /** How often an open stream asks the database for new events. */
  pollIntervalMs: number;
  /** A comment line is sent when nothing else was for this long (proxies drop idle streams). */
  keepAliveMs: number;
  /** Open streams per instance; more → 503 with Retry-After. */
  maxStreams: number;
  /** Open streams per tenant and instance; more → 429 with Retry-After. */
  maxStreamsPerTenant: number;
  /** Events read per query. */
  batchSize: number;
  /** The reconnection delay the stream asks EventSource clients to use (`retry:`). */
  retryMs: number;
}

/**
 * The settings from the control plane's environment (`GNOMON_RUN_EVENTS_*`), defaults for
 * what it does not set.
 */
export const RunEventStreamEnv = z.object({
  GNOMON_RUN_EVENTS_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  GNOMON_RUN_EVENTS_KEEPALIVE_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  GNOMON_RUN_EVENTS_MAX_STREAMS: z.coerce.number().int().min(1).max(100_000).default(500),
  GNOMON_RUN_EVENTS_MAX_STREAMS_PER_TENANT: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(100),
});

export function runEventStreamSettings(config: ControlPlaneConfig): RunEventStreamSettings {
  const env = RunEventStreamEnv.parse(config.env);
  return {
    pollIntervalMs: env.GNOMON_RUN_EVENTS_POLL_MS,
    keepAliveMs: env.GNOMON_RUN_EVENTS_KEEPALIVE_MS,
    maxStreams: env.GNOMON_RUN_EVENTS_MAX_STREAMS,
    maxStreamsPerTenant: env.GNOMON_RUN_EVENTS_MAX_STREAMS_PER_TENANT,
    batchSize: 100,
    retryMs: 1_000,
  };
}

/** `Last-Event-ID` as an event id; absent or empty → from the start. */
export function parseLastEventId(header: string | string[] | undefined): bigint | null {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return null;
  if (!/^\d{1,19}$/.test(value) || BigInt(value) > 9_223_372_036_854_775_807n) {
    throw new ApiError('validation_failed', 'Last-Event-ID must be a run event id (digits)', {
      errors: [{ path: 'headers.last-event-id', message: 'not a run event id' }],
    });
  }
  return BigInt(value);
}

/** One SSE message: the event id, the event type and the RunEventView as JSON. */
export function eventFrame(event: RunEventRow): string {
  const type = event.type.replace(/[\r\n]/g, ' ');
  return `id: ${event.id}\nevent: ${type}\ndata: ${JSON.stringify(runEventView(event))}\n\n`;
}

interface Poll {
  /** Null when the run is not (or no longer) visible. */
  status: string | null;
  events: RunEventRow[];
}

/** One open stream: polls, writes frames, ends once the run is terminal and everything is sent. */
class RunEventFeed {
  readonly body: Readable;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly keepAliveTimer: NodeJS.Timeout;
  private lastWriteAt = Date.now();
  private stopped = false;

  constructor(
    private lastId: bigint | null,
    private readonly poll: (after: bigint | null) => Promise<Poll>,
    private readonly settings: RunEventStreamSettings,
    private readonly logger: Logger,
    onClose: () => void,
  ) {
    this.body = new Readable({ read() {}, highWaterMark: 64 * 1024 });
    // 'close' comes after the last byte went out, or when the client left (Fastify destroys
    // the body then): either way the polling stops and the slot is freed, once.
    this.body.once('close', () => {
      this.stop();
      onClose();
    });
    this.keepAliveTimer = setInterval(
      () => this.keepAlive(),
      Math.min(settings.keepAliveMs, 1_000),
    );
    this.write(`retry: ${settings.retryMs}\n\n`);
  }

  /** Writes the first poll's answer, then polls on. */
  start(first: Poll): void {
    this.deliver(first);
  }

  /** Ends the stream gracefully (the client reconnects with Last-Event-ID, elsewhere). */
  end(): void {
    if (this.stopped) return;
    this.stop();
    this.body.push(null);
  }

  private stop(): void {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearInterval(this.keepAliveTimer);
  }

  private write(chunk: string): void {
    this.lastWriteAt = Date.now();
    this.body.push(chunk);
  }

  private keepAlive(): void {
    if (this.stopped || Date.now() - this.lastWriteAt < this.settings.keepAliveMs) return;
    if (this.body.readableLength > 0) return; // the client has not read what it has yet
    this.write(': keep-alive\n\n');
  }

  private deliver(poll: Poll): void {
    if (this.stopped) return;
    for (const event of poll.events) {
      this.write(eventFrame(event));
      this.lastId = event.id;
    }
    const drained = poll.events.length < this.settings.batchSize;
    if (poll.status === null || (isTerminalRunStatus(poll.status) && drained)) {
      this.end();
      return;
    }
    this.schedule(drained ? this.settings.pollIntervalMs : 0);
  }

  private schedule(delayMs: number): void {
    this.pollTimer = setTimeout(() => void this.next(), delayMs);
  }

  private async next(): Promise<void> {
    if (this.stopped) return;
    // A client that does not read gets no more until it does (the buffer stays bounded).
    if (this.body.readableLength >= this.body.readableHighWaterMark) {
      this.schedule(this.settings.pollIntervalMs);
      return;
    }
    try {
      this.deliver(await this.poll(this.lastId));
    } catch (error) {
      if (this.stopped) return;
      // The client reconnects and resumes with Last-Event-ID (on this or another instance).
      this.logger.warn({ err: error }, 'run event stream: poll failed; ending the stream');
      this.end();
    }
  }
}

/** Opens and tracks this instance's run event streams. */
@Injectable()
export class RunEventStreams implements BeforeApplicationShutdown {
  private readonly feeds = new Set<RunEventFeed>();
  private readonly polls: Counter;
  /** Streams opened or being opened, in total and per tenant. */
  private slots = 0;
  private readonly perTenant = new Map<string, number>();

  constructor(
    @Inject(RUN_EVENT_STREAM_SETTINGS) private readonly settings: RunEventStreamSettings,
    private readonly db: TenantDatabase,
    private readonly runs: RunQueryRepository,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: MetricsRegistry,
  ) {
    const feeds = this.feeds;
    new Gauge({
      name: 'gnomon_run_event_streams_open',
      help: 'Open run event (SSE) streams on this instance',
      registers: [metrics.registry],
      collect() {
        this.set(feeds.size);
      },
    });
    this.polls = new Counter({
      name: 'gnomon_run_event_polls_total',
      help: 'Queries of the run event log made for open SSE streams',
      registers: [metrics.registry],
    });
  }

  /** Streams open (or being opened) on this instance. */
  get open(): number {
    return this.slots;
  }

  /**
   * The run's events after `lastEventId` as an SSE body. The run is looked up first, so an
   * unknown (or another tenant's) run is a 404 problem, not an empty stream.
   */
  async openStream(
    scope: TenantScope,
    runId: string,
    lastEventId: bigint | null,
  ): Promise<Readable> {
    const release = this.reserve(scope.tenantId);
    try {
      const poll = (after: bigint | null) => this.read(scope, runId, after);
      const first = await poll(lastEventId);
      if (first.status === null) throw notFound('run');
      const feed = new RunEventFeed(lastEventId, poll, this.settings, this.logger, () => {
        this.feeds.delete(feed);
        release();
      });
      this.feeds.add(feed);
      feed.start(first);
      return feed.body;
    } catch (error) {
      release();
      throw error;
    }
  }

  beforeApplicationShutdown(): void {
    for (const feed of this.feeds) feed.end();
  }

  private read(scope: TenantScope, runId: string, after: bigint | null): Promise<Poll> {
    this.polls.inc();
    // Status first: when it is terminal, the events read after it include every event the
    // run's last transaction wrote (each statement sees what committed before it began).
    return this.db.inTenant(scope, async (t) => {
      const status = await this.runs.status(t, runId);
      if (status === null) return { status, events: [] };
      return { status, events: await this.runs.events(t, runId, after, this.settings.batchSize) };
    });
  }

  /** Takes a slot for a stream; the returned function gives it back (only the first call counts). */
  private reserve(tenantId: string): () => void {
    const retryAfter = { 'retry-after': String(Math.ceil(this.settings.retryMs / 1000) + 4) };
    if (this.slots >= this.settings.maxStreams) {
      throw new ApiError(
        'service_unavailable',
        'this instance serves as many event streams as it can; retry shortly',
        { headers: retryAfter },
      );
    }
    const tenantSlots = this.perTenant.get(tenantId) ?? 0;
    if (tenantSlots >= this.settings.maxStreamsPerTenant) {
      throw new ApiError(
        'too_many_requests',
        `at most ${this.settings.maxStreamsPerTenant} open event streams per tenant; close one`,
        { headers: retryAfter },
      );
    }
    this.slots += 1;
    this.perTenant.set(tenantId, tenantSlots + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.slots -= 1;
      const left = (this.perTenant.get(tenantId) ?? 1) - 1;
      if (left > 0) this.perTenant.set(tenantId, left);
      else this.perTenant.delete(tenantId);
    };
  }
}

import type { TenantDatabase } from '@gnomon/db';
import type { Logger } from '@gnomon/observability';
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import type { GatewayConfig } from '../config/gateway.config';
import { persistUsageEvents } from './persist-usage-events';
import { fromStreamFields, type UsageEvent } from './usage-event';
import type { UsageEventLog } from './usage-event-log';

export const USAGE_GROUP = 'gnomon-usage';

/** The usage stream of a deployment (the governor appends to the same one). */
export function usageStreamKey(prefix: string): string {
  return `${prefix}:llm-events`;
}
const BATCH = 500;
const CLAIM_IDLE_MS = 30_000;
const CLAIM_EVERY_MS = 5_000;
const BATCH_WAIT_MS = 200;
const STREAM_MAX_LEN = '1000000';

type StreamEntry = [id: string, fields: string[]];

/**
 * Usage events in a Redis stream, moved into `llm_events` by a consumer group. At-least-once:
 * an entry is acknowledged only after its row is committed, and inserts skip ids already
 * present, so a crash between insert and ack neither loses nor duplicates an event. Entries a
 * dead consumer left pending are claimed after 30 s. With GNOMON_EVENT_CONSUMER=0 this instance
 * only appends (another one consumes).
 */
export class RedisUsageStream implements UsageEventLog {
  private running = false;
  private loop: Promise<void> | null = null;
  private reader: Redis | null = null;
  private readonly consumer = `${hostname()}-${process.pid}`;
  private readonly stream: string;

  constructor(
    private readonly redis: Redis,
    private readonly db: TenantDatabase,
    private readonly logger: Logger,
    private readonly config: GatewayConfig,
  ) {
    this.stream = usageStreamKey(config.env.GNOMON_REDIS_PREFIX);
  }

  async append(fields: Record<string, string>): Promise<void> {
    await this.redis.xadd(
      this.stream,
      'MAXLEN',
      '~',
      STREAM_MAX_LEN,
      '*',
      ...Object.entries(fields).flat(),
    );
  }

  async start(): Promise<void> {
    if (!this.config.env.GNOMON_EVENT_CONSUMER) return;
    await this.ensureGroup();
    // Blocking reads get their own connection so they never delay the hot path's commands.
    this.reader = this.redis.duplicate();
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.reader?.disconnect();
    await this.loop?.catch(() => undefined);
  }

  async drain(): Promise<number> {
    await this.ensureGroup();
    let total = 0;
    for (;;) {
      const count = await this.pass(0);
      total += count;
      if (count === 0) return total;
    }
  }

  private lastClaimAt = 0;

  private async ensureGroup(): Promise<void> {
    await this.redis
      .xgroup('CREATE', this.stream, USAGE_GROUP, '0', 'MKSTREAM')
      .catch((error: unknown) => {
        if (!String(error).includes('BUSYGROUP')) throw error;
      });
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        // Let events accumulate between passes: one insert of many rows costs little more
        // than one of a single row, and the serving process pays for every pass.
        if ((await this.pass(1_000)) > 0 && this.running)
          await new Promise((resolve) => setTimeout(resolve, BATCH_WAIT_MS));
      } catch (error) {
        if (!this.running) return;
        this.logger.error({ err: error }, 'usage consumer pass failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private async pass(blockMs: number): Promise<number> {
    // Entries a dead consumer left behind are looked for now and then, not on every pass.
    const claimDue = Date.now() - this.lastClaimAt >= CLAIM_EVERY_MS;
    if (claimDue) this.lastClaimAt = Date.now();
    const claimed = claimDue ? await this.claimStale() : [];
    const client = blockMs > 0 && this.reader ? this.reader : this.redis;
    const args = ['GROUP', USAGE_GROUP, this.consumer, 'COUNT', String(BATCH)];
    if (blockMs > 0) args.push('BLOCK', String(blockMs));
    const reply = (await client.call('XREADGROUP', ...args, 'STREAMS', this.stream, '>')) as
      unknown[] | null;
    const entries = [...claimed, ...streamEntries(reply)];
    if (entries.length === 0) return 0;
    await this.persist(entries);
    return entries.length;
  }

  private async claimStale(): Promise<StreamEntry[]> {
    const result = (await this.redis.xautoclaim(
      this.stream,
      USAGE_GROUP,
      this.consumer,
      CLAIM_IDLE_MS,
      '0-0',
      'COUNT',
      BATCH,
    )) as [string, StreamEntry[]];
    return (result[1] ?? []).filter((entry) => Array.isArray(entry[1]));
  }

  private async persist(entries: StreamEntry[]): Promise<void> {
    const events: UsageEvent[] = entries.map(([, flat]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
      return fromStreamFields(fields);
    });
    await persistUsageEvents(this.db, events);
    await this.redis.xack(this.stream, USAGE_GROUP, ...entries.map(([id]) => id));
  }
}

/** XREADGROUP's entries for our one stream, whether the client nests the reply per stream or not. */
function streamEntries(reply: unknown[] | null): StreamEntry[] {
  if (!reply || reply.length === 0) return [];
  const perStream = typeof reply[0] === 'string' ? reply : (reply[0] as unknown[]);
  return ((perStream[1] as StreamEntry[] | undefined) ?? []).filter((entry) =>
    Array.isArray(entry[1]),
  );
}

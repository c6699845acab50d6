import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  BreakerBoard,
  breakerBoardKey,
  ProviderBreakers,
  type BreakerReport,
} from '@gnomon/governance';
import type { ProviderAdapter } from '@gnomon/llm';
import type { Logger } from '@gnomon/observability';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { GatewayConfig } from '../config/gateway.config';
import { GATEWAY_CONFIG, LOGGER, PROVIDERS, REDIS } from '../platform/tokens';

/** A report counts for this many publishing intervals (two missed heartbeats are tolerated). */
const REPORT_LIFETIME_INTERVALS = 3;

/**
 * Publishes this instance's circuit-breaker states to the breaker board in Redis, where the
 * control plane reads them for the dashboard: on every transition and on a heartbeat (which
 * also covers cool-downs that end without an event, and prunes reports of dead instances).
 * Breakers stay per process; this only makes their states visible. Without Redis
 * (single-instance mode) nothing is published and the control plane reports `unknown`.
 */
@Injectable()
export class BreakerStatePublisher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly board: BreakerBoard | null;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private inFlight: Promise<void> | null = null;
  private pending = false;
  private stopped = false;

  constructor(
    @Inject(REDIS) redis: Redis | null,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly breakers: ProviderBreakers,
    @Inject(PROVIDERS) private readonly adapters: Map<string, ProviderAdapter>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const key = breakerBoardKey(config.env.GNOMON_REDIS_PREFIX);
    this.board = redis ? new BreakerBoard(redis, key) : null;
    this.intervalMs = config.env.GNOMON_BREAKER_REPORT_MS;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.board) return;
    this.unsubscribe = this.breakers.subscribe(() => this.schedule());
    this.timer = setInterval(() => {
      this.schedule();
      void this.prune();
    }, this.intervalMs);
    this.timer.unref();
    this.schedule();
    await this.settled();
  }

  /**
   * Stops publishing and withdraws this instance's report (its breakers die with it), while
   * the Redis connection is still open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.board || this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    await this.settled();
    await this.board.withdraw(this.instanceId).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not withdraw the breaker report');
    });
  }

  /** This instance's report now: every configured provider, and any other one with a breaker. */
  report(now = Date.now()): BreakerReport {
    const snapshots = new Map(this.breakers.snapshot().map((s) => [s.provider, s]));
    const providers = [...new Set([...this.adapters.keys(), ...snapshots.keys()])].sort();
    return {
      instanceId: this.instanceId,
      reportedAt: now,
      expiresAt: now + this.intervalMs * REPORT_LIFETIME_INTERVALS,
      providers: providers.map((provider) => ({
        provider,
        state: this.breakers.state(provider),
        coolingDownUntil: snapshots.get(provider)?.coolingDownUntil ?? null,
      })),
    };
  }

  /** Resolves once the publications asked for so far are done. */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** Publishes soon; transitions that arrive meanwhile share one publication. */
  private schedule(): void {
    if (this.stopped) return;
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    this.inFlight = this.publish().finally(() => {
      this.inFlight = null;
      if (this.pending && !this.stopped) {
        this.pending = false;
        this.schedule();
      }
    });
  }

  private async publish(): Promise<void> {
    try {
      await this.board?.publish(this.report());
    } catch (error) {
      // Losing one report only makes the dashboard staler; the heartbeat sends the next.
      this.logger.warn({ err: error }, 'could not publish breaker states');
    }
  }

  private async prune(): Promise<void> {
    try {
      await this.board?.prune(Date.now());
    } catch (error) {
      this.logger.warn({ err: error }, 'could not prune breaker reports');
    }
  }
}

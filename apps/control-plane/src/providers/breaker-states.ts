import { Inject, Injectable } from '@nestjs/common';
import type { BreakerViewState, ProviderBreakerView } from '@gnomon/contracts';
import {
  BreakerBoard,
  breakerBoardKey,
  summarizeBreakerReports,
  type ProviderBreakerSummary,
} from '@gnomon/governance';
import type { Logger } from '@gnomon/observability';
import type { Redis } from 'ioredis';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { CONFIG, LOGGER, REDIS } from '../platform/tokens';

const VIEW_STATE: Record<ProviderBreakerSummary['state'], BreakerViewState> = {
  closed: 'closed',
  half_open: 'half-open',
  open: 'open',
};

/**
 * The providers' circuit breakers as the gateways report them on the breaker board in Redis
 * (see BreakerStatePublisher in the gateway). Breakers live in each gateway process; without
 * Redis, or without a live report, a provider's state is `unknown`.
 */
@Injectable()
export class BreakerStates {
  private readonly board: BreakerBoard | null;

  constructor(
    @Inject(REDIS) redis: Redis | null,
    @Inject(CONFIG) config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const key = breakerBoardKey(config.env.GNOMON_REDIS_PREFIX);
    this.board = redis ? new BreakerBoard(redis, key) : null;
  }

  /**
   * Every provider a live gateway reports, plus `alsoKnown` ones (e.g. seen in recent calls)
   * as `unknown` when no gateway reports them; sorted by name.
   */
  async views(alsoKnown: Iterable<string> = []): Promise<ProviderBreakerView[]> {
    const reported = await this.reported();
    const views = new Map<string, ProviderBreakerView>();
    for (const summary of reported) {
      views.set(summary.provider, {
        provider: summary.provider,
        state: VIEW_STATE[summary.state],
        coolingDownUntil: summary.coolingDownUntil,
        instances: summary.instances,
      });
    }
    for (const provider of alsoKnown) {
      if (!views.has(provider))
        views.set(provider, { provider, state: 'unknown', coolingDownUntil: null, instances: 0 });
    }
    return [...views.values()].sort((a, b) => a.provider.localeCompare(b.provider));
  }

  private async reported(): Promise<ProviderBreakerSummary[]> {
    if (!this.board) return [];
    try {
      return summarizeBreakerReports(await this.board.live(Date.now()));
    } catch (error) {
      // The dashboard still shows spend and latency; breaker states read as unknown.
      this.logger.warn({ err: error }, 'could not read the breaker board');
      return [];
    }
  }
}

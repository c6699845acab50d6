import { Inject, Injectable } from '@nestjs/common';
import { Governor } from '@gnomon/governance';
import type { Logger } from '@gnomon/observability';
import type { Redis } from 'ioredis';
import { GATEWAY_CONFIG, LOGGER, REDIS } from '../platform/tokens';
import { toStreamFields, type UsageEvent } from './usage-event';
import { usageStreamKey } from './usage-stream.consumer';
import type { GatewayConfig } from '../config/gateway.config';

/**
 * Closes the books on a call: one Redis round trip that turns the reservation into real spend
 * (or releases it) and appends the usage event, atomically. Calls refused before any
 * reservation only append their event.
 */
@Injectable()
export class UsageRecorder {
  constructor(
    private readonly governor: Governor,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async settle(reservationId: string, event: UsageEvent): Promise<void> {
    try {
      await this.governor.settle(reservationId, {
        actualMicros: event.costMicros,
        actualTokens: event.inputTokens + event.outputTokens,
        event: toStreamFields(event),
      });
    } catch (error) {
      // The response is already decided; losing the event here would lose spend. Log loudly
      // with the whole event so it can be replayed; the reservation expires on its own.
      this.logger.error({ err: error, usageEvent: event }, 'could not settle a model call');
    }
  }

  async appendOnly(event: UsageEvent): Promise<void> {
    try {
      await this.redis.xadd(
        usageStreamKey(this.config.env.GNOMON_REDIS_PREFIX),
        'MAXLEN',
        '~',
        '1000000',
        '*',
        ...Object.entries(toStreamFields(event)).flat(),
      );
    } catch (error) {
      this.logger.error({ err: error, usageEvent: event }, 'could not record a refused model call');
    }
  }
}

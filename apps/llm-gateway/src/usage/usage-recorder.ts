import { Inject, Injectable } from '@nestjs/common';
import type { UsageGovernor } from '@gnomon/governance';
import type { Logger } from '@gnomon/observability';
import { USAGE_EVENT_LOG, USAGE_GOVERNOR } from '../platform/state-backend';
import { LOGGER } from '../platform/tokens';
import { toStreamFields, type UsageEvent } from './usage-event';
import type { UsageEventLog } from './usage-event-log';

/**
 * Closes the books on a call: one governor settlement that turns the reservation into real
 * spend (or releases it) and records the usage event, atomically. Calls refused before any
 * reservation only append their event.
 */
@Injectable()
export class UsageRecorder {
  constructor(
    @Inject(USAGE_GOVERNOR) private readonly governor: UsageGovernor,
    @Inject(USAGE_EVENT_LOG) private readonly events: UsageEventLog,
    @Inject(LOGGER) private readonly logger: Logger,
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
      await this.events.append(toStreamFields(event));
    } catch (error) {
      this.logger.error({ err: error, usageEvent: event }, 'could not record a refused model call');
    }
  }
}

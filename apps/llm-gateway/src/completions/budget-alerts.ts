import { Inject, Injectable } from '@nestjs/common';
import { TenantDatabase, type TenantScope } from '@gnomon/db';
import type { SoftAlert } from '@gnomon/governance';
import type { Logger } from '@gnomon/observability';
import { LOGGER } from '../platform/tokens';

/**
 * Soft-threshold alerts: the governor reports a threshold crossing once per period; the row in
 * `budget_alerts` (unique per scope and period) keeps it once even if Redis forgot.
 */
@Injectable()
export class BudgetAlerts {
  constructor(
    private readonly db: TenantDatabase,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  raise(tenant: TenantScope, alerts: SoftAlert[]): void {
    for (const alert of alerts) {
      this.logger.warn(
        { tenantId: tenant.tenantId, budgetAlert: alert },
        'budget soft threshold reached',
      );
    }
    this.db
      .inTenant(tenant, (t) =>
        t.db.budgetAlert.createMany({
          data: alerts.map((alert) => ({
            tenantId: t.scope.tenantId,
            scope: alert.scope,
            scopeId: alert.scopeId,
            period: alert.period,
            periodStart: new Date(alert.periodStart),
            thresholdPct: alert.thresholdPct,
            limitMicros: BigInt(alert.limitMicros),
            spentMicros: BigInt(alert.spentMicros),
          })),
          skipDuplicates: true,
        }),
      )
      .catch((err: unknown) =>
        this.logger.error({ err, tenantId: tenant.tenantId }, 'could not store budget alert'),
      );
  }
}

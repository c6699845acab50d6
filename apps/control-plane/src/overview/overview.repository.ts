import { Injectable } from '@nestjs/common';
import type { PlatformTx, TenantTx } from '@gnomon/db';

/** The instants the overview figures start at. */
export interface OverviewPeriods {
  /** 00:00 UTC today. */
  dayStart: Date;
  /** 00:00 UTC on the 1st of this month. */
  monthStart: Date;
  /** The start of the "recent" window (requests per minute, error rate). */
  recentStart: Date;
}

/** A tenant's figures since each period start (exact decimal text, as the database sums them). */
export interface RecentSums {
  dayMicros: string;
  monthMicros: string;
  recentCalls: string;
  recentFailedCalls: string;
}

/** One tenant's calls to one provider (null: refused before routing) in a range. */
export interface TenantProviderSpend {
  tenantId: string;
  provider: string | null;
  calls: string;
  failedCalls: string;
  costMicros: string;
}

@Injectable()
export class OverviewRepository {
  /** The tenant's spend today and this month, and its calls in the recent window. */
  async tenantSums(t: TenantTx, periods: OverviewPeriods): Promise<RecentSums> {
    const [day, month, recent] = [periods.dayStart, periods.monthStart, periods.recentStart].map(
      (date) => date.toISOString(),
    );
    const rows = await t.db.$queryRaw<RecentSums[]>`
      select coalesce(sum(cost_micros) filter (where created_at >= ${day}::timestamptz), 0)::text
               as "dayMicros",
             coalesce(sum(cost_micros) filter (where created_at >= ${month}::timestamptz), 0)::text
               as "monthMicros",
             count(*) filter (where created_at >= ${recent}::timestamptz)::text as "recentCalls",
             count(*) filter (where created_at >= ${recent}::timestamptz
                                and status = 'FAILED')::text as "recentFailedCalls"
        from llm_events
       where tenant_id = ${t.scope.tenantId}::uuid
         and created_at >= least(${month}::timestamptz, ${recent}::timestamptz)`;
    return rows[0];
  }

  /**
   * Every tenant's calls in [from, to), per provider, through the gnomon_platform_llm_spend
   * door (aggregates only; platform transactions see no tenant's rows).
   */
  platformSpend(p: PlatformTx, from: Date, to: Date): Promise<TenantProviderSpend[]> {
    return p.db.$queryRaw<TenantProviderSpend[]>`
      select tenant_id::text as "tenantId", provider, calls::text as "calls",
             failed_calls::text as "failedCalls", cost_micros::text as "costMicros"
        from gnomon_platform_llm_spend(${from.toISOString()}::timestamptz,
                                       ${to.toISOString()}::timestamptz)`;
  }

  /** Names of these tenants (deleted ones too: their spend still counts). */
  async tenantNames(p: PlatformTx, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await p.db.tenant.findMany({
      where: { id: { in: ids } },
      select: { id: true, name: true },
    });
    return new Map(rows.map((row) => [row.id, row.name]));
  }
}

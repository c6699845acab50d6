import { Injectable } from '@nestjs/common';
import {
  RECENT_WINDOW_MINUTES,
  TOP_TENANTS,
  type BudgetPolicyView,
  type OverviewBudgetView,
  type PlatformOverviewView,
  type TenantOverviewView,
  type TopTenantView,
} from '@gnomon/contracts';
import { TenantDatabase, type TenantScope } from '@gnomon/db';
import { BudgetService, periodStarts } from '../budget/budget.service';
import { BreakerStates } from '../providers/breaker-states';
import { rate } from '../providers/provider-health.service';
import {
  OverviewRepository,
  type OverviewPeriods,
  type TenantProviderSpend,
} from './overview.repository';

/** Platform ranges end a little after "now": calls a gateway with a fast clock stamped count. */
const CLOCK_SLACK_MS = 60_000;

export function overviewPeriods(now: Date): OverviewPeriods {
  const starts = periodStarts(now);
  return {
    dayStart: starts.DAILY,
    monthStart: starts.MONTHLY,
    recentStart: new Date(now.getTime() - RECENT_WINDOW_MINUTES * 60_000),
  };
}

/** Calls per minute over the recent window, to two decimals. */
const perMinute = (calls: number) => Math.round((calls / RECENT_WINDOW_MINUTES) * 100) / 100;

/**
 * The tenant-wide budget closest to its hard limit (a monthly one on ties); without any, the
 * month's spend with no limits.
 */
export function budgetOverview(
  policies: BudgetPolicyView[],
  monthMicros: string,
): OverviewBudgetView {
  const tenantWide = policies
    .filter((policy) => policy.scope === 'tenant')
    .sort((a, b) => (a.period === b.period ? 0 : a.period === 'MONTHLY' ? -1 : 1));
  let closest: BudgetPolicyView | undefined;
  for (const policy of tenantWide) {
    // whether spent / limit is not above the closest one's so far, compared without division
    const further =
      closest !== undefined &&
      BigInt(policy.spentMicros) * BigInt(closest.limitMicros) <=
        BigInt(closest.spentMicros) * BigInt(policy.limitMicros);
    if (!further) closest = policy;
  }
  if (!closest) {
    return {
      period: 'MONTHLY',
      softLimitMicros: null,
      hardLimitMicros: null,
      usedMicros: monthMicros,
    };
  }
  const limit = BigInt(closest.limitMicros);
  return {
    period: closest.period,
    softLimitMicros: ((limit * BigInt(closest.softThresholdPct)) / 100n).toString(),
    hardLimitMicros: closest.limitMicros,
    usedMicros: closest.spentMicros,
  };
}

function totals(rows: TenantProviderSpend[]) {
  return rows.reduce(
    (acc, row) => ({
      calls: acc.calls + Number(row.calls),
      failedCalls: acc.failedCalls + Number(row.failedCalls),
      costMicros: acc.costMicros + BigInt(row.costMicros),
    }),
    { calls: 0, failedCalls: 0, costMicros: 0n },
  );
}

@Injectable()
export class OverviewService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly figures: OverviewRepository,
    private readonly budget: BudgetService,
    private readonly breakers: BreakerStates,
  ) {}

  /** The tenant's spend, recent traffic and budget use. */
  async tenant(scope: TenantScope, now = new Date()): Promise<TenantOverviewView> {
    const sums = await this.db.inTenant(scope, (t) =>
      this.figures.tenantSums(t, overviewPeriods(now)),
    );
    const { policies } = await this.budget.get(scope);
    const recentCalls = Number(sums.recentCalls);
    return {
      spendTodayMicros: sums.dayMicros,
      spendMonthMicros: sums.monthMicros,
      requestsPerMinute: perMinute(recentCalls),
      errorRate: rate(Number(sums.recentFailedCalls), recentCalls),
      budget: budgetOverview(policies, sums.monthMicros),
    };
  }

  /** Every tenant's spend and traffic, the providers' breakers and the top spenders. */
  async platform(now = new Date()): Promise<PlatformOverviewView> {
    const periods = overviewPeriods(now);
    const end = new Date(now.getTime() + CLOCK_SLACK_MS);
    const figures = await this.db.asPlatform(async (p) => {
      const month = await this.figures.platformSpend(p, periods.monthStart, end);
      const day = await this.figures.platformSpend(p, periods.dayStart, end);
      const recent = await this.figures.platformSpend(p, periods.recentStart, end);
      const top = topSpenders(month);
      const names = await this.figures.tenantNames(
        p,
        top.map(([id]) => id),
      );
      return { month, day, recent, top, names };
    });
    const recent = totals(figures.recent);
    const usedToday = figures.day.flatMap((row) => (row.provider ? [row.provider] : []));
    return {
      spendTodayMicros: totals(figures.day).costMicros.toString(),
      spendMonthMicros: totals(figures.month).costMicros.toString(),
      requestsPerMinute: perMinute(recent.calls),
      errorRate: rate(recent.failedCalls, recent.calls),
      providers: await this.breakers.views(usedToday),
      topTenants: figures.top.map(([tenantId, micros]): TopTenantView => ({
        tenantId,
        name: figures.names.get(tenantId) ?? '',
        spendMonthMicros: micros.toString(),
      })),
    };
  }
}

/** The tenants with the highest spend (above zero), highest first; ties by id. */
function topSpenders(rows: TenantProviderSpend[]): [string, bigint][] {
  const sums = new Map<string, bigint>();
  for (const row of rows)
    sums.set(row.tenantId, (sums.get(row.tenantId) ?? 0n) + BigInt(row.costMicros));
  return [...sums]
    .filter(([, micros]) => micros > 0n)
    .sort(([a, x], [b, y]) => (x === y ? a.localeCompare(b) : x > y ? -1 : 1))
    .slice(0, TOP_TENANTS);
}

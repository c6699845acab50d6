export type BudgetScope = 'tenant' | 'apiKey';
export type BudgetPeriod = 'DAILY' | 'MONTHLY';

/** One budget counter: a scope (the tenant or one of its API keys) over one UTC period. */
export interface BudgetCounterRef {
  scope: BudgetScope;
  scopeId: string;
  period: BudgetPeriod;
  /** `D2025-01-31` (UTC day) or `M2025-01` (UTC month); part of the Redis key. */
  periodKey: string;
  /** Inclusive start and exclusive end of the period, epoch milliseconds. */
  periodStart: number;
  periodEnd: number;
}

const DAY_MS = 86_400_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** The UTC day or month containing `now`. */
export function budgetPeriodAt(
  period: BudgetPeriod,
  now: number,
): Pick<BudgetCounterRef, 'periodKey' | 'periodStart' | 'periodEnd'> {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (period === 'DAILY') {
    const periodStart = Date.UTC(year, month, date.getUTCDate());
    const periodKey = `D${year}-${pad(month + 1)}-${pad(date.getUTCDate())}`;
    return { periodKey, periodStart, periodEnd: periodStart + DAY_MS };
  }
  return {
    periodKey: `M${year}-${pad(month + 1)}`,
    periodStart: Date.UTC(year, month, 1),
    periodEnd: Date.UTC(year, month + 1, 1),
  };
}

/** Inverse of `budgetPeriodAt(...).periodKey`; null for anything it did not produce. */
export function budgetPeriodFromKey(
  periodKey: string,
): Pick<BudgetCounterRef, 'period' | 'periodKey' | 'periodStart' | 'periodEnd'> | null {
  const daily = /^D(\d{4})-(\d{2})-(\d{2})$/.exec(periodKey);
  if (daily) {
    const start = Date.UTC(Number(daily[1]), Number(daily[2]) - 1, Number(daily[3]));
    const day = budgetPeriodAt('DAILY', start);
    return day.periodKey === periodKey ? { period: 'DAILY', ...day } : null;
  }
  const monthly = /^M(\d{4})-(\d{2})$/.exec(periodKey);
  if (monthly) {
    const start = Date.UTC(Number(monthly[1]), Number(monthly[2]) - 1, 1);
    const month = budgetPeriodAt('MONTHLY', start);
    return month.periodKey === periodKey ? { period: 'MONTHLY', ...month } : null;
  }
  return null;
}

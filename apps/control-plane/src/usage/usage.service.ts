import { Injectable } from '@nestjs/common';
import type {
  RateLimitHitsQuery,
  RateLimitHitsView,
  UsageQuery,
  UsageRow,
} from '@gnomon/contracts';
import { TenantDatabase, type TenantScope } from '@gnomon/db';
import { UsageRepository, type UsageGroup, type UsageSums } from './usage.repository';

export interface UsageReport {
  from: string;
  to: string;
  groupBy: UsageGroup;
  rows: UsageRow[];
  totals: UsageRow;
}

function usageRow(sums: UsageSums): UsageRow {
  return {
    key: sums.key,
    calls: Number(sums.calls),
    failedCalls: Number(sums.failedCalls),
    inputTokens: Number(sums.inputTokens),
    outputTokens: Number(sums.outputTokens),
    cachedTokens: Number(sums.cachedTokens),
    costMicros: sums.costMicros,
  };
}

/** Every UTC day from the one `from` falls on to the one just before `to` (YYYY-MM-DD). */
export function utcDays(from: Date, to: Date): string[] {
  const days: string[] = [];
  const last = new Date(to.getTime() - 1);
  const end = Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), last.getUTCDate());
  let day = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  for (; day <= end; day += 86_400_000) days.push(new Date(day).toISOString().slice(0, 10));
  return days;
}

function total(rows: UsageRow[]): UsageRow {
  const sum = (field: 'calls' | 'failedCalls' | 'inputTokens' | 'outputTokens' | 'cachedTokens') =>
    rows.reduce((acc, row) => acc + row[field], 0);
  return {
    key: null,
    calls: sum('calls'),
    failedCalls: sum('failedCalls'),
    inputTokens: sum('inputTokens'),
    outputTokens: sum('outputTokens'),
    cachedTokens: sum('cachedTokens'),
    costMicros: rows.reduce((acc, row) => acc + BigInt(row.costMicros), 0n).toString(),
  };
}

@Injectable()
export class UsageService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly usage: UsageRepository,
  ) {}

  /** The tenant's model calls in [from, to), grouped by UTC day, model, provider or API key. */
  async report(scope: TenantScope, query: UsageQuery): Promise<UsageReport> {
    const [from, to] = [new Date(query.from), new Date(query.to)];
    const sums = await this.db.inTenant(scope, (t) => this.usage.sums(t, from, to, query.groupBy));
    const rows = sums.map(usageRow);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      groupBy: query.groupBy,
      rows,
      totals: total(rows),
    };
  }

  /** The tenant's rate-limit refusals per UTC day of [from, to), days without any as 0. */
  async rateLimitHits(scope: TenantScope, query: RateLimitHitsQuery): Promise<RateLimitHitsView> {
    const [from, to] = [new Date(query.from), new Date(query.to)];
    const rows = await this.db.inTenant(scope, (t) => this.usage.rateLimitHits(t, from, to));
    const hits = new Map(rows.map((row) => [row.day, row.hits]));
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      items: utcDays(from, to).map((day) => ({ day, hits: hits.get(day) ?? 0 })),
    };
  }
}

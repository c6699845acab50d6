import { Injectable } from '@nestjs/common';
import type { UsageQuery, UsageRow } from '@gnomon/contracts';
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
}

import { Injectable } from '@nestjs/common';
import type { BUDGET_PERIODS } from '@gnomon/contracts';
import type { TenantTx } from '@gnomon/db';

export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export interface BudgetPolicyRecord {
  period: BudgetPeriod;
  apiKeyId: string | null;
  limitMicros: bigint;
  softThresholdPct: number;
}

/** Spend of one API key (null: calls made without one) in the current day and month. */
export interface KeySpend {
  apiKeyId: string | null;
  dayMicros: bigint;
  monthMicros: bigint;
}

const SELECTED = { period: true, apiKeyId: true, limitMicros: true, softThresholdPct: true };

@Injectable()
export class BudgetRepository {
  /** Serialises policy replacement within the tenant until the transaction ends. */
  async lockPolicies(t: TenantTx): Promise<void> {
    const lock = `budget_policies:${t.scope.tenantId}`;
    await t.db.$executeRaw`select pg_advisory_xact_lock(hashtextextended(${lock}, 0))`;
  }

  list(t: TenantTx): Promise<BudgetPolicyRecord[]> {
    return t.db.budgetPolicy.findMany({
      where: { tenantId: t.scope.tenantId },
      orderBy: [{ apiKeyId: { sort: 'asc', nulls: 'first' } }, { period: 'asc' }],
      select: SELECTED,
    });
  }

  async replace(t: TenantTx, policies: BudgetPolicyRecord[]): Promise<void> {
    await t.db.budgetPolicy.deleteMany({ where: { tenantId: t.scope.tenantId } });
    if (policies.length === 0) return;
    await t.db.budgetPolicy.createMany({
      data: policies.map((policy) => ({ ...policy, tenantId: t.scope.tenantId })),
    });
  }

  /** Periods with more than one tenant-wide policy (the unique key does not cover NULL). */
  async tenantWideDuplicates(t: TenantTx): Promise<BudgetPeriod[]> {
    const groups = await t.db.budgetPolicy.groupBy({
      by: ['period'],
      where: { tenantId: t.scope.tenantId, apiKeyId: null },
      _count: { _all: true },
    });
    return groups.filter((group) => group._count._all > 1).map((group) => group.period);
  }

  async existingKeyIds(t: TenantTx, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const keys = await t.db.apiKey.findMany({
      where: { tenantId: t.scope.tenantId, id: { in: ids } },
      select: { id: true },
    });
    return new Set(keys.map((key) => key.id));
  }

  /** Cost of the tenant's model calls since `monthStart` (and since `dayStart`), per API key. */
  async spendByKey(t: TenantTx, monthStart: Date, dayStart: Date): Promise<KeySpend[]> {
    const rows = await t.db.$queryRaw<{ api_key_id: string | null; day: string; month: string }[]>`
      select api_key_id::text as api_key_id,
             coalesce(sum(cost_micros) filter (where created_at >= ${dayStart.toISOString()}::timestamptz), 0)::text as day,
             coalesce(sum(cost_micros), 0)::text as month
        from llm_events
       where tenant_id = ${t.scope.tenantId}::uuid
         and created_at >= ${monthStart.toISOString()}::timestamptz
       group by api_key_id`;
    return rows.map((row) => ({
      apiKeyId: row.api_key_id,
      dayMicros: BigInt(row.day),
      monthMicros: BigInt(row.month),
    }));
  }
}

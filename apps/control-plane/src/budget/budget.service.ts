import { Injectable } from '@nestjs/common';
import type { BudgetPolicyView, PutBudgetBody } from '@gnomon/contracts';
import { TenantDatabase, type TenantScope, type TenantTx } from '@gnomon/db';
import { ApiError, notFound, type TenantCaller } from '@gnomon/http-api';
import { AuditTrail } from '../audit/audit-trail';
import { BudgetRepository, type BudgetPolicyRecord } from './budget.repository';

export interface BudgetView {
  policies: BudgetPolicyView[];
}

/** Start of the current UTC day and UTC month. */
export function periodStarts(now: Date): { DAILY: Date; MONTHLY: Date } {
  const [year, month, day] = [now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()];
  return {
    DAILY: new Date(Date.UTC(year, month, day)),
    MONTHLY: new Date(Date.UTC(year, month, 1)),
  };
}

@Injectable()
export class BudgetService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly budgets: BudgetRepository,
    private readonly audit: AuditTrail,
  ) {}

  get(scope: TenantScope): Promise<BudgetView> {
    return this.db.inTenant(scope, (t) => this.readIn(t));
  }

  /** Replaces the tenant's policy set. Per-key policies must name keys of this tenant. */
  replace(caller: TenantCaller, body: PutBudgetBody): Promise<BudgetView> {
    const policies: BudgetPolicyRecord[] = body.policies.map((policy) => ({
      period: policy.period,
      apiKeyId: policy.apiKeyId,
      limitMicros: policy.limitMicros,
      softThresholdPct: policy.softThresholdPct,
    }));
    return this.db.inTenant(caller.tenant, async (t) => {
      await this.budgets.lockPolicies(t);
      const keyIds = [...new Set(policies.flatMap((p) => (p.apiKeyId ? [p.apiKeyId] : [])))];
      const existing = await this.budgets.existingKeyIds(t, keyIds);
      if (keyIds.some((id) => !existing.has(id))) throw notFound('API key');

      await this.budgets.replace(t, policies);
      const duplicated = await this.budgets.tenantWideDuplicates(t);
      if (duplicated.length > 0) {
        throw new ApiError(
          'conflict',
          `only one tenant-wide budget per period (${duplicated.join(', ')})`,
        );
      }
      await this.audit.record(t, caller, {
        action: 'budget.updated',
        targetType: 'budget',
        targetId: null,
        metadata: {
          policies: policies.map((p) => ({ ...p, limitMicros: p.limitMicros.toString() })),
        },
      });
      return this.readIn(t);
    });
  }

  /** The budget view inside a transaction the caller holds (e.g. the one that starts a run). */
  async readIn(t: TenantTx): Promise<BudgetView> {
    const policies = await this.budgets.list(t);
    if (policies.length === 0) return { policies: [] };
    const starts = periodStarts(new Date());
    const spend = await this.budgets.spendByKey(t, starts.MONTHLY, starts.DAILY);
    const spentBy = (apiKeyId: string | null, period: BudgetPolicyRecord['period']): bigint =>
      spend
        .filter((row) => apiKeyId === null || row.apiKeyId === apiKeyId)
        .reduce((sum, row) => sum + (period === 'DAILY' ? row.dayMicros : row.monthMicros), 0n);
    return {
      policies: policies.map((policy) => ({
        period: policy.period,
        scope: policy.apiKeyId ? 'apiKey' : 'tenant',
        apiKeyId: policy.apiKeyId,
        limitMicros: policy.limitMicros.toString(),
        softThresholdPct: policy.softThresholdPct,
        periodStart: starts[policy.period].toISOString(),
        spentMicros: spentBy(policy.apiKeyId, policy.period).toString(),
      })),
    };
  }
}

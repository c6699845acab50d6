// Argument checks and reply shaping shared by the Redis governor and the in-process one, so both
// refuse exactly the same inputs and report soft alerts in the same shape.
import type { BudgetCounterRef } from './budget-period';
import { GovernanceUnavailableError } from './governance.errors';
import type { AdmitRequest, BudgetRule, SoftAlert } from './governor.types';

export function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer`);
  }
  return value;
}

export function nonNegativeInt(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

export function validateAdmit(request: AdmitRequest): void {
  if (!request.tenantId) throw new RangeError('tenantId is required');
  if (!request.userId) throw new RangeError('userId is required');
  nonNegativeInt('estimatedTokens', request.estimatedTokens);
  nonNegativeInt('reserveMicros', request.reserveMicros);
  if (request.now !== undefined) nonNegativeInt('now', request.now);
  for (const name of ['tenantRpm', 'tenantTpm', 'userRpm'] as const) {
    const limit = request.limits[name];
    if (limit !== undefined) nonNegativeInt(`limits.${name}`, limit);
  }
  const seen = new Set<string>();
  for (const budget of request.budgets) {
    nonNegativeInt('budget limitMicros', budget.limitMicros);
    const pct = budget.softThresholdPct;
    if (!Number.isFinite(pct) || pct < 0 || pct > 100) {
      throw new RangeError('softThresholdPct must be within 0..100');
    }
    const id = `${budget.scope}\u0000${budget.scopeId}\u0000${budget.period}`;
    if (seen.has(id)) throw new RangeError(`duplicate budget ${budget.scope} ${budget.period}`);
    seen.add(id);
  }
}

export function softAlert(
  ref: BudgetCounterRef | undefined,
  rule: BudgetRule | undefined,
  spentMicros: number,
): SoftAlert {
  if (!ref || !rule) throw new GovernanceUnavailableError('unexpected soft alert index');
  return {
    scope: ref.scope,
    scopeId: ref.scopeId,
    period: ref.period,
    periodStart: new Date(ref.periodStart).toISOString(),
    periodEnd: new Date(ref.periodEnd).toISOString(),
    thresholdPct: rule.softThresholdPct,
    limitMicros: rule.limitMicros,
    spentMicros,
  };
}

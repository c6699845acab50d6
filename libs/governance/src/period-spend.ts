import type { BudgetCounterRef } from './budget-period';
import { GovernanceUnavailableError } from './governance.errors';
import { nonNegativeInt } from './governor-validation';
import type { SpendSource } from './governor.types';

/** A period's settled spend as the SpendSource (Postgres) knows it, validated. */
export async function periodSpend(
  source: SpendSource,
  tenantId: string,
  ref: BudgetCounterRef,
): Promise<number> {
  try {
    const spent = Number(
      await source.spentMicros(
        tenantId,
        ref.scope,
        ref.scopeId,
        new Date(ref.periodStart),
        new Date(ref.periodEnd),
      ),
    );
    nonNegativeInt('spentMicros', spent);
    return spent;
  } catch (error) {
    throw new GovernanceUnavailableError(
      `could not load the ${ref.scope} ${ref.period} budget spend from the spend source`,
      { cause: error },
    );
  }
}

/** Runs `work` once per key at a time: concurrent callers share the same promise. */
export function singleFlight(
  inFlight: Map<string, Promise<void>>,
  key: string,
  work: () => Promise<void>,
): Promise<void> {
  let pending = inFlight.get(key);
  if (!pending) {
    pending = work().finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

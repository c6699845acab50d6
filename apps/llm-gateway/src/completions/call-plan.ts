import type { ChatCompletionRequest, RateLimits } from '@gnomon/contracts';
import {
  estimatePromptTokens,
  worstCaseCost,
  type ProviderRequest,
  type ResolvedRoute,
  type RouteTarget,
} from '@gnomon/llm';
import type { GatewayCaller } from '../auth/gateway-auth';
import type { BudgetRule } from '../platform/tenant-policies';

/** What the gateway decided before calling anyone: targets, bounds and the reservation. */
export interface CallPlan {
  route: ResolvedRoute;
  promptTokens: number;
  /** Output bound per provider (the request's, capped by each model's maximum). */
  maxOutput: Map<string, number>;
  reserveMicros: number;
  estimatedTokens: number;
  userId: string;
}

function outputBound(request: ChatCompletionRequest, target: RouteTarget): number {
  const asked = request.max_completion_tokens ?? request.max_tokens ?? target.entry.maxOutputTokens;
  return Math.min(asked, target.entry.maxOutputTokens);
}

export function planCall(
  request: ChatCompletionRequest,
  route: ResolvedRoute,
  caller: GatewayCaller,
): CallPlan {
  const promptTokens = estimatePromptTokens(request);
  const maxOutput = new Map(
    route.targets.map((target) => [target.provider, outputBound(request, target)]),
  );
  // Failover may land on any provider of the chain: reserve for the most expensive one.
  const reserveMicros = Math.max(
    ...route.targets.map((target) =>
      worstCaseCost(target.entry, promptTokens, maxOutput.get(target.provider)!),
    ),
  );
  const maxOut = Math.max(...maxOutput.values());
  return {
    route,
    promptTokens,
    maxOutput,
    reserveMicros,
    estimatedTokens: promptTokens + maxOut,
    userId: request.user ?? caller.principalId,
  };
}

/** The request as one provider gets it: its model id and a concrete output bound. */
export function providerRequest(
  request: ChatCompletionRequest,
  target: RouteTarget,
  plan: CallPlan,
): ProviderRequest {
  // The legacy max_tokens is folded into max_completion_tokens (the only bound providers get).
  return {
    ...request,
    max_tokens: undefined,
    model: target.model,
    max_completion_tokens: plan.maxOutput.get(target.provider)!,
  };
}

export function governanceLimits(limits: RateLimits) {
  return {
    tenantRpm: limits.tenantRequestsPerMinute ?? undefined,
    tenantTpm: limits.tenantTokensPerMinute ?? undefined,
    userRpm: limits.userRequestsPerMinute ?? undefined,
  };
}

/** The tenant's budgets plus, if any, the calling key's own. */
export function applicableBudgets(budgets: BudgetRule[], caller: GatewayCaller): BudgetRule[] {
  return budgets.filter((b) => b.scope === 'tenant' || b.scopeId === caller.apiKeyId);
}

import { Inject, Injectable } from '@nestjs/common';
import type { ChatCompletionRequest } from '@gnomon/contracts';
import {
  budgetPeriodAt,
  GovernanceUnavailableError,
  type UsageGovernor,
  type BudgetExceeded,
} from '@gnomon/governance';
import { ModelRouter } from '@gnomon/llm';
import type { Logger } from '@gnomon/observability';
import type { GatewayCaller } from '../auth/gateway-auth';
import { GatewayError } from '../platform/gateway-error';
import { TenantPolicyCache, type BudgetRule } from '../platform/tenant-policies';
import { TenantProviders, type ProviderSet } from '../platform/tenant-providers';
import { USAGE_GOVERNOR } from '../platform/state-backend';
import { LOGGER } from '../platform/tokens';
import { newUsageEvent, type UsageEvent } from '../usage/usage-event';
import { UsageRecorder } from '../usage/usage-recorder';
import { BudgetAlerts } from './budget-alerts';
import { applicableBudgets, governanceLimits, planCall, type CallPlan } from './call-plan';

/** A call the gateway has admitted: its plan, its reservation, and its usage event so far. */
export interface AdmittedCall {
  caller: GatewayCaller;
  request: ChatCompletionRequest;
  plan: CallPlan;
  reservationId: string;
  event: UsageEvent;
  startedAt: number;
  /** x-ratelimit-* headers for the response. */
  rateLimitHeaders: Record<string, string>;
  /** Providers for this call: the platform's, with the tenant's own keys first. */
  providers: ProviderSet;
}

/**
 * Everything before the first provider call: tenant status, routing, the worst-case budget
 * reservation and rate limits (one Redis round trip). Refusals are recorded as usage events too.
 */
@Injectable()
export class Admission {
  /** Budgets (tenant, scope, period) whose crossing a refusal already reported here. */
  private readonly reportedOnRefusal = new Set<string>();

  constructor(
    private readonly policies: TenantPolicyCache,
    private readonly router: ModelRouter,
    private readonly tenantProviders: TenantProviders,
    @Inject(USAGE_GOVERNOR) private readonly governor: UsageGovernor,
    private readonly usage: UsageRecorder,
    private readonly alerts: BudgetAlerts,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async admit(
    caller: GatewayCaller,
    request: ChatCompletionRequest,
    meta: { requestId: string; idempotencyKey: string | null },
  ): Promise<AdmittedCall> {
    const startedAt = Date.now();
    const policies = await this.policies.get(caller.tenant.tenantId);
    if (!policies.active) throw new GatewayError('invalid_api_key', 'this tenant is not active');

    const providers = this.tenantProviders.forTenant(policies.credentials);
    const resolution = this.router.resolve(request.model, policies.routes, providers.offers);
    if (!resolution.ok) {
      if (resolution.reason === 'model_not_allowed')
        throw new GatewayError('model_not_allowed', resolution.message, {}, 'model');
      if (resolution.reason === 'unknown_model')
        throw new GatewayError('invalid_request', resolution.message, {}, 'model');
      throw new GatewayError('provider_unavailable', resolution.message, {}, 'model');
    }
    const plan = planCall(request, resolution.route, caller);
    const event = newUsageEvent({
      tenantId: caller.tenant.tenantId,
      requestId: meta.requestId,
      idempotencyKey: meta.idempotencyKey,
      apiKeyId: caller.apiKeyId,
      userId: plan.userId,
      runId: caller.runId,
      stepId: caller.stepId,
      model: request.model,
      stream: request.stream === true,
    });

    const budgets = applicableBudgets(policies.budgets, caller);
    let decision: Awaited<ReturnType<UsageGovernor['admit']>>;
    try {
      decision = await this.governor.admit({
        tenantId: caller.tenant.tenantId,
        apiKeyId: caller.apiKeyId ?? undefined,
        userId: plan.userId,
        estimatedTokens: plan.estimatedTokens,
        reserveMicros: plan.reserveMicros,
        limits: governanceLimits(policies.limits),
        budgets,
      });
    } catch (error) {
      if (error instanceof GovernanceUnavailableError) {
        throw new GatewayError(
          'service_unavailable',
          'budget and rate-limit store unavailable; refusing calls until it is back',
        );
      }
      throw error;
    }
    if (!decision.ok) {
      if (decision.reason === 'budget') this.alertOnRefusal(caller, budgets, decision);
      const refusal =
        decision.reason === 'rate_limit'
          ? new GatewayError('rate_limit_exceeded', `rate limit exceeded (${decision.limit})`, {
              ...decision.headers,
              'retry-after': String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))),
            })
          : decision.reason === 'budget'
            ? new GatewayError(
                'budget_exceeded',
                `the ${decision.scope} budget does not cover this call`,
              )
            : new GatewayError(
                'service_unavailable',
                'budget counters are being rebuilt; retry shortly',
                { 'retry-after': '1' },
              );
      await this.usage.appendOnly({
        ...event,
        status: 'FAILED',
        errorCode: refusal.code,
        latencyMs: Date.now() - startedAt,
      });
      throw refusal;
    }
    if (decision.softAlerts.length > 0) this.alerts.raise(caller.tenant, decision.softAlerts);
    this.logger.debug(
      { tenantId: caller.tenant.tenantId, reserveMicros: plan.reserveMicros },
      'call admitted',
    );
    return {
      caller,
      request,
      plan,
      reservationId: decision.reservationId,
      event,
      startedAt,
      rateLimitHeaders: { ...decision.headers },
      providers,
    };
  }

  /**
   * The governor reports a soft-threshold crossing with the next admission. When the call
   * that crossed the threshold also used up the budget, no admission ever follows: the
   * refusal reports the crossing instead (once per process and period; `budget_alerts`
   * keeps one row across instances).
   */
  private alertOnRefusal(
    caller: GatewayCaller,
    budgets: BudgetRule[],
    refusal: BudgetExceeded,
  ): void {
    const rule = budgets.find(
      (b) =>
        b.scope === refusal.scope && b.scopeId === refusal.scopeId && b.period === refusal.period,
    );
    if (!rule || rule.softThresholdPct <= 0) return;
    if (refusal.spentMicros * 100 < refusal.limitMicros * rule.softThresholdPct) return;
    const period = budgetPeriodAt(refusal.period, Date.now());
    const key = `${caller.tenant.tenantId}|${refusal.scope}|${refusal.scopeId}|${period.periodKey}`;
    if (this.reportedOnRefusal.has(key)) return;
    if (this.reportedOnRefusal.size >= 10_000) this.reportedOnRefusal.clear();
    this.reportedOnRefusal.add(key);
    this.alerts.raise(caller.tenant, [
      {
        scope: refusal.scope,
        scopeId: refusal.scopeId,
        period: refusal.period,
        periodStart: new Date(period.periodStart).toISOString(),
        periodEnd: new Date(period.periodEnd).toISOString(),
        thresholdPct: rule.softThresholdPct,
        limitMicros: refusal.limitMicros,
        spentMicros: refusal.spentMicros,
      },
    ]);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { ChatCompletionRequest } from '@gnomon/contracts';
import { GovernanceUnavailableError, Governor } from '@gnomon/governance';
import { ModelRouter } from '@gnomon/llm';
import type { Logger } from '@gnomon/observability';
import type { GatewayCaller } from '../auth/gateway-auth';
import { GatewayError } from '../platform/gateway-error';
import { TenantPolicyCache } from '../platform/tenant-policies';
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
}

/**
 * Everything before the first provider call: tenant status, routing, the worst-case budget
 * reservation and rate limits (one Redis round trip). Refusals are recorded as usage events too.
 */
@Injectable()
export class Admission {
  constructor(
    private readonly policies: TenantPolicyCache,
    private readonly router: ModelRouter,
    private readonly governor: Governor,
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

    const resolution = this.router.resolve(request.model, policies.routes);
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

    let decision: Awaited<ReturnType<Governor['admit']>>;
    try {
      decision = await this.governor.admit({
        tenantId: caller.tenant.tenantId,
        apiKeyId: caller.apiKeyId ?? undefined,
        userId: plan.userId,
        estimatedTokens: plan.estimatedTokens,
        reserveMicros: plan.reserveMicros,
        limits: governanceLimits(policies.limits),
        budgets: applicableBudgets(policies.budgets, caller),
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
    };
  }
}

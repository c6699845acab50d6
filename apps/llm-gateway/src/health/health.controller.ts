import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { CredentialAuthenticator } from '@gnomon/auth';
import { TenantDatabase } from '@gnomon/db';
import { ProviderBreakers, type BreakerState } from '@gnomon/governance';
import { MetricsRegistry } from '@gnomon/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Gauge } from 'prom-client';
import { GatewayError } from '../platform/gateway-error';
import { STATE_BACKEND, type StateBackend } from '../platform/state-backend';
import { PROVIDERS } from '../platform/tokens';
import type { ProviderAdapter } from '@gnomon/llm';

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open', 'cooling_down'];
const BREAKER_GAUGE = 'gnomon_provider_breaker_state';

@Controller()
export class HealthController {
  constructor(
    private readonly db: TenantDatabase,
    @Inject(STATE_BACKEND) private readonly state: StateBackend,
    private readonly metrics: MetricsRegistry,
    private readonly breakers: ProviderBreakers,
    private readonly authenticator: CredentialAuthenticator,
    @Inject(PROVIDERS) private readonly adapters: Map<string, ProviderAdapter>,
  ) {
    this.exportBreakerStates();
  }

  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  /**
   * Ready when Postgres answers and so does Redis if configured (the gateway fails closed
   * without it); without REDIS_URL the state is in process: `not configured (single-instance mode)`.
   */
  @Get('readyz')
  async ready() {
    const checks: Record<string, string> = {};
    checks.database = await this.db
      .anonymous((tx) => tx.$queryRaw`select 1`)
      .then(
        () => 'ok',
        () => 'unreachable',
      );
    checks.redis = await this.state.check();
    checks.providers = [...this.adapters.keys()].join(',') || 'none configured';
    if (checks.database !== 'ok' || checks.redis === 'unreachable') {
      throw new GatewayError('service_unavailable', `not ready: ${JSON.stringify(checks)}`);
    }
    return { status: 'ready', checks };
  }

  @Get('metrics')
  async prometheus(@Res() reply: FastifyReply) {
    await reply
      .header('content-type', this.metrics.contentType)
      .header('cache-control', 'no-store')
      .send(await this.metrics.render());
  }

  /** Circuit-breaker state per provider (platform admins). */
  @Get('api/v1/admin/providers')
  async providers(@Req() request: FastifyRequest) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const result = await this.authenticator.authenticate(match?.[1]);
    if (!result.ok) throw new GatewayError('invalid_api_key', 'invalid or missing credential');
    if (result.principal.type !== 'PLATFORM_ADMIN')
      throw new GatewayError('permission_denied', 'platform administrators only');
    return { providers: this.breakers.snapshot() };
  }

  /**
   * `gnomon_provider_breaker_state{provider, state}`: 1 for each provider's current breaker
   * state, 0 for the others, read from the breakers when /metrics is scraped.
   */
  private exportBreakerStates(): void {
    const { registry } = this.metrics;
    if (registry.getSingleMetric(BREAKER_GAUGE)) return;
    const gauge: Gauge<'provider' | 'state'> = new Gauge({
      name: BREAKER_GAUGE,
      help: 'Circuit-breaker state per provider (1 = current state)',
      labelNames: ['provider', 'state'],
      registers: [registry],
      collect: () => {
        const providers = new Set([
          ...this.adapters.keys(),
          ...this.breakers.snapshot().map((s) => s.provider),
        ]);
        for (const provider of providers) {
          const current = this.breakers.state(provider);
          for (const state of BREAKER_STATES)
            gauge.set({ provider, state }, state === current ? 1 : 0);
        }
      },
    });
  }
}

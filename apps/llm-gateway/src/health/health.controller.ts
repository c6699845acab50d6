import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { CredentialAuthenticator } from '@gnomon/auth';
import { TenantDatabase } from '@gnomon/db';
import { ProviderBreakers } from '@gnomon/governance';
import { MetricsRegistry } from '@gnomon/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { GatewayError } from '../platform/gateway-error';
import { PROVIDERS, REDIS } from '../platform/tokens';
import type { ProviderAdapter } from '@gnomon/llm';

@Controller()
export class HealthController {
  constructor(
    private readonly db: TenantDatabase,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly metrics: MetricsRegistry,
    private readonly breakers: ProviderBreakers,
    private readonly authenticator: CredentialAuthenticator,
    @Inject(PROVIDERS) private readonly adapters: Map<string, ProviderAdapter>,
  ) {}

  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  /** Ready when Postgres and Redis answer (the gateway fails closed without Redis). */
  @Get('readyz')
  async ready() {
    const checks: Record<string, string> = {};
    checks.database = await this.db
      .anonymous((tx) => tx.$queryRaw`select 1`)
      .then(
        () => 'ok',
        () => 'unreachable',
      );
    checks.redis =
      (await this.redis.ping().catch(() => 'unreachable')) === 'PONG' ? 'ok' : 'unreachable';
    checks.providers = [...this.adapters.keys()].join(',') || 'none configured';
    if (checks.database !== 'ok' || checks.redis !== 'ok') {
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
}

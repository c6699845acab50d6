import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { TenantDatabase } from '@gnomon/db';
import { ApiError, Endpoint } from '@gnomon/http-api';
import { MetricsRegistry } from '@gnomon/observability';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { REDIS } from '../platform/tokens';

const Readiness = z.object({
  status: z.literal('ready'),
  checks: z.record(z.string(), z.string()),
});

@Controller()
export class HealthController {
  constructor(
    private readonly db: TenantDatabase,
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly metrics: MetricsRegistry,
  ) {}

  @Get('healthz')
  @Endpoint({
    access: 'public',
    tag: 'Operations',
    summary: 'Liveness',
    response: z.object({ status: z.literal('ok') }),
  })
  health() {
    return { status: 'ok' as const };
  }

  @Get('readyz')
  @Endpoint({
    access: 'public',
    tag: 'Operations',
    summary: 'Readiness: database and Redis reachable',
    response: Readiness,
  })
  async ready() {
    const checks: Record<string, string> = {};
    try {
      await this.db.anonymous((tx) => tx.$queryRaw`select 1`);
      checks.database = 'ok';
    } catch {
      checks.database = 'unreachable';
    }
    if (this.redis)
      checks.redis =
        (await this.redis.ping().catch(() => 'unreachable')) === 'PONG' ? 'ok' : 'unreachable';
    else checks.redis = 'not configured (single-instance mode)';
    if (Object.values(checks).includes('unreachable')) {
      throw new ApiError('service_unavailable', `not ready: ${JSON.stringify(checks)}`);
    }
    return { status: 'ready' as const, checks };
  }

  @Get('metrics')
  @Header('cache-control', 'no-store')
  @Endpoint({ access: 'public', tag: 'Operations', summary: 'Prometheus metrics' })
  async prometheus(@Res() reply: FastifyReply) {
    await reply.header('content-type', this.metrics.contentType).send(await this.metrics.render());
  }
}

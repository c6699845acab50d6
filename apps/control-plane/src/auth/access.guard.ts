import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CredentialAuthenticator, type AuthFailureLimiter, type Principal } from '@gnomon/auth';
import { tenantScope, type TenantScope } from '@gnomon/db';
import { ApiError, ENDPOINT_METADATA, contextOf, type EndpointSpec } from '@gnomon/http-api';
import { MetricsRegistry, type Logger } from '@gnomon/observability';
import type { FastifyRequest } from 'fastify';
import { AUTH_FAILURE_LIMITER } from '../platform/platform.module';
import { KeyUsageRecorder } from './key-usage.recorder';
import { TenantDirectory } from './tenant-directory';

export const TENANT_HEADER = 'x-gnomon-tenant';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Global guard: every route declares its access with @Endpoint, or it is refused. Resolves
 * the caller's principal and the tenant the request acts in, and enforces scopes.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: CredentialAuthenticator,
    @Inject(AUTH_FAILURE_LIMITER) private readonly failures: AuthFailureLimiter,
    private readonly tenants: TenantDirectory,
    private readonly usage: KeyUsageRecorder,
    private readonly metrics: MetricsRegistry,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const spec = this.reflector.get<EndpointSpec | undefined>(
      ENDPOINT_METADATA,
      context.getHandler(),
    );
    if (!spec) throw new ApiError('forbidden', 'this route declares no access rule and is closed');
    if (spec.access === 'public') return true;

    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const ctx = contextOf(request);

    // A key this instance already knows skips the address check: guessing never hits that cache.
    const result = await this.authenticator.authenticate(bearerToken(request), () =>
      this.assertNotBlocked(ctx.address),
    );
    if (!result.ok) {
      this.metrics.authFailures.inc({ reason: result.reason });
      // Only a presented-but-wrong secret is a guess; a missing header is not.
      if (result.reason !== 'missing') await this.failures.recordFailure(ctx.address);
      throw new ApiError(
        'unauthenticated',
        result.reason === 'missing'
          ? 'send an API key as "Authorization: Bearer <key>"'
          : 'invalid or inactive API key',
        { headers: { 'www-authenticate': 'Bearer realm="gnomon"' } },
      );
    }
    const principal = result.principal;
    ctx.principal = principal;
    this.usage.touch(principal);

    if (spec.access === 'platform-admin' && principal.type !== 'PLATFORM_ADMIN') {
      throw new ApiError('forbidden', 'this route is for platform administrators');
    }
    ctx.tenant = await this.resolveTenant(request, principal, spec);
    if (
      spec.access !== 'authenticated' &&
      spec.access !== 'platform-admin' &&
      !principal.scopes.has(spec.access)
    ) {
      throw new ApiError('forbidden', `this API key lacks the "${spec.access}" scope`);
    }
    // The request's logger is already a per-request child (shared with the reply): add to it
    // rather than creating another child on every request.
    (request.log as Logger).setBindings({
      tenantId: ctx.tenant?.tenantId,
      principalId: principal.id,
    });
    return true;
  }

  private async assertNotBlocked(address: string): Promise<void> {
    const wait = await this.failures.blockedFor(address);
    if (wait > 0) {
      throw new ApiError(
        'too_many_requests',
        'too many failed authentication attempts; slow down',
        {
          headers: { 'retry-after': String(wait) },
        },
      );
    }
  }

  private async resolveTenant(
    request: FastifyRequest,
    principal: Principal,
    spec: EndpointSpec,
  ): Promise<TenantScope | null> {
    const header = request.headers[TENANT_HEADER];
    const requested = Array.isArray(header) ? header[0] : header;
    if (principal.type === 'PLATFORM_ADMIN') {
      if (!spec.tenantScoped) return null;
      if (!requested) {
        throw new ApiError(
          'validation_failed',
          `platform admins must name the tenant to act in with the X-Gnomon-Tenant header`,
        );
      }
      if (!UUID.test(requested) || !(await this.tenants.exists(requested)))
        throw new ApiError('not_found', 'tenant not found');
      return tenantScope(requested);
    }
    if (requested !== undefined && requested !== principal.tenantId) {
      throw new ApiError('forbidden', 'X-Gnomon-Tenant is only for platform administrators');
    }
    return principal.tenantId ? tenantScope(principal.tenantId) : null;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : '';
}

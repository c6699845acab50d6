import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Principal } from '@gnomon/auth';
import { tenantScope, type TenantScope } from '@gnomon/db';
import { ApiError, ENDPOINT_METADATA, contextOf, type EndpointSpec } from '@gnomon/http-api';
import type { Logger } from '@gnomon/observability';
import type { FastifyRequest } from 'fastify';
import { KeyUsageRecorder } from './key-usage.recorder';
import { RequestAuthenticator } from './request-authenticator';
import { TenantDirectory } from './tenant-directory';

export const TENANT_HEADER = 'x-gnomon-tenant';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Global guard: every route declares its access with @Endpoint, or it is refused. Resolves
 * the caller's principal (API key or session cookie) and the tenant the request acts in, and
 * enforces scopes.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: RequestAuthenticator,
    private readonly tenants: TenantDirectory,
    private readonly usage: KeyUsageRecorder,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const spec = this.reflector.get<EndpointSpec | undefined>(
      ENDPOINT_METADATA,
      context.getHandler(),
    );
    if (!spec) throw new ApiError('forbidden', 'this route declares no access rule and is closed');
    if (spec.access === 'public') return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const ctx = contextOf(request);
    const principal = await this.authenticator.authenticate(request, ctx.address);
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
      const who = principal.type === 'MEMBER' ? `the ${principal.memberRole} role` : 'this API key';
      throw new ApiError('forbidden', `${who} lacks the "${spec.access}" scope`);
    }
    // The request's logger is already a per-request child (shared with the reply): add to it
    // rather than creating another child on every request.
    (request.log as Logger).setBindings({
      tenantId: ctx.tenant?.tenantId,
      principalId: principal.id,
    });
    return true;
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

import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '@gnomon/auth';
import type { TenantScope } from '@gnomon/db';
import type { FastifyRequest } from 'fastify';

/** What the platform knows about the caller of this request. */
export interface RequestContext {
  requestId: string;
  principal: Principal | null;
  /** The tenant this request acts in (own tenant, or X-Gnomon-Tenant for platform admins). */
  tenant: TenantScope | null;
  /** Client address used for abuse limits. */
  address: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    gnomon?: RequestContext;
  }
}

export function contextOf(request: FastifyRequest): RequestContext {
  if (!request.gnomon) {
    request.gnomon = {
      requestId: String(request.id),
      principal: null,
      tenant: null,
      address: request.ip,
    };
  }
  return request.gnomon;
}

/** The authenticated caller and its tenant, for handlers of tenant-scoped routes. */
export interface TenantCaller {
  requestId: string;
  principal: Principal;
  tenant: TenantScope;
}

export const Caller = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): TenantCaller | RequestContext => {
    const context = contextOf(ctx.switchToHttp().getRequest<FastifyRequest>());
    return context;
  },
);

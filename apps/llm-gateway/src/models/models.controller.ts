import { Controller, Get, Req } from '@nestjs/common';
import { ModelRouter } from '@gnomon/llm';
import type { FastifyRequest } from 'fastify';
import { GatewayAuth } from '../auth/gateway-auth';
import { TenantPolicyCache } from '../platform/tenant-policies';
import { TenantProviders } from '../platform/tenant-providers';

@Controller('v1')
export class ModelsController {
  constructor(
    private readonly auth: GatewayAuth,
    private readonly policies: TenantPolicyCache,
    private readonly router: ModelRouter,
    private readonly tenantProviders: TenantProviders,
  ) {}

  /** The models (and route aliases) this tenant may call on this gateway, OpenAI list shape. */
  @Get('models')
  async list(@Req() request: FastifyRequest) {
    const caller = await this.auth.authenticate(request);
    const policies = await this.policies.get(caller.tenant.tenantId);
    return {
      object: 'list',
      data: this.router
        .listAllowed(policies.routes, this.tenantProviders.forTenant(policies.credentials).offers)
        .map((model) => ({ ...model, object: 'model', created: 0 })),
    };
  }
}

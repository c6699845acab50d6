import { API_V1 } from '../platform/routes';
import { Body, Controller, Get, Put } from '@nestjs/common';
import { RateLimits } from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { LimitsService } from './limits.service';

const TAG = 'Limits and budgets';

@Controller(`${API_V1}/limits`)
export class LimitsController {
  constructor(private readonly limits: LimitsService) {}

  @Get()
  @Endpoint({
    access: 'usage:read',
    tenantScoped: true,
    tag: TAG,
    summary: "The tenant's rate limits per minute (null = unlimited)",
    response: RateLimits,
  })
  get(@Caller() caller: TenantCaller) {
    return this.limits.get(caller.tenant);
  }

  @Put()
  @Endpoint({
    access: 'platform-admin',
    tenantScoped: true,
    tag: TAG,
    summary: "Replace a tenant's rate limits (platform admins, with X-Gnomon-Tenant)",
    body: RateLimits,
    response: RateLimits,
  })
  replace(@Caller() caller: TenantCaller, @Body() body: RateLimits) {
    return this.limits.replace(caller, body);
  }
}

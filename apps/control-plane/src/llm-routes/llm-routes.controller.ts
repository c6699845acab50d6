import { API_V1 } from '../platform/routes';
import { Body, Controller, Get, Put } from '@nestjs/common';
import { LlmRouteConfig, LlmRouteConfigView } from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { LlmRoutesService } from './llm-routes.service';

const TAG = 'LLM routing';

@Controller(`${API_V1}/llm-routes`)
export class LlmRoutesController {
  constructor(private readonly routes: LlmRoutesService) {}

  @Get()
  @Endpoint({
    access: 'usage:read',
    tenantScoped: true,
    tag: TAG,
    summary: "The tenant's model allowlist, aliases and fallback chains",
    response: LlmRouteConfigView,
  })
  get(@Caller() caller: TenantCaller) {
    return this.routes.get(caller.tenant);
  }

  @Put()
  @Endpoint({
    access: 'keys:manage',
    tenantScoped: true,
    tag: TAG,
    summary: "Replace the tenant's model routing (bumps its version)",
    body: LlmRouteConfig,
    response: LlmRouteConfigView,
  })
  replace(@Caller() caller: TenantCaller, @Body() body: LlmRouteConfig) {
    return this.routes.replace(caller, body);
  }
}

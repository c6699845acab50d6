import { Controller, Get } from '@nestjs/common';
import { PlatformOverviewView, TenantOverviewView } from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { API_V1 } from '../platform/routes';
import { OverviewService } from './overview.service';

/** The dashboard's first page: the tenant's figures, or the whole platform's. */
@Controller(API_V1)
export class OverviewController {
  constructor(private readonly overview: OverviewService) {}

  @Get('overview')
  @Endpoint({
    access: 'usage:read',
    tenantScoped: true,
    tag: 'Reports',
    summary: "The tenant's spend today and this month, recent traffic and budget use",
    response: TenantOverviewView,
  })
  tenant(@Caller() caller: TenantCaller) {
    return this.overview.tenant(caller.tenant);
  }

  @Get('admin/overview')
  @Endpoint({
    access: 'platform-admin',
    tag: 'Reports (platform admin)',
    summary:
      "The platform's spend today and this month, recent traffic, provider breakers and the " +
      'top tenants by spend',
    response: PlatformOverviewView,
  })
  platform() {
    return this.overview.platform();
  }
}

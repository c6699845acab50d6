import { Controller, Get, Query } from '@nestjs/common';
import { ProviderHealthQuery, ProviderHealthView } from '@gnomon/contracts';
import { Endpoint } from '@gnomon/http-api';
import { API_V1 } from '../platform/routes';
import { ProviderHealthService } from './provider-health.service';

@Controller(`${API_V1}/admin/providers`)
export class ProvidersController {
  constructor(private readonly providers: ProviderHealthService) {}

  @Get()
  @Endpoint({
    access: 'platform-admin',
    tag: 'Reports (platform admin)',
    summary:
      'Per provider and model over the last hour or day: breaker state, calls, error rate, ' +
      'p50/p95 latency',
    query: ProviderHealthQuery,
    response: ProviderHealthView,
  })
  health(@Query() query: ProviderHealthQuery) {
    return this.providers.health(query.window);
  }
}

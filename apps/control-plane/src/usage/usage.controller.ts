import { API_V1 } from '../platform/routes';
import { Controller, Get, Query } from '@nestjs/common';
import { USAGE_GROUPS, UsageQuery, UsageRow } from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { z } from 'zod';
import { UsageService } from './usage.service';

/** Usage in [from, to): one row per group (groups without calls are left out) and the totals. */
const UsageReport = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  groupBy: z.enum(USAGE_GROUPS),
  rows: z.array(UsageRow),
  totals: UsageRow,
});

@Controller(`${API_V1}/usage`)
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @Endpoint({
    access: 'usage:read',
    tenantScoped: true,
    tag: 'Usage',
    summary: 'Model calls, tokens and cost in [from, to), by UTC day, model, provider or API key',
    query: UsageQuery,
    response: UsageReport,
  })
  report(@Caller() caller: TenantCaller, @Query() query: UsageQuery) {
    return this.usage.report(caller.tenant, query);
  }
}

import { API_V1 } from '../platform/routes';
import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import {
  RateLimitHitsQuery,
  RateLimitHitsView,
  USAGE_GROUPS,
  UsageQuery,
  UsageRow,
} from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { z } from 'zod';
import { usageCsv, usageCsvDisposition } from './usage-csv';
import { UsageService } from './usage.service';

/** Usage in [from, to): one row per group (groups without calls are left out) and the totals. */
const UsageReport = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  groupBy: z.enum(USAGE_GROUPS),
  rows: z.array(UsageRow),
  totals: UsageRow,
});

const TAG = 'Usage';

@Controller(`${API_V1}/usage`)
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @Endpoint({
    access: 'usage:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'Model calls, tokens and cost in [from, to), by UTC day, model, provider or API key',
    query: UsageQuery,
    response: UsageReport,
  })
  report(@Caller() caller: TenantCaller, @Query() query: UsageQuery) {
    return this.usage.report(caller.tenant, query);
  }

  @Get('export')
  @Endpoint({
    access: 'usage:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'The usage report as a CSV download (RFC 4180, header row, one row per group)',
    query: UsageQuery,
    response: z.string().describe('text/csv: the group key, then calls, tokens and cost'),
    contentType: 'text/csv',
  })
  async export(@Caller() caller: TenantCaller, @Query() query: UsageQuery) {
    const report = await this.usage.report(caller.tenant, query);
    const csv = usageCsv(report.groupBy, report.rows);
    return new StreamableFile(Buffer.from(csv, 'utf8'), {
      type: 'text/csv; charset=utf-8',
      disposition: usageCsvDisposition(report.groupBy, new Date(report.from), new Date(report.to)),
    });
  }

  @Get('rate-limits')
  @Endpoint({
    access: 'usage:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'Calls the gateway refused for a rate limit in [from, to), per UTC day',
    query: RateLimitHitsQuery,
    response: RateLimitHitsView,
  })
  rateLimits(@Caller() caller: TenantCaller, @Query() query: RateLimitHitsQuery) {
    return this.usage.rateLimitHits(caller.tenant, query);
  }
}

import { API_V1 } from '../platform/routes';
import { Body, Controller, Get, Put } from '@nestjs/common';
import { BudgetPolicyView, PutBudgetBody } from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { z } from 'zod';
import { BudgetService } from './budget.service';

const TAG = 'Limits and budgets';

/** The tenant's budget policies, each with its current period and what was spent in it. */
const BudgetView = z.object({ policies: z.array(BudgetPolicyView) });

@Controller(`${API_V1}/budget`)
export class BudgetController {
  constructor(private readonly budget: BudgetService) {}

  @Get()
  @Endpoint({
    access: 'usage:read',
    tenantScoped: true,
    tag: TAG,
    summary: "The tenant's budget policies with the current period's spend (micro-USD)",
    response: BudgetView,
  })
  get(@Caller() caller: TenantCaller) {
    return this.budget.get(caller.tenant);
  }

  @Put()
  @Endpoint({
    access: 'platform-admin',
    tenantScoped: true,
    tag: TAG,
    summary: "Replace a tenant's budget policies (platform admins, with X-Gnomon-Tenant)",
    body: PutBudgetBody,
    response: BudgetView,
  })
  replace(@Caller() caller: TenantCaller, @Body() body: PutBudgetBody) {
    return this.budget.replace(caller, body);
  }
}

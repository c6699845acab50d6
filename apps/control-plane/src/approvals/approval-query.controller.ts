import { Controller, Get, Param, Query } from '@nestjs/common';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { ApprovalListQuery, ApprovalParams, ApprovalView, pageOf } from '@gnomon/contracts';
import { API_V1 } from '../platform/routes';
import { ApprovalQueryService } from './approval-query.service';

const TAG = 'Approvals';

/**
 * Reading approvals needs `runs:read` (approvals are part of a run's state; viewers see
 * them); deciding them needs `approvals:write`.
 */
@Controller(`${API_V1}/approvals`)
export class ApprovalQueryController {
  constructor(private readonly approvals: ApprovalQueryService) {}

  @Get()
  @Endpoint({
    access: 'runs:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'List approvals, newest first (filter by status, e.g. ?status=pending, and run)',
    query: ApprovalListQuery,
    response: pageOf(ApprovalView),
  })
  list(@Caller() caller: TenantCaller, @Query() query: ApprovalListQuery) {
    return this.approvals.list(caller, query);
  }

  @Get(':id')
  @Endpoint({
    access: 'runs:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'Get an approval',
    params: ApprovalParams,
    response: ApprovalView,
  })
  get(@Caller() caller: TenantCaller, @Param() params: ApprovalParams) {
    return this.approvals.get(caller.tenant, params.id);
  }
}

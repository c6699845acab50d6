import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApprovalParams, ApprovalView, ApproveRequest, RejectRequest } from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { API_V1 } from '../platform/routes';
import { ApprovalCommandService } from './approval-command.service';

const TAG = 'Approvals';

/** Approving and rejecting; a decision is accepted once. */
@Controller(`${API_V1}/approvals`)
export class ApprovalCommandController {
  constructor(private readonly approvals: ApprovalCommandService) {}

  @Post(':id/approve')
  @HttpCode(200)
  @Endpoint({
    access: 'approvals:write',
    tenantScoped: true,
    tag: TAG,
    summary: 'Approve a pending approval (once; the run goes on along the approved path)',
    params: ApprovalParams,
    body: ApproveRequest,
    response: ApprovalView,
  })
  approve(
    @Caller() caller: TenantCaller,
    @Param() params: ApprovalParams,
    @Body() body: ApproveRequest | undefined,
  ) {
    return this.approvals.decide(caller, params.id, 'APPROVED', body?.reason);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Endpoint({
    access: 'approvals:write',
    tenantScoped: true,
    tag: TAG,
    summary: 'Reject a pending approval with a reason (once; the run follows its reject path)',
    params: ApprovalParams,
    body: RejectRequest,
    response: ApprovalView,
  })
  reject(
    @Caller() caller: TenantCaller,
    @Param() params: ApprovalParams,
    @Body() body: RejectRequest,
  ) {
    return this.approvals.decide(caller, params.id, 'REJECTED', body.reason);
  }
}

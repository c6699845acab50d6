import { Inject, Injectable } from '@nestjs/common';
import type { ApprovalView } from '@gnomon/contracts';
import { TenantDatabase } from '@gnomon/db';
import { ApiError, notFound, type TenantCaller } from '@gnomon/http-api';
import { ApprovalRepository, RunEventRepository, isTerminal } from '@gnomon/runs';
import { TaskTimedOutError, type WorkflowEngine } from '@gnomon/workflow';
import type { Logger } from 'pino';
import { AuditTrail } from '../audit/audit-trail';
import { LOGGER } from '../platform/tokens';
import { WORKFLOW_ENGINE } from '../runs/workflow-engine.provider';
import { ApprovalQueryService } from './approval-query.service';

export type Decision = 'APPROVED' | 'REJECTED';

/**
 * Deciding approvals. A decision is accepted once (the row moves from PENDING exactly once);
 * then the waiting state machine is woken with the stored task token, and the worker reads the
 * decision from the row and follows the task's path for it.
 */
@Injectable()
export class ApprovalCommandService {
  private readonly approvals = new ApprovalRepository();
  private readonly events = new RunEventRepository();

  constructor(
    private readonly db: TenantDatabase,
    private readonly query: ApprovalQueryService,
    private readonly audit: AuditTrail,
    @Inject(WORKFLOW_ENGINE) private readonly engine: WorkflowEngine | null,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async decide(
    caller: TenantCaller,
    approvalId: string,
    decision: Decision,
    reason: string | undefined,
  ): Promise<ApprovalView> {
    const token = await this.db.inTenant(caller.tenant, async (t) => {
      const approval = await this.approvals.find(t, approvalId);
      if (!approval) throw notFound('Approval');
      const role = caller.principal.memberRole;
      // Keys bound to a member decide with that member's role; unbound tenant keys and platform
      // admins act for the tenant as a whole.
      if (role !== null && !approval.approverRoles.includes(role))
        throw new ApiError(
          'forbidden',
          `this approval may be decided by ${approval.approverRoles.join(', ')}; you are ${role}`,
        );
      const run = await t.db.run.findFirst({
        where: { id: approval.runId },
        select: { status: true },
      });
      if (run && isTerminal(run.status))
        throw new ApiError(
          'conflict',
          `the run is already ${run.status}; its approval can no longer be decided`,
        );
      if (approval.status !== 'PENDING')
        throw new ApiError('conflict', `the approval was already ${approval.status}`);
      if (approval.expiresAt.getTime() <= Date.now())
        throw new ApiError('conflict', 'the approval has expired');
      const decidedBy = caller.principal.memberId ?? caller.principal.id;
      if (
        !(await this.approvals.decide(t, approval.id, decision, {
          decidedBy,
          reason: reason ?? null,
        }))
      )
        throw new ApiError('conflict', 'the approval was decided concurrently');
      await this.events.append(
        t,
        approval.runId,
        'approval.decided',
        {
          approvalId: approval.id,
          stepKey: approval.stepKey,
          status: decision,
          decidedBy,
          reason: reason ?? null,
        },
        approval.stepId,
      );
      await this.audit.record(t, caller, {
        action: decision === 'APPROVED' ? 'approval.approved' : 'approval.rejected',
        targetType: 'approval',
        targetId: approval.id,
        metadata: { runId: approval.runId, reason: reason ?? null },
      });
      return approval.taskToken;
    });
    if (token && this.engine) {
      try {
        await this.engine.sendTaskSuccess(token, {});
      } catch (error) {
        // The wait already ended (expiry raced the decision): the worker resolves from the row.
        if (!(error instanceof TaskTimedOutError))
          this.logger.error({ err: error, approvalId }, 'could not wake the run after a decision');
      }
    }
    return this.query.get(caller.tenant, approvalId);
  }
}

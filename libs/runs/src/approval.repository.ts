import type { ApprovalRow, ApprovalStatusValue, TenantTx } from '@gnomon/db';

type Role = 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER';

/** Approvals: created pending with the state machine's task token; decided exactly once. */
export class ApprovalRepository {
  forStep(t: TenantTx, stepId: string): Promise<ApprovalRow | null> {
    return t.db.approval.findFirst({ where: { stepId } });
  }

  find(t: TenantTx, approvalId: string): Promise<ApprovalRow | null> {
    return t.db.approval.findFirst({ where: { id: approvalId } });
  }

  /** Creates the pending approval, or hands the new token to the existing one (redelivery). */
  async open(
    t: TenantTx,
    approval: {
      runId: string;
      stepId: string;
      stepKey: string;
      prompt: string;
      approverRoles: Role[];
      taskToken: string;
      expiresAt: Date;
    },
  ): Promise<ApprovalRow> {
    const existing = await this.forStep(t, approval.stepId);
    if (existing) {
      return t.db.approval.update({
        where: { id: existing.id },
        data: { taskToken: approval.taskToken },
      });
    }
    return t.db.approval.create({ data: { tenantId: t.scope.tenantId, ...approval } });
  }

  /**
   * PENDING → `status`, once: false when the approval was already decided or expired (the
   * row lock of the UPDATE makes concurrent decisions race safely).
   */
  async decide(
    t: TenantTx,
    approvalId: string,
    status: Exclude<ApprovalStatusValue, 'PENDING'>,
    decision: { decidedBy: string | null; reason: string | null },
  ): Promise<boolean> {
    const { count } = await t.db.approval.updateMany({
      where: { id: approvalId, status: 'PENDING' },
      data: {
        status,
        decidedBy: decision.decidedBy,
        reason: decision.reason,
        decidedAt: new Date(),
      },
    });
    return count === 1;
  }
}

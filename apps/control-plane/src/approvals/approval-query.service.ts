import { Injectable } from '@nestjs/common';
import { TenantDatabase, type TenantScope } from '@gnomon/db';
import { CursorCodec, notFound, toPage, type TenantCaller } from '@gnomon/http-api';
import type { ApprovalListQuery, ApprovalView } from '@gnomon/contracts';
import {
  ApprovalQueryRepository,
  shownStatus,
  type ApprovalRecord,
} from './approval-query.repository';

export function approvalView(approval: ApprovalRecord, now: Date): ApprovalView {
  return {
    id: approval.id,
    runId: approval.runId,
    taskId: approval.run.taskId,
    stepId: approval.stepId,
    stepKey: approval.stepKey,
    prompt: approval.prompt,
    approverRoles: approval.approverRoles,
    status: shownStatus(approval, now),
    expiresAt: approval.expiresAt.toISOString(),
    decidedBy: approval.decidedBy,
    decidedAt: approval.decidedAt ? approval.decidedAt.toISOString() : null,
    reason: approval.reason,
    createdAt: approval.createdAt.toISOString(),
  };
}

/** Reading approvals (deciding them is the command side's). */
@Injectable()
export class ApprovalQueryService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly approvals: ApprovalQueryRepository,
    private readonly cursors: CursorCodec,
  ) {}

  async get(scope: TenantScope, id: string): Promise<ApprovalView> {
    const approval = await this.db.inTenant(scope, (t) => this.approvals.find(t, id));
    if (!approval) throw notFound('approval');
    return approvalView(approval, new Date());
  }

  list(caller: TenantCaller, query: ApprovalListQuery) {
    const list = `approvals|${query.status ?? ''}|${query.runId ?? ''}`;
    const tenantId = caller.tenant.tenantId;
    const after = query.cursor ? this.cursors.decode(query.cursor, list, tenantId) : null;
    const now = new Date();
    return this.db.inTenant(caller.tenant, async (t) => {
      const rows = await this.approvals.list(
        t,
        { status: query.status, runId: query.runId },
        after,
        query.limit,
        now,
      );
      return toPage(
        rows,
        query.limit,
        (row) => approvalView(row, now),
        (last) => this.cursors.encode(list, tenantId, last),
      );
    });
  }
}

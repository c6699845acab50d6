import { Injectable } from '@nestjs/common';
import type { ApprovalRow, ApprovalStatusValue, Prisma, TenantTx } from '@gnomon/db';
import type { CursorPosition } from '@gnomon/http-api';
import { afterCursor } from '../platform/pagination';

/** An approval as the API may show it: never its task token. */
export type ApprovalRecord = Omit<ApprovalRow, 'taskToken'> & { run: { taskId: string } };

export interface ApprovalFilter {
  /** The status as shown: a pending approval past its expiry is EXPIRED. */
  status?: ApprovalStatusValue;
  runId?: string;
}

/** Every column but task_token (the Step Functions token is a credential), and the task id. */
const VISIBLE = {
  id: true,
  tenantId: true,
  runId: true,
  stepId: true,
  stepKey: true,
  prompt: true,
  approverRoles: true,
  status: true,
  expiresAt: true,
  decidedBy: true,
  decidedAt: true,
  reason: true,
  createdAt: true,
  run: { select: { taskId: true } },
} as const satisfies Prisma.ApprovalSelect;

/** The read side of approvals. */
@Injectable()
export class ApprovalQueryRepository {
  find(t: TenantTx, id: string): Promise<ApprovalRecord | null> {
    return t.db.approval.findFirst({
      where: { id, tenantId: t.scope.tenantId },
      select: VISIBLE,
    });
  }

  /** Approvals newest first, `limit + 1` of them after the cursor; `now` decides expiry. */
  list(
    t: TenantTx,
    filter: ApprovalFilter,
    after: CursorPosition | null,
    limit: number,
    now: Date,
  ): Promise<ApprovalRecord[]> {
    return t.db.approval.findMany({
      where: {
        AND: [
          { tenantId: t.scope.tenantId },
          filter.runId ? { runId: filter.runId } : {},
          filter.status ? shownAs(filter.status, now) : {},
          afterCursor(after),
        ],
      },
      select: VISIBLE,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
  }
}

/** Approvals whose shown status is `status` (see `shownStatus`). */
function shownAs(status: ApprovalStatusValue, now: Date): Prisma.ApprovalWhereInput {
  switch (status) {
    case 'PENDING':
      return { status: 'PENDING', expiresAt: { gt: now } };
    case 'EXPIRED':
      return { OR: [{ status: 'EXPIRED' }, { status: 'PENDING', expiresAt: { lte: now } }] };
    default:
      return { status };
  }
}

/**
 * The status an approval is shown with: the stored one, except that a pending approval past
 * its expiry is EXPIRED (nobody can decide it any more; the worker records the expiry when
 * the state machine's heartbeat fires, a little later).
 */
export function shownStatus(
  approval: Pick<ApprovalRow, 'status' | 'expiresAt'>,
  now: Date,
): ApprovalStatusValue {
  return approval.status === 'PENDING' && approval.expiresAt <= now ? 'EXPIRED' : approval.status;
}

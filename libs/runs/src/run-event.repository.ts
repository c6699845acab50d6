import type { RunEventData, RunEventType } from '@gnomon/contracts';
import type { Prisma, TenantTx } from '@gnomon/db';

/** Appends to a run's ordered event log (run_events; the timeline and the SSE stream read it). */
export class RunEventRepository {
  async append(
    t: TenantTx,
    runId: string,
    type: RunEventType,
    data: RunEventData = {},
    stepId: string | null = null,
  ): Promise<void> {
    await t.db.runEvent.create({
      data: {
        tenantId: t.scope.tenantId,
        runId,
        stepId,
        type,
        data: data as Prisma.InputJsonValue,
      },
    });
  }
}

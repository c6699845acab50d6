import type { Prisma, RunRow, RunStatusValue, TenantTx } from '@gnomon/db';
import { canMove } from './run-status';

export interface NewRun {
  taskId: string;
  taskVersionId: string;
  taskVersion: number;
  input: unknown;
  idempotencyKey: string | null;
  requestHash: string | null;
  createdBy: string | null;
  replayOf?: string | null;
  replayFrom?: string | null;
}

export interface RunError {
  code: string;
  message: string;
}

/** Runs: creation, lookups and guarded status moves (the hot-path writes are in StepLedger). */
export class RunRepository {
  create(t: TenantTx, run: NewRun): Promise<RunRow> {
    return t.db.run.create({
      data: {
        tenantId: t.scope.tenantId,
        taskId: run.taskId,
        taskVersionId: run.taskVersionId,
        taskVersion: run.taskVersion,
        input: run.input as Prisma.InputJsonValue,
        idempotencyKey: run.idempotencyKey,
        requestHash: run.requestHash,
        createdBy: run.createdBy,
        replayOf: run.replayOf ?? null,
        replayFrom: run.replayFrom ?? null,
      },
    });
  }

  find(t: TenantTx, runId: string): Promise<RunRow | null> {
    return t.db.run.findFirst({ where: { id: runId } });
  }

  findByIdempotencyKey(t: TenantTx, key: string): Promise<RunRow | null> {
    return t.db.run.findFirst({ where: { idempotencyKey: key } });
  }

  /** Locks the run row for the rest of the transaction (status moves are serialized). */
  async lock(t: TenantTx, runId: string): Promise<RunRow | null> {
    const rows = await t.db.$queryRaw<{ id: string }[]>`
      SELECT id FROM runs WHERE id = ${runId}::uuid FOR UPDATE`;
    return rows.length === 0 ? null : this.find(t, runId);
  }

  /**
   * Moves a locked run to `to` if the move is allowed; returns the previous status, or null
   * when the run is already there or may not move (e.g. it is terminal).
   */
  async move(
    t: TenantTx,
    run: RunRow,
    to: RunStatusValue,
    extra: { error?: RunError | null; output?: unknown } = {},
  ): Promise<RunStatusValue | null> {
    if (!canMove(run.status, to)) return null;
    const now = new Date();
    await t.db.run.update({
      where: { id: run.id },
      data: {
        status: to,
        ...(to === 'RUNNING' && run.startedAt === null ? { startedAt: now } : {}),
        ...(['SUCCEEDED', 'FAILED', 'BUDGET_EXCEEDED', 'CANCELLED', 'TIMED_OUT'].includes(to)
          ? { finishedAt: now }
          : {}),
        ...(extra.error !== undefined
          ? { error: (extra.error ?? null) as unknown as Prisma.InputJsonValue }
          : {}),
        ...(extra.output !== undefined ? { output: extra.output as Prisma.InputJsonValue } : {}),
      },
    });
    return run.status;
  }
}

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

/** Runs: creation, guarded status moves, sequence numbers for step cursors, usage totals. */
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

  /** Hands out `count` consecutive step sequence numbers (cursors) for the run. */
  async allocateSeqs(t: TenantTx, runId: string, count: number): Promise<number[]> {
    const rows = await t.db.$queryRaw<{ next_seq: number }[]>`
      UPDATE runs SET next_seq = next_seq + ${count}, updated_at = now()
      WHERE id = ${runId}::uuid RETURNING next_seq`;
    const end = rows[0]?.next_seq;
    if (end === undefined) throw new Error(`run ${runId} not found`);
    return Array.from({ length: count }, (_, i) => end - count + i);
  }

  async setOutput(
    t: TenantTx,
    runId: string,
    output: unknown,
    outputRef: string | null = null,
  ): Promise<void> {
    await t.db.run.update({
      where: { id: runId },
      data: { output: output as Prisma.InputJsonValue, outputRef },
    });
  }

  async setGeneration(t: TenantTx, runId: string, generation: number): Promise<void> {
    await t.db.run.updateMany({
      where: { id: runId, generation: { lt: generation } },
      data: { generation },
    });
  }

  async addUsage(
    t: TenantTx,
    runId: string,
    usage: { inputTokens: number; outputTokens: number; costMicros: bigint },
  ): Promise<void> {
    await t.db.run.update({
      where: { id: runId },
      data: {
        inputTokens: { increment: usage.inputTokens },
        outputTokens: { increment: usage.outputTokens },
        costMicros: { increment: usage.costMicros },
      },
    });
  }
}

import type { Prisma, StepRow, TenantTx } from '@gnomon/db';

export interface StepUsage {
  inputTokens: number;
  outputTokens: number;
  costMicros: bigint;
  modelMs: number;
}

export interface StepFailure {
  code: string;
  message: string;
  /** The workflow error name the task token was failed with (replayed on redelivery). */
  error?: string;
}

const json = (value: unknown) => (value ?? null) as Prisma.InputJsonValue;

/**
 * Steps: one row per visit of a definition step (per model turn for an agent loop). The row
 * exists (QUEUED) before its cursor is handed to the state machine; `outcome` is the answer
 * given for it, replayed when the same message is delivered again.
 */
export class StepRepository {
  findBySeq(t: TenantTx, runId: string, seq: number): Promise<StepRow | null> {
    return t.db.step.findFirst({ where: { runId, seq } });
  }

  /** Renews the lease of a running step. */
  async touch(t: TenantTx, stepId: string): Promise<void> {
    await t.db
      .$executeRaw`UPDATE steps SET updated_at = now() WHERE id = ${stepId}::uuid AND status = 'RUNNING'`;
  }

  async fail(t: TenantTx, stepId: string, error: StepFailure): Promise<void> {
    await t.db.step.update({
      where: { id: stepId },
      data: { status: 'FAILED', error: json(error), finishedAt: new Date() },
    });
  }

  async retrying(t: TenantTx, stepId: string, attempt: number, error: StepFailure): Promise<void> {
    await t.db.step.update({
      where: { id: stepId },
      // A new attempt starts clean: its model call is made again (new idempotency key).
      data: { status: 'RETRYING', attempt, error: json(error), state: json(null) },
    });
  }

  async skip(t: TenantTx, stepId: string): Promise<void> {
    await t.db.step.update({
      where: { id: stepId },
      data: { status: 'SKIPPED', finishedAt: new Date() },
    });
  }

  /** Earlier turns of one visit of an agent loop, oldest first. */
  turnsBefore(t: TenantTx, step: StepRow): Promise<StepRow[]> {
    return t.db.step.findMany({
      where: {
        runId: step.runId,
        stepKey: step.stepKey,
        visit: step.visit,
        turn: { lt: step.turn },
      },
      orderBy: { turn: 'asc' },
    });
  }

  listForRun(t: TenantTx, runId: string): Promise<StepRow[]> {
    return t.db.step.findMany({ where: { runId }, orderBy: { seq: 'asc' } });
  }
}

import type { Prisma, StepRow, TenantTx } from '@gnomon/db';

export interface NewStep {
  runId: string;
  seq: number;
  stepKey: string;
  type: string;
  visit: number;
  turn?: number;
  branch?: string | null;
  state?: unknown;
}

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

/** A step's latest output: inline, or (above 32 KiB) the S3 key it was offloaded to. */
export interface StepOutputRecord {
  output: unknown;
  outputRef: string | null;
}

const json = (value: unknown) => (value ?? null) as Prisma.InputJsonValue;

/**
 * Steps: one row per visit of a definition step (per model turn for an agent loop). The row
 * exists (QUEUED) before its cursor is handed to the state machine; `outcome` is the answer
 * given for it, replayed when the same message is delivered again.
 */
export class StepRepository {
  create(t: TenantTx, step: NewStep): Promise<StepRow> {
    return t.db.step.create({
      data: {
        tenantId: t.scope.tenantId,
        runId: step.runId,
        seq: step.seq,
        stepKey: step.stepKey,
        type: step.type,
        visit: step.visit,
        turn: step.turn ?? 1,
        branch: step.branch ?? null,
        ...(step.state !== undefined ? { state: json(step.state) } : {}),
      },
    });
  }

  findBySeq(t: TenantTx, runId: string, seq: number): Promise<StepRow | null> {
    return t.db.step.findFirst({ where: { runId, seq } });
  }

  /**
   * Takes the step for this worker: QUEUED/RETRYING steps, or a RUNNING one whose lease ran out
   * (its worker died; SQS delivered the message again). False when somebody else holds it.
   */
  async claim(t: TenantTx, stepId: string, leaseSeconds: number): Promise<boolean> {
    const claimed = await t.db.$executeRaw`
      UPDATE steps SET status = 'RUNNING', started_at = COALESCE(started_at, now()), updated_at = now()
      WHERE id = ${stepId}::uuid
        AND (status IN ('QUEUED', 'RETRYING')
             OR (status = 'RUNNING' AND updated_at < now() - make_interval(secs => ${leaseSeconds})))`;
    return claimed === 1;
  }

  /** Renews the lease of a running step. */
  async touch(t: TenantTx, stepId: string): Promise<void> {
    await t.db
      .$executeRaw`UPDATE steps SET updated_at = now() WHERE id = ${stepId}::uuid AND status = 'RUNNING'`;
  }

  async setInput(t: TenantTx, stepId: string, input: unknown): Promise<void> {
    await t.db.step.update({ where: { id: stepId }, data: { input: json(input) } });
  }

  /** Saves progress inside a step (a model answer before its tool calls run). */
  async checkpoint(t: TenantTx, stepId: string, state: unknown, usage?: StepUsage): Promise<void> {
    await t.db.step.update({
      where: { id: stepId },
      data: {
        state: json(state),
        ...(usage
          ? {
              inputTokens: usage.inputTokens,
              outputTokens: usage.outputTokens,
              costMicros: usage.costMicros,
              modelMs: usage.modelMs,
            }
          : {}),
      },
    });
  }

  async succeed(
    t: TenantTx,
    stepId: string,
    result: { output: unknown; outcome: unknown; outputRef?: string | null },
  ): Promise<void> {
    await t.db.step.update({
      where: { id: stepId },
      data: {
        status: 'SUCCEEDED',
        output: json(result.output),
        outputRef: result.outputRef ?? null,
        outcome: json(result.outcome),
        error: json(null),
        finishedAt: new Date(),
      },
    });
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

  /** How many times the run has entered a definition step (its visits). */
  async visits(t: TenantTx, runId: string, stepKey: string): Promise<number> {
    const rows = await t.db.$queryRaw<{ n: number }[]>`
      SELECT COALESCE(MAX(visit), 0)::int AS n FROM steps WHERE run_id = ${runId}::uuid AND step_key = ${stepKey}`;
    return rows[0]?.n ?? 0;
  }

  /**
   * The outputs templates see: the latest finished output of each definition step (an agent
   * loop's intermediate turns have none).
   */
  async outputs(t: TenantTx, runId: string): Promise<Record<string, StepOutputRecord>> {
    const rows = await t.db.$queryRaw<
      { step_key: string; output: unknown; output_ref: string | null }[]
    >`
      SELECT DISTINCT ON (step_key) step_key, output, output_ref FROM steps
      WHERE run_id = ${runId}::uuid AND status = 'SUCCEEDED'
        AND (output IS NOT NULL OR output_ref IS NOT NULL OR type <> 'llm')
      ORDER BY step_key, seq DESC`;
    return Object.fromEntries(
      rows.map((row) => [row.step_key, { output: row.output, outputRef: row.output_ref }]),
    );
  }

  listForRun(t: TenantTx, runId: string): Promise<StepRow[]> {
    return t.db.step.findMany({ where: { runId }, orderBy: { seq: 'asc' } });
  }
}

import type { RunEventType } from '@gnomon/contracts';
import type { RunRow, SqlSession, StepRow } from '@gnomon/db';
import type { StepUsage } from './step.repository';
import {
  RUN_COLUMNS,
  STEP_COLUMNS,
  jsonParam,
  runRowOf,
  stepRowOf,
  type RawRun,
  type RawStep,
} from './sql-rows';

export interface NewStep {
  runId: string;
  stepKey: string;
  type: string;
  /** The visit it belongs to; a new visit when absent. */
  visit?: number;
  turn?: number;
  branch?: string | null;
}

/** A step's latest output: inline, or (above 32 KiB) the S3 key it was offloaded to. */
export interface StepOutputRecord {
  output: unknown;
  outputRef: string | null;
}

/** What a finished step records in the same statement that marks it SUCCEEDED. */
export interface StepSuccess {
  output: unknown;
  outputRef: string | null;
  outcome: unknown;
  /** What the step was given (rendered prompt, tool input); kept as is when undefined. */
  input?: unknown;
  /** The model call's usage when it was not checkpointed before. */
  usage?: StepUsage;
}

/** Statuses a run may move to RUNNING from (see canMove). */
const STARTABLE = `('PENDING', 'AWAITING_APPROVAL')`;
const LIVE = `('PENDING', 'RUNNING', 'AWAITING_APPROVAL')`;

/**
 * The writes of a step's life in hand-written SQL, one statement each where SQL allows it: the
 * worker runs a step in two short transactions (open: load + claim + start; finish: route +
 * succeed + events), so these statements are its whole database cost per step. They take a
 * SqlSession, so paths that already hold a Prisma tenant transaction use them too.
 */
export class StepLedger {
  /**
   * The run (its generation raised to the delivering execution's) and the step at `seq`: one
   * statement, which writes only when the generation is new.
   */
  async load(
    s: SqlSession,
    runId: string,
    seq: number,
    generation: number,
  ): Promise<{ run: RunRow; step: StepRow | null } | null> {
    const [row] = await s.query<RawRun & { step: RawStep | null }>(
      `WITH raised AS (
         UPDATE runs SET generation = $3 WHERE id = $1::uuid AND generation < $3
         RETURNING ${RUN_COLUMNS}),
       run AS (
         SELECT * FROM raised
         UNION ALL
         SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1::uuid AND NOT EXISTS (SELECT 1 FROM raised))
       SELECT run.*, (SELECT row_to_json(st) FROM (
           SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = $1::uuid AND seq = $2) st) AS step
       FROM run`,
      [runId, seq, generation],
    );
    if (!row) return null;
    const { step, ...run } = row;
    return { run: runRowOf(run), step: step ? stepRowOf(step) : null };
  }

  /**
   * Takes the step for this worker: QUEUED/RETRYING steps, or a RUNNING one whose lease ran out
   * (its worker died; SQS delivered the message again). Null when somebody else holds it.
   */
  async claim(s: SqlSession, stepId: string, leaseSeconds: number): Promise<StepRow | null> {
    const [row] = await s.query<RawStep>(
      `UPDATE steps SET status = 'RUNNING', started_at = COALESCE(started_at, now()), updated_at = now()
       WHERE id = $1::uuid
         AND (status IN ('QUEUED', 'RETRYING')
              OR (status = 'RUNNING' AND updated_at < now() - make_interval(secs => $2)))
       RETURNING ${STEP_COLUMNS}`,
      [stepId, leaseSeconds],
    );
    return row ? stepRowOf(row) : null;
  }

  /**
   * Claims the step (see `claim`) and, when it is ours, starts it: the run becomes RUNNING if it
   * was not, and `run.started` / `step.started` are logged in that order. One statement.
   */
  async claimAndStart(
    s: SqlSession,
    runId: string,
    stepId: string,
    leaseSeconds: number,
  ): Promise<StepRow | null> {
    const [row] = await s.query<RawStep>(
      `WITH claimed AS (
         UPDATE steps SET status = 'RUNNING', started_at = COALESCE(started_at, now()),
                updated_at = now()
         WHERE id = $2::uuid AND run_id = $1::uuid
           AND (status IN ('QUEUED', 'RETRYING')
                OR (status = 'RUNNING' AND updated_at < now() - make_interval(secs => $3)))
         RETURNING *),
       prev AS (
         SELECT status FROM runs
         WHERE id = $1::uuid AND status IN ${STARTABLE} AND EXISTS (SELECT 1 FROM claimed)
         FOR UPDATE),
       moved AS (
         UPDATE runs r SET status = 'RUNNING', started_at = COALESCE(r.started_at, now()),
                updated_at = now()
         FROM prev WHERE r.id = $1::uuid
         RETURNING prev.status::text AS previous),
       logged AS (
         INSERT INTO run_events (tenant_id, run_id, step_id, type, data)
         SELECT tenant_id, run_id, step_id, type, data FROM (
           SELECT 1 AS n, c.tenant_id, c.run_id, NULL::uuid AS step_id, 'run.started' AS type,
                  jsonb_build_object('status', 'RUNNING', 'previousStatus', m.previous) AS data
           FROM moved m, claimed c
           UNION ALL
           SELECT 2, tenant_id, run_id, id, 'step.started', jsonb_build_object('seq', seq,
                  'stepKey', step_key, 'type', type, 'turn', turn, 'attempt', attempt)
           FROM claimed) e
         ORDER BY n)
       SELECT ${STEP_COLUMNS} FROM claimed`,
      [runId, stepId, leaseSeconds],
    );
    return row ? stepRowOf(row) : null;
  }

  /**
   * The outputs templates see: the latest finished output of each definition step (an agent
   * loop's intermediate turns have none).
   */
  async outputs(s: SqlSession, runId: string): Promise<Record<string, StepOutputRecord>> {
    const rows = await s.query<{ stepKey: string; output: unknown; outputRef: string | null }>(
      `SELECT DISTINCT ON (step_key) step_key AS "stepKey", output, output_ref AS "outputRef"
       FROM steps
       WHERE run_id = $1::uuid AND status = 'SUCCEEDED'
         AND (output IS NOT NULL OR output_ref IS NOT NULL OR type <> 'llm')
       ORDER BY step_key, seq DESC`,
      [runId],
    );
    return Object.fromEntries(
      rows.map((row) => [row.stepKey, { output: row.output, outputRef: row.outputRef }]),
    );
  }

  /**
   * A new QUEUED step row at the run's next sequence number (a cursor the state machine may be
   * handed): a new visit of `stepKey` unless `visit` is given (another turn of the same visit).
   * Returns its seq and visit. One statement.
   */
  async enter(s: SqlSession, step: NewStep): Promise<{ seq: number; visit: number }> {
    const [row] = await s.query<{ seq: number; visit: number }>(
      `WITH visits AS (
         SELECT COALESCE(MAX(visit), 0)::int AS n FROM steps
         WHERE run_id = $1::uuid AND step_key = $2),
       cursor AS (
         UPDATE runs SET next_seq = next_seq + 1, updated_at = now()
         WHERE id = $1::uuid RETURNING next_seq - 1 AS seq)
       INSERT INTO steps (tenant_id, run_id, seq, step_key, type, visit, turn, branch)
       SELECT $7::uuid, $1::uuid, cursor.seq, $2, $3, COALESCE($4, visits.n + 1), $5, $6
       FROM cursor, visits
       RETURNING seq, visit`,
      [
        step.runId,
        step.stepKey,
        step.type,
        step.visit ?? null,
        step.turn ?? 1,
        step.branch ?? null,
        s.scope.tenantId,
      ],
    );
    if (!row) throw new Error(`run ${step.runId} not found`);
    return row;
  }

  /**
   * Saves progress inside a step (a model answer before its tool calls run, an approval's
   * deadline), with the model call's usage when given.
   */
  async checkpoint(
    s: SqlSession,
    step: StepRow,
    state: unknown,
    extra: { usage?: StepUsage; input?: unknown } = {},
  ): Promise<void> {
    const { usage, input } = extra;
    await s.query(
      `UPDATE steps SET state = $2::jsonb, updated_at = now(),
         input = CASE WHEN $3::boolean THEN $4::jsonb ELSE input END,
         input_tokens = COALESCE($5, input_tokens), output_tokens = COALESCE($6, output_tokens),
         cost_micros = COALESCE($7::bigint, cost_micros), model_ms = COALESCE($8, model_ms)
       WHERE id = $1::uuid`,
      [step.id, jsonParam(state), input !== undefined, jsonParam(input), ...usageParams(usage)],
    );
    if (usage) await this.addUsage(s, step.runId, usage);
  }

  /**
   * Marks the step SUCCEEDED with its output and the outcome handed to the state machine, and
   * logs `step.succeeded` with its duration and usage: one statement.
   */
  async succeed(s: SqlSession, step: StepRow, success: StepSuccess): Promise<void> {
    const { usage } = success;
    await s.query(
      `WITH done AS (
         UPDATE steps SET status = 'SUCCEEDED', output = $2::jsonb, output_ref = $3,
           outcome = $4::jsonb, error = NULL, finished_at = now(), updated_at = now(),
           input = CASE WHEN $5::boolean THEN $6::jsonb ELSE input END,
           input_tokens = COALESCE($7, input_tokens), output_tokens = COALESCE($8, output_tokens),
           cost_micros = COALESCE($9::bigint, cost_micros), model_ms = COALESCE($10, model_ms)
         WHERE id = $1::uuid
         RETURNING id, tenant_id, run_id, seq, step_key, type, turn, input_tokens, output_tokens,
           cost_micros, started_at, finished_at),
       usage AS (
         UPDATE runs SET input_tokens = input_tokens + $7, output_tokens = output_tokens + $8,
           cost_micros = cost_micros + $9::bigint, updated_at = now()
         WHERE id = (SELECT run_id FROM done) AND $7 IS NOT NULL)
       INSERT INTO run_events (tenant_id, run_id, step_id, type, data)
       SELECT tenant_id, run_id, id, 'step.succeeded', jsonb_build_object(
         'seq', seq, 'stepKey', step_key, 'type', type, 'turn', turn, 'status', 'SUCCEEDED',
         'durationMs', COALESCE(floor(extract(epoch FROM finished_at - started_at) * 1000), 0)::int,
         'inputTokens', input_tokens, 'outputTokens', output_tokens,
         'costMicros', cost_micros::text)
       FROM done`,
      [
        step.id,
        jsonParam(success.output),
        success.outputRef,
        jsonParam(success.outcome),
        success.input !== undefined,
        jsonParam(success.input),
        ...usageParams(usage),
      ],
    );
  }

  /** Adds a model call's usage to the run's totals. */
  async addUsage(s: SqlSession, runId: string, usage: StepUsage): Promise<void> {
    await s.query(
      `UPDATE runs SET input_tokens = input_tokens + $2, output_tokens = output_tokens + $3,
         cost_micros = cost_micros + $4::bigint, updated_at = now()
       WHERE id = $1::uuid`,
      [runId, usage.inputTokens, usage.outputTokens, String(usage.costMicros)],
    );
  }

  /**
   * The run's last step finished: the run SUCCEEDED with its output, logged once. The state
   * machine's finalize message then finds the run already ended (it is only the backstop).
   */
  async succeedRun(
    s: SqlSession,
    runId: string,
    output: { output: unknown; outputRef: string | null },
  ): Promise<void> {
    const ended = await s.query<{ previous: string }>(
      `WITH prev AS (SELECT status FROM runs WHERE id = $1::uuid FOR UPDATE)
       UPDATE runs r SET status = 'SUCCEEDED', finished_at = now(), updated_at = now(),
              output = $2::jsonb, output_ref = $3
       FROM prev WHERE r.id = $1::uuid AND prev.status IN ${LIVE}
       RETURNING prev.status::text AS previous`,
      [runId, jsonParam(output.output), output.outputRef],
    );
    if (ended[0])
      await this.appendEvents(s, runId, [
        ['run.finished', { status: 'SUCCEEDED', previousStatus: ended[0].previous }, null],
      ]);
  }

  /** Appends events in order (one statement; ids follow the VALUES order). */
  private async appendEvents(
    s: SqlSession,
    runId: string,
    events: [RunEventType, unknown, string | null][],
  ): Promise<void> {
    const params: unknown[] = [s.scope.tenantId, runId];
    const rows = events.map(([type, data, stepId]) => {
      params.push(type, jsonParam(data), stepId);
      const n = params.length;
      return `($1::uuid, $2::uuid, $${n}::uuid, $${n - 2}, $${n - 1}::jsonb)`;
    });
    await s.query(
      `INSERT INTO run_events (tenant_id, run_id, step_id, type, data) VALUES ${rows.join(', ')}`,
      params,
    );
  }
}

function usageParams(usage: StepUsage | undefined): unknown[] {
  return usage
    ? [usage.inputTokens, usage.outputTokens, String(usage.costMicros), usage.modelMs]
    : [null, null, null, null];
}

import type { RunRow, StepRow } from '@gnomon/db';

// Column lists for hand-written SQL (SqlSession). Everything comes back as a plain JSON type
// (uuids and bigints as text), so the plain-pg and the Prisma raw paths read alike.

export const STEP_COLUMNS = `id::text AS id, tenant_id::text AS "tenantId", run_id::text AS "runId",
  seq, step_key AS "stepKey", type, status::text AS status, visit, turn, attempt, branch, input,
  output, output_ref AS "outputRef", outcome, error, state, input_tokens AS "inputTokens",
  output_tokens AS "outputTokens", cost_micros::text AS "costMicros", model_ms AS "modelMs",
  created_at AS "createdAt", updated_at AS "updatedAt", started_at AS "startedAt",
  finished_at AS "finishedAt"`;

export const RUN_COLUMNS = `id::text AS id, tenant_id::text AS "tenantId", task_id::text AS "taskId",
  task_version_id::text AS "taskVersionId", task_version AS "taskVersion", status::text AS status,
  input, output, output_ref AS "outputRef", error, idempotency_key AS "idempotencyKey",
  request_hash AS "requestHash", created_by AS "createdBy", replay_of::text AS "replayOf",
  replay_from AS "replayFrom", generation, next_seq AS "nextSeq", input_tokens AS "inputTokens",
  output_tokens AS "outputTokens", cost_micros::text AS "costMicros", created_at AS "createdAt",
  updated_at AS "updatedAt", started_at AS "startedAt", finished_at AS "finishedAt"`;

type Raw<T> = Omit<T, 'costMicros' | 'status'> & { costMicros: string; status: string };

const date = (value: Date | string | null): Date | null =>
  value === null ? null : value instanceof Date ? value : new Date(value);

/** What step and run rows share: a bigint cost and four timestamps, sent as text. */
interface RawTimes {
  costMicros: string;
  createdAt: Date | string;
  updatedAt: Date | string;
  startedAt: Date | string | null;
  finishedAt: Date | string | null;
}

/** Turns the shared fields back from their JSON forms (the rest is already typed). */
function typed<T>(raw: RawTimes): T {
  return {
    ...raw,
    costMicros: BigInt(raw.costMicros),
    createdAt: date(raw.createdAt),
    updatedAt: date(raw.updatedAt),
    startedAt: date(raw.startedAt),
    finishedAt: date(raw.finishedAt),
  } as T;
}

export const stepRowOf = (raw: Raw<StepRow>): StepRow => typed<StepRow>(raw);
export const runRowOf = (raw: Raw<RunRow>): RunRow => typed<RunRow>(raw);

export type RawStep = Raw<StepRow>;
export type RawRun = Raw<RunRow>;

/** A JSON value as a `$n::jsonb` parameter; null and undefined are SQL NULL (no value). */
export const jsonParam = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);

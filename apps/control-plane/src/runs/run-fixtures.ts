// Test-only: writes runs, steps, tool calls, events and approvals straight into the test
// database with superuser SQL (the read APIs are tested on rows exactly as the write side
// stores them). Never imported by production code.
import { randomUUID } from 'node:crypto';
import type { ControlPlaneHarness } from '../testing/control-plane-harness';

export interface TaskFixture {
  id: string;
  versionId: string;
  name: string;
  version: number;
}

export interface RunFields {
  status?: string;
  input?: unknown;
  output?: unknown;
  outputRef?: string | null;
  error?: unknown;
  replayOf?: string | null;
  replayFrom?: string | null;
  createdBy?: string | null;
  inputTokens?: number;
  outputTokens?: number;
  costMicros?: string;
  createdAt?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
}

export interface StepFields {
  seq: number;
  stepKey: string;
  type?: string;
  status?: string;
  visit?: number;
  turn?: number;
  attempt?: number;
  branch?: string | null;
  input?: unknown;
  output?: unknown;
  outputRef?: string | null;
  error?: unknown;
  inputTokens?: number;
  outputTokens?: number;
  costMicros?: string;
  modelMs?: number;
  startedAt?: string | null;
  finishedAt?: string | null;
}

export interface ToolEventFields {
  callKey: string;
  tool?: string;
  toolVersion?: number;
  status?: string;
  input?: unknown;
  output?: unknown;
  error?: unknown;
  durationMs?: number;
  createdAt?: string;
}

export interface ApprovalFields {
  stepKey?: string;
  prompt?: string;
  approverRoles?: string[] | null;
  status?: string;
  taskToken?: string | null;
  expiresAt?: string;
  decidedBy?: string | null;
  decidedAt?: string | null;
  reason?: string | null;
  createdAt?: string;
}

/** JSON for a jsonb parameter (undefined → SQL null). */
const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

export class RunFixtures {
  constructor(private readonly h: ControlPlaneHarness) {}

  async task(tenantId: string, name = `task-${randomUUID().slice(0, 8)}`): Promise<TaskFixture> {
    const [task] = await this.h.sql<{ id: string }>(
      `insert into tasks (tenant_id, name, description, current_version)
       values ($1, $2, '', 1) returning id`,
      [tenantId, name],
    );
    const [version] = await this.h.sql<{ id: string }>(
      `insert into task_versions (tenant_id, task_id, version, definition)
       values ($1, $2, 1, '{}'::jsonb) returning id`,
      [tenantId, task.id],
    );
    return { id: task.id, versionId: version.id, name, version: 1 };
  }

  async run(tenantId: string, task: TaskFixture, fields: RunFields = {}): Promise<string> {
    const [row] = await this.h.sql<{ id: string }>(
      `insert into runs (tenant_id, task_id, task_version_id, task_version, status, input, output,
                         output_ref, error, replay_of, replay_from, created_by, input_tokens,
                         output_tokens, cost_micros, created_at, started_at, finished_at)
       values ($1, $2, $3, $4, $5::"RunStatus", $6::jsonb, $7::jsonb, $8, $9::jsonb, $10, $11,
               $12, $13, $14, $15::bigint, coalesce($16::timestamptz, now()), $17, $18)
       returning id`,
      [
        tenantId,
        task.id,
        task.versionId,
        task.version,
        fields.status ?? 'RUNNING',
        json(fields.input ?? {}),
        json(fields.output),
        fields.outputRef ?? null,
        json(fields.error),
        fields.replayOf ?? null,
        fields.replayFrom ?? null,
        fields.createdBy ?? null,
        fields.inputTokens ?? 0,
        fields.outputTokens ?? 0,
        fields.costMicros ?? '0',
        fields.createdAt ?? null,
        fields.startedAt ?? null,
        fields.finishedAt ?? null,
      ],
    );
    return row.id;
  }

  async setRunStatus(runId: string, status: string): Promise<void> {
    await this.h.sql(
      `update runs set status = $2::"RunStatus", finished_at = now() where id = $1`,
      [runId, status],
    );
  }

  async step(tenantId: string, runId: string, fields: StepFields): Promise<string> {
    const [row] = await this.h.sql<{ id: string }>(
      `insert into steps (tenant_id, run_id, seq, step_key, type, status, visit, turn, attempt,
                          branch, input, output, output_ref, error, input_tokens, output_tokens,
                          cost_micros, model_ms, started_at, finished_at, state, outcome)
       values ($1, $2, $3, $4, $5, $6::"StepStatus", $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13,
               $14::jsonb, $15, $16, $17::bigint, $18, $19, $20,
               '{"internal":"state"}'::jsonb, '{"route":"next"}'::jsonb)
       returning id`,
      [
        tenantId,
        runId,
        fields.seq,
        fields.stepKey,
        fields.type ?? 'llm',
        fields.status ?? 'SUCCEEDED',
        fields.visit ?? 1,
        fields.turn ?? 1,
        fields.attempt ?? 1,
        fields.branch ?? null,
        json(fields.input),
        json(fields.output),
        fields.outputRef ?? null,
        json(fields.error),
        fields.inputTokens ?? 0,
        fields.outputTokens ?? 0,
        fields.costMicros ?? '0',
        fields.modelMs ?? 0,
        fields.startedAt ?? null,
        fields.finishedAt ?? null,
      ],
    );
    return row.id;
  }

  async toolEvent(
    tenantId: string,
    runId: string,
    stepId: string,
    fields: ToolEventFields,
  ): Promise<string> {
    const [row] = await this.h.sql<{ id: string }>(
      `insert into tool_events (tenant_id, run_id, step_id, call_key, tool_name, tool_version,
                                status, input, output, error, duration_ms, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $11,
               coalesce($12::timestamptz, now()))
       returning id`,
      [
        tenantId,
        runId,
        stepId,
        fields.callKey,
        fields.tool ?? 'add',
        fields.toolVersion ?? 1,
        fields.status ?? 'SUCCEEDED',
        json(fields.input),
        json(fields.output),
        json(fields.error),
        fields.durationMs ?? 0,
        fields.createdAt ?? null,
      ],
    );
    return row.id;
  }

  /** Appends an event; returns its id (decimal text). */
  async event(
    tenantId: string,
    runId: string,
    type: string,
    data: Record<string, unknown> = {},
    stepId: string | null = null,
  ): Promise<string> {
    const [row] = await this.h.sql<{ id: string }>(
      `insert into run_events (tenant_id, run_id, step_id, type, data)
       values ($1, $2, $3, $4, $5::jsonb) returning id::text as id`,
      [tenantId, runId, stepId, type, JSON.stringify(data)],
    );
    return row.id;
  }

  async approval(
    tenantId: string,
    runId: string,
    stepId: string,
    fields: ApprovalFields = {},
  ): Promise<string> {
    const roles = fields.approverRoles === undefined ? ['OWNER', 'ADMIN'] : fields.approverRoles;
    const [row] = await this.h.sql<{ id: string }>(
      `insert into approvals (tenant_id, run_id, step_id, step_key, prompt, approver_roles,
                              status, task_token, expires_at, decided_by, decided_at, reason,
                              created_at)
       values ($1, $2, $3, $4, $5, $6::"MemberRole"[], $7::"ApprovalStatus", $8,
               coalesce($9::timestamptz, now() + interval '1 day'), $10, $11, $12,
               coalesce($13::timestamptz, now()))
       returning id`,
      [
        tenantId,
        runId,
        stepId,
        fields.stepKey ?? 'review',
        fields.prompt ?? 'Ship it?',
        roles === null ? null : `{${roles.join(',')}}`,
        fields.status ?? 'PENDING',
        fields.taskToken === undefined ? `token-${randomUUID()}` : fields.taskToken,
        fields.expiresAt ?? null,
        fields.decidedBy ?? null,
        fields.decidedAt ?? null,
        fields.reason ?? null,
        fields.createdAt ?? null,
      ],
    );
    return row.id;
  }
}

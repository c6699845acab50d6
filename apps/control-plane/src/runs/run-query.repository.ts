import { Injectable } from '@nestjs/common';
import type {
  Prisma,
  RunEventRow,
  RunRow,
  RunStatusValue,
  StepRow,
  TenantTx,
  ToolEventRow,
} from '@gnomon/db';
import type { CursorPosition } from '@gnomon/http-api';
import { afterCursor } from '../platform/pagination';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A run with its task's name. */
export type RunRecord = RunRow & { task: { name: string } };
/** A run in a list: without its input and output (they can be large). */
export type RunSummaryRecord = Omit<RunRecord, 'input' | 'output'>;
/** A step with its tool calls. */
export type StepRecord = StepRow & { toolEvents: ToolEventRow[] };

export interface RunFilter {
  status?: RunStatusValue;
  /** The task's id or its name. */
  task?: string;
  createdFrom?: Date;
  createdBefore?: Date;
}

/** One step's figures for the metrics, straight from SQL. */
export interface StepFigures {
  seq: number;
  stepKey: string;
  type: string;
  status: StepRow['status'];
  visit: number;
  turn: number;
  attempt: number;
  branch: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  modelMs: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: string;
  toolCalls: number;
  toolMs: string;
}

/** Sums over all of a run's steps and tool calls (exact decimal text). */
export interface RunFigures {
  steps: string;
  modelMs: string;
  inputTokens: string;
  outputTokens: string;
  costMicros: string;
  toolCalls: string;
  toolMs: string;
}

const TASK_NAME = { task: { select: { name: true } } } as const;

/**
 * The read side of runs: runs, their steps and tool calls, their event log and their
 * figures. Every query names the tenant (RLS backs it up).
 */
@Injectable()
export class RunQueryRepository {
  find(t: TenantTx, runId: string): Promise<RunRecord | null> {
    return t.db.run.findFirst({
      where: { id: runId, tenantId: t.scope.tenantId },
      include: TASK_NAME,
    });
  }

  /** Just the status (the event stream asks on every poll). Null when there is no such run. */
  async status(t: TenantTx, runId: string): Promise<RunStatusValue | null> {
    const run = await t.db.run.findFirst({
      where: { id: runId, tenantId: t.scope.tenantId },
      select: { status: true },
    });
    return run?.status ?? null;
  }

  /** Runs newest first, `limit + 1` of them after the cursor. */
  list(
    t: TenantTx,
    filter: RunFilter,
    after: CursorPosition | null,
    limit: number,
  ): Promise<RunSummaryRecord[]> {
    const where: Prisma.RunWhereInput = {
      tenantId: t.scope.tenantId,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.task
        ? UUID.test(filter.task)
          ? { taskId: filter.task.toLowerCase() }
          : { task: { name: filter.task } }
        : {}),
      ...(filter.createdFrom || filter.createdBefore
        ? {
            createdAt: {
              ...(filter.createdFrom ? { gte: filter.createdFrom } : {}),
              ...(filter.createdBefore ? { lt: filter.createdBefore } : {}),
            },
          }
        : {}),
    };
    return t.db.run.findMany({
      where: { AND: [where, afterCursor(after)] },
      omit: { input: true, output: true },
      include: TASK_NAME,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
  }

  /** Steps in seq order after `afterSeq`, `limit + 1` of them, each with its tool calls. */
  async steps(t: TenantTx, runId: string, afterSeq: number, limit: number): Promise<StepRecord[]> {
    const tenantId = t.scope.tenantId;
    const steps = await t.db.step.findMany({
      where: { tenantId, runId, seq: { gt: afterSeq } },
      orderBy: { seq: 'asc' },
      take: limit + 1,
    });
    if (steps.length === 0) return [];
    const calls = await t.db.toolEvent.findMany({
      where: { tenantId, runId, stepId: { in: steps.map((step) => step.id) } },
      orderBy: [{ createdAt: 'asc' }, { callKey: 'asc' }],
    });
    const byStep = new Map<string, ToolEventRow[]>();
    for (const call of calls) {
      const list = byStep.get(call.stepId) ?? [];
      list.push(call);
      byStep.set(call.stepId, list);
    }
    return steps.map((step) => ({ ...step, toolEvents: byStep.get(step.id) ?? [] }));
  }

  /** The run's events with an id above `afterId`, in id order, at most `limit`. */
  events(
    t: TenantTx,
    runId: string,
    afterId: bigint | null,
    limit: number,
  ): Promise<RunEventRow[]> {
    return t.db.runEvent.findMany({
      where: {
        tenantId: t.scope.tenantId,
        runId,
        ...(afterId !== null ? { id: { gt: afterId } } : {}),
      },
      orderBy: { id: 'asc' },
      take: limit,
    });
  }

  /** Per-step figures in seq order, `limit + 1` rows at most. */
  stepFigures(t: TenantTx, runId: string, limit: number): Promise<StepFigures[]> {
    const tenantId = t.scope.tenantId;
    return t.db.$queryRaw<StepFigures[]>`
      select s.seq, s.step_key as "stepKey", s.type, s.status::text as status, s.visit, s.turn,
             s.attempt, s.branch, s.started_at as "startedAt", s.finished_at as "finishedAt",
             s.model_ms as "modelMs", s.input_tokens as "inputTokens",
             s.output_tokens as "outputTokens", s.cost_micros::text as "costMicros",
             coalesce(c.calls, 0)::int as "toolCalls", coalesce(c.ms, 0)::text as "toolMs"
        from steps s
        left join (select step_id, count(*) as calls, sum(duration_ms) as ms
                     from tool_events
                    where tenant_id = ${tenantId}::uuid and run_id = ${runId}::uuid
                    group by step_id) c on c.step_id = s.id
       where s.tenant_id = ${tenantId}::uuid and s.run_id = ${runId}::uuid
       order by s.seq
       limit ${limit + 1}`;
  }

  /** Sums over every step and tool call of the run. */
  async runFigures(t: TenantTx, runId: string): Promise<RunFigures> {
    const tenantId = t.scope.tenantId;
    const rows = await t.db.$queryRaw<RunFigures[]>`
      select s.steps, s."modelMs", s."inputTokens", s."outputTokens", s."costMicros",
             c."toolCalls", c."toolMs"
        from (select count(*)::text as steps,
                     coalesce(sum(model_ms), 0)::text as "modelMs",
                     coalesce(sum(input_tokens), 0)::text as "inputTokens",
                     coalesce(sum(output_tokens), 0)::text as "outputTokens",
                     coalesce(sum(cost_micros), 0)::text as "costMicros"
                from steps
               where tenant_id = ${tenantId}::uuid and run_id = ${runId}::uuid) s,
             (select count(*)::text as "toolCalls",
                     coalesce(sum(duration_ms), 0)::text as "toolMs"
                from tool_events
               where tenant_id = ${tenantId}::uuid and run_id = ${runId}::uuid) c`;
    return rows[0];
  }
}

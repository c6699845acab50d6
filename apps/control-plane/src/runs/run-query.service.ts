import { Injectable } from '@nestjs/common';
import { TenantDatabase, type TenantScope, type TenantTx } from '@gnomon/db';
import { ApiError, CursorCodec, notFound, toPage, type TenantCaller } from '@gnomon/http-api';
import type {
  RunEventView,
  RunListQuery,
  RunMetricsView,
  RunSummaryView,
  RunView,
  StepListQuery,
  StepView,
  TimelineQuery,
} from '@gnomon/contracts';
import { RunQueryRepository, type StepFigures } from './run-query.repository';
import { durationMs, runEventView, runSummaryView, runView, stepView } from './run-views';

/** Per-step rows the metrics list at most (the totals always cover every step). */
export const METRICS_STEP_ROWS = 1_000;

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The read side of runs: one run, lists of runs, a run's steps, timeline and figures. */
@Injectable()
export class RunQueryService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly runs: RunQueryRepository,
    private readonly cursors: CursorCodec,
  ) {}

  async get(scope: TenantScope, runId: string): Promise<RunView> {
    const run = await this.db.inTenant(scope, (t) => this.runs.find(t, runId));
    if (!run) throw notFound('run');
    return runView(run);
  }

  list(caller: TenantCaller, query: RunListQuery): Promise<Page<RunSummaryView>> {
    // The filters are part of the list's name, so a cursor only continues the same listing.
    const list = [
      'runs',
      query.status ?? '',
      query.taskId ?? '',
      query.createdAfter ?? '',
      query.createdBefore ?? '',
    ].join('|');
    const tenantId = caller.tenant.tenantId;
    const after = query.cursor ? this.cursors.decode(query.cursor, list, tenantId) : null;
    const filter = {
      status: query.status,
      task: query.taskId,
      createdFrom: query.createdAfter ? new Date(query.createdAfter) : undefined,
      createdBefore: query.createdBefore ? new Date(query.createdBefore) : undefined,
    };
    return this.db.inTenant(caller.tenant, async (t) => {
      const rows = await this.runs.list(t, filter, after, query.limit);
      return toPage(rows, query.limit, runSummaryView, (last) =>
        this.cursors.encode(list, tenantId, last),
      );
    });
  }

  /** Steps in seq order; the cursor carries the last seq. */
  steps(caller: TenantCaller, runId: string, query: StepListQuery): Promise<Page<StepView>> {
    const list = `run-steps:${runId}`;
    const tenantId = caller.tenant.tenantId;
    const afterSeq = query.cursor ? seqOf(this.cursors.decode(query.cursor, list, tenantId)) : 0;
    return this.db.inTenant(caller.tenant, async (t) => {
      await this.mustExist(t, runId);
      const rows = await this.runs.steps(t, runId, afterSeq, query.limit);
      return toPage(rows, query.limit, stepView, (last) =>
        this.cursors.encode(list, tenantId, { createdAt: last.createdAt, id: String(last.seq) }),
      );
    });
  }

  /** The run's event log in id order; the cursor carries the last event id. */
  timeline(caller: TenantCaller, runId: string, query: TimelineQuery): Promise<Page<RunEventView>> {
    const list = `run-timeline:${runId}`;
    const tenantId = caller.tenant.tenantId;
    const afterId = query.cursor
      ? eventIdOf(this.cursors.decode(query.cursor, list, tenantId))
      : null;
    return this.db.inTenant(caller.tenant, async (t) => {
      await this.mustExist(t, runId);
      const events = await this.runs.events(t, runId, afterId, query.limit + 1);
      const rows = events.map((event) => ({
        event,
        id: event.id.toString(),
        createdAt: event.createdAt,
      }));
      return toPage(
        rows,
        query.limit,
        (row) => runEventView(row.event),
        (last) => this.cursors.encode(list, tenantId, last),
      );
    });
  }

  /** Tokens, cost and time of the run, in total and per step. */
  metrics(scope: TenantScope, runId: string): Promise<RunMetricsView> {
    return this.db.inTenant(scope, async (t) => {
      const run = await this.runs.find(t, runId);
      if (!run) throw notFound('run');
      const totals = await this.runs.runFigures(t, runId);
      const rows = await this.runs.stepFigures(t, runId, METRICS_STEP_ROWS);
      const wallClock = durationMs(run.startedAt, run.finishedAt);
      const modelMs = Number(totals.modelMs);
      const toolMs = Number(totals.toolMs);
      return {
        runId: run.id,
        status: run.status,
        totals: {
          durationMs: wallClock,
          modelMs,
          toolMs,
          platformMs: wallClock === null ? null : Math.max(0, wallClock - modelMs - toolMs),
          inputTokens: Number(totals.inputTokens),
          outputTokens: Number(totals.outputTokens),
          costMicros: totals.costMicros,
          steps: Number(totals.steps),
          toolCalls: Number(totals.toolCalls),
        },
        steps: rows.slice(0, METRICS_STEP_ROWS).map(stepMetrics),
        stepsTruncated: rows.length > METRICS_STEP_ROWS,
      };
    });
  }

  private async mustExist(t: TenantTx, runId: string): Promise<void> {
    if ((await this.runs.status(t, runId)) === null) throw notFound('run');
  }
}

function stepMetrics(row: StepFigures): RunMetricsView['steps'][number] {
  return {
    seq: row.seq,
    stepKey: row.stepKey,
    type: row.type,
    status: row.status,
    visit: row.visit,
    turn: row.turn,
    attempt: row.attempt,
    branch: row.branch,
    durationMs: durationMs(row.startedAt, row.finishedAt),
    modelMs: row.modelMs,
    toolMs: Number(row.toolMs),
    toolCalls: row.toolCalls,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    costMicros: row.costMicros,
  };
}

/** The seq a steps cursor carries in place of a row id. */
function seqOf(position: { id: string }): number {
  if (!/^[1-9]\d{0,9}$/.test(position.id)) throw new ApiError('invalid_cursor', 'malformed cursor');
  return Number(position.id);
}

/** The event id a timeline cursor carries. */
function eventIdOf(position: { id: string }): bigint {
  if (!/^[1-9]\d{0,18}$/.test(position.id))
    throw new ApiError('invalid_cursor', 'malformed cursor');
  return BigInt(position.id);
}

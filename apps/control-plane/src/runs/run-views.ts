import type { RunEventRow, ToolEventRow } from '@gnomon/db';
import type {
  RunErrorView,
  RunEventView,
  RunSummaryView,
  RunView,
  StepView,
  ToolEventView,
} from '@gnomon/contracts';
import type { RunRecord, RunSummaryRecord, StepRecord } from './run-query.repository';

/** Rows as stored → the API's views (shared by the query and the command side). */

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function durationMs(startedAt: Date | null, finishedAt: Date | null): number | null {
  return startedAt && finishedAt ? finishedAt.getTime() - startedAt.getTime() : null;
}

/**
 * The stored error (`{ code, message }` as the run repository writes it). Anything else that
 * somehow got there is still shown, never dropped: as `unknown` with its JSON as the message.
 */
export function errorView(error: unknown): RunErrorView | null {
  if (error === null || error === undefined) return null;
  if (typeof error === 'object') {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && typeof message === 'string') return { code, message };
  }
  return { code: 'unknown', message: JSON.stringify(error) };
}

export function runSummaryView(run: RunSummaryRecord): RunSummaryView {
  return {
    id: run.id,
    taskId: run.taskId,
    taskName: run.task.name,
    taskVersion: run.taskVersion,
    status: run.status,
    outputRef: run.outputRef,
    error: errorView(run.error),
    replayOf: run.replayOf,
    replayFrom: run.replayFrom,
    usage: {
      inputTokens: run.inputTokens,
      outputTokens: run.outputTokens,
      costMicros: run.costMicros.toString(),
    },
    createdBy: run.createdBy,
    createdAt: run.createdAt.toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    durationMs: durationMs(run.startedAt, run.finishedAt),
  };
}

export function runView(run: RunRecord): RunView {
  const { input, output, ...summary } = run;
  return {
    ...runSummaryView(summary),
    input: input as RunView['input'],
    output: (output ?? null) as RunView['output'],
  };
}

export function toolEventView(call: ToolEventRow): ToolEventView {
  return {
    id: call.id,
    callKey: call.callKey,
    tool: call.toolName,
    toolVersion: call.toolVersion,
    status: call.status,
    input: (call.input ?? null) as ToolEventView['input'],
    output: (call.output ?? null) as ToolEventView['output'],
    error: (call.error ?? null) as ToolEventView['error'],
    durationMs: call.durationMs,
    createdAt: call.createdAt.toISOString(),
  };
}

export function stepView(step: StepRecord): StepView {
  return {
    id: step.id,
    seq: step.seq,
    stepKey: step.stepKey,
    type: step.type,
    status: step.status,
    visit: step.visit,
    turn: step.turn,
    attempt: step.attempt,
    branch: step.branch,
    input: (step.input ?? null) as StepView['input'],
    output: (step.output ?? null) as StepView['output'],
    outputRef: step.outputRef,
    error: errorView(step.error),
    usage: {
      inputTokens: step.inputTokens,
      outputTokens: step.outputTokens,
      costMicros: step.costMicros.toString(),
    },
    modelMs: step.modelMs,
    toolCalls: step.toolEvents.map(toolEventView),
    createdAt: step.createdAt.toISOString(),
    startedAt: iso(step.startedAt),
    finishedAt: iso(step.finishedAt),
    durationMs: durationMs(step.startedAt, step.finishedAt),
  };
}

export function runEventView(event: RunEventRow): RunEventView {
  return {
    id: event.id.toString(),
    runId: event.runId,
    type: event.type as RunEventView['type'],
    stepId: event.stepId,
    data: (event.data ?? {}) as RunEventView['data'],
    createdAt: event.createdAt.toISOString(),
  };
}

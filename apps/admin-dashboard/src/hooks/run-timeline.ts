import type { RunEventView } from '@gnomon/contracts';

/** One step visit (or agent turn) as the live timeline shows it, built from the run's events. */
export interface TimelineStep {
  stepId: string;
  seq: number | null;
  stepKey: string;
  type: string;
  turn: number;
  attempt: number;
  status: string;
  /** Epoch ms of step.started (or of the first event seen for the step). */
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  inputTokens: number;
  outputTokens: number;
  costMicros: string;
  toolCalls: number;
  awaitingApproval: boolean;
  error: { code: string; message: string } | null;
  /** Order of first appearance, for steps that carry no seq (approvals before they end). */
  order: number;
}

export interface RunTimeline {
  lastEventId: string | null;
  runStatus: string | null;
  createdAt: number | null;
  finishedAt: number | null;
  steps: TimelineStep[];
  eventCount: number;
}

export const EMPTY_TIMELINE: RunTimeline = {
  lastEventId: null,
  runStatus: null,
  createdAt: null,
  finishedAt: null,
  steps: [],
  eventCount: 0,
};

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function errorOf(value: unknown): TimelineStep['error'] {
  if (typeof value !== 'object' || value === null) return null;
  const { code, message } = value as Record<string, unknown>;
  return { code: str(code) ?? 'error', message: str(message) ?? '' };
}

function bySeq(a: TimelineStep, b: TimelineStep): number {
  if (a.seq !== null && b.seq !== null) return a.seq - b.seq || a.order - b.order;
  return a.order - b.order;
}

/**
 * Applies one event to the timeline (pure: the run page folds the SSE stream through it). An
 * event already applied (same or older id, after a reconnect) changes nothing.
 */
export function applyRunEvent(state: RunTimeline, event: RunEventView): RunTimeline {
  if (state.lastEventId !== null && BigInt(event.id) <= BigInt(state.lastEventId)) return state;
  const at = Date.parse(event.createdAt);
  const data = event.data;
  const next: RunTimeline = {
    ...state,
    lastEventId: event.id,
    eventCount: state.eventCount + 1,
  };
  if (event.type.startsWith('run.')) {
    if (event.type === 'run.created') next.createdAt = at;
    const status = str(data.status);
    if (status) next.runStatus = status;
    if (event.type === 'run.finished') next.finishedAt = at;
    return next;
  }
  if (!event.stepId) return next;

  const index = state.steps.findIndex((step) => step.stepId === event.stepId);
  const current: TimelineStep =
    index >= 0
      ? state.steps[index]
      : {
          stepId: event.stepId,
          seq: null,
          stepKey: str(data.stepKey) ?? '?',
          type: str(data.type) ?? (event.type.startsWith('approval.') ? 'approval' : 'step'),
          turn: 1,
          attempt: 1,
          status: 'QUEUED',
          startedAt: at,
          finishedAt: null,
          durationMs: null,
          inputTokens: 0,
          outputTokens: 0,
          costMicros: '0',
          toolCalls: 0,
          awaitingApproval: false,
          error: null,
          order: state.eventCount,
        };
  const step: TimelineStep = {
    ...current,
    seq: num(data.seq) ?? current.seq,
    stepKey: str(data.stepKey) ?? current.stepKey,
    type: str(data.type) ?? current.type,
    turn: num(data.turn) ?? current.turn,
    attempt: num(data.attempt) ?? current.attempt,
  };
  switch (event.type) {
    case 'step.started':
      step.status = 'RUNNING';
      step.startedAt = at;
      break;
    case 'step.retrying':
      step.status = 'RETRYING';
      break;
    case 'step.succeeded':
    case 'step.failed':
    case 'step.skipped':
      step.status = str(data.status) ?? (event.type === 'step.failed' ? 'FAILED' : 'SUCCEEDED');
      step.finishedAt = at;
      step.durationMs = num(data.durationMs) ?? Math.max(0, at - step.startedAt);
      step.inputTokens = num(data.inputTokens) ?? step.inputTokens;
      step.outputTokens = num(data.outputTokens) ?? step.outputTokens;
      step.costMicros = str(data.costMicros) ?? step.costMicros;
      step.error = errorOf(data.error);
      step.awaitingApproval = false;
      break;
    case 'tool.called':
      step.toolCalls += 1;
      break;
    case 'approval.requested':
      step.status = 'RUNNING';
      step.awaitingApproval = true;
      break;
    case 'approval.decided':
    case 'approval.expired':
      step.awaitingApproval = false;
      break;
  }
  const steps = index >= 0 ? state.steps.with(index, step) : [...state.steps, step];
  next.steps = steps.sort(bySeq);
  return next;
}

/** Where a step's bar sits on the run's time axis, as fractions (0..1) of the span shown. */
export function barOf(
  step: TimelineStep,
  span: { start: number; end: number },
): { offset: number; width: number } {
  const length = Math.max(1, span.end - span.start);
  const start = Math.min(Math.max(step.startedAt, span.start), span.end);
  const end = Math.min(step.finishedAt ?? span.end, span.end);
  return {
    offset: (start - span.start) / length,
    width: Math.max(0.005, (end - start) / length),
  };
}

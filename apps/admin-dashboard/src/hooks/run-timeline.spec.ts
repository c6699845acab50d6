import type { RunEventView } from '@gnomon/contracts';
import { applyRunEvent, barOf, EMPTY_TIMELINE, type RunTimeline } from './run-timeline';

const RUN = '0b9c2c4e-1f3a-4d4e-9d55-1a2b3c4d5e6f';
const DRAFT = '11111111-1111-4111-8111-111111111111';
const REVIEW = '22222222-2222-4222-8222-222222222222';
let nextId = 0;
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

function event(
  type: RunEventView['type'],
  second: number,
  data: Record<string, unknown> = {},
  stepId: string | null = null,
): RunEventView {
  nextId += 1;
  return { id: String(nextId), runId: RUN, type, stepId, data, createdAt: at(second) };
}

const fold = (events: RunEventView[], from: RunTimeline = EMPTY_TIMELINE) =>
  events.reduce(applyRunEvent, from);

describe('applyRunEvent', () => {
  beforeEach(() => {
    nextId = 0;
  });

  it('builds the steps of a run from its events: status, duration, tokens, cost, tool calls', () => {
    const timeline = fold([
      event('run.created', 0, { status: 'PENDING' }),
      event('run.started', 1, { status: 'RUNNING', previousStatus: 'PENDING' }),
      event(
        'step.started',
        1,
        { seq: 1, stepKey: 'draft', type: 'llm', turn: 1, attempt: 1 },
        DRAFT,
      ),
      event(
        'tool.called',
        2,
        { seq: 1, stepKey: 'draft', tool: 'lookup', status: 'SUCCEEDED' },
        DRAFT,
      ),
      event(
        'step.succeeded',
        3,
        {
          seq: 1,
          stepKey: 'draft',
          type: 'llm',
          status: 'SUCCEEDED',
          durationMs: 2100,
          inputTokens: 10,
          outputTokens: 5,
          costMicros: '1234',
        },
        DRAFT,
      ),
    ]);
    expect(timeline.runStatus).toBe('RUNNING');
    expect(timeline.createdAt).toBe(Date.parse(at(0)));
    expect(timeline.steps).toHaveLength(1);
    expect(timeline.steps[0]).toMatchObject({
      stepKey: 'draft',
      seq: 1,
      status: 'SUCCEEDED',
      durationMs: 2100,
      inputTokens: 10,
      outputTokens: 5,
      costMicros: '1234',
      toolCalls: 1,
      startedAt: Date.parse(at(1)),
      finishedAt: Date.parse(at(3)),
    });
  });

  it('shows an approval step waiting (it has no seq until it ends), then its outcome, in order', () => {
    const waiting = fold([
      event('run.created', 0),
      event('step.started', 1, { seq: 1, stepKey: 'draft', type: 'llm' }, DRAFT),
      event('step.succeeded', 2, { seq: 1, stepKey: 'draft', status: 'SUCCEEDED' }, DRAFT),
      event(
        'approval.requested',
        3,
        { approvalId: 'a', stepKey: 'review', status: 'PENDING' },
        REVIEW,
      ),
      event('run.status_changed', 3, { status: 'AWAITING_APPROVAL', previousStatus: 'RUNNING' }),
    ]);
    expect(waiting.runStatus).toBe('AWAITING_APPROVAL');
    expect(waiting.steps.map((s) => [s.stepKey, s.type, s.awaitingApproval])).toEqual([
      ['draft', 'llm', false],
      ['review', 'approval', true],
    ]);
    const decided = fold(
      [
        event(
          'approval.decided',
          9,
          { approvalId: 'a', stepKey: 'review', status: 'APPROVED' },
          REVIEW,
        ),
        event(
          'step.succeeded',
          10,
          { seq: 2, stepKey: 'review', type: 'approval', status: 'SUCCEEDED' },
          REVIEW,
        ),
        event('run.finished', 11, { status: 'SUCCEEDED' }),
      ],
      waiting,
    );
    expect(decided.steps.map((s) => [s.stepKey, s.seq, s.status, s.awaitingApproval])).toEqual([
      ['draft', 1, 'SUCCEEDED', false],
      ['review', 2, 'SUCCEEDED', false],
    ]);
    expect(decided.steps[1].durationMs).toBe(7000);
    expect(decided.finishedAt).toBe(Date.parse(at(11)));
    expect(decided.runStatus).toBe('SUCCEEDED');
  });

  it('records a failed step with its error, and a retry', () => {
    const timeline = fold([
      event('step.started', 1, { seq: 4, stepKey: 'call', type: 'tool', attempt: 1 }, DRAFT),
      event('step.retrying', 2, { seq: 4, stepKey: 'call', attempt: 2 }, DRAFT),
    ]);
    expect(timeline.steps[0]).toMatchObject({ status: 'RETRYING', attempt: 2 });
    const failed = fold(
      [
        event(
          'step.failed',
          5,
          {
            seq: 4,
            stepKey: 'call',
            status: 'FAILED',
            error: { code: 'tool_timeout', message: 'too slow' },
          },
          DRAFT,
        ),
      ],
      timeline,
    );
    expect(failed.steps[0]).toMatchObject({
      status: 'FAILED',
      error: { code: 'tool_timeout', message: 'too slow' },
      durationMs: 4000,
    });
  });

  it('ignores an event it has already applied (a reconnect replays from Last-Event-ID)', () => {
    const first = event('step.started', 1, { seq: 1, stepKey: 'draft' }, DRAFT);
    const once = fold([first]);
    expect(applyRunEvent(once, first)).toBe(once);
    expect(applyRunEvent(once, { ...first, id: '0' })).toBe(once);
  });
});

describe('barOf', () => {
  it('places a step on the run’s time axis; a running step reaches the end', () => {
    const base = fold([event('step.started', 10, { seq: 1, stepKey: 'a' }, DRAFT)]).steps[0];
    const span = { start: Date.parse(at(0)), end: Date.parse(at(40)) };
    expect(barOf(base, span)).toEqual({ offset: 0.25, width: 0.75 });
    expect(barOf({ ...base, finishedAt: Date.parse(at(20)) }, span)).toEqual({
      offset: 0.25,
      width: 0.25,
    });
    // An instant step still shows a sliver.
    expect(barOf({ ...base, finishedAt: base.startedAt }, span).width).toBeGreaterThan(0);
  });
});

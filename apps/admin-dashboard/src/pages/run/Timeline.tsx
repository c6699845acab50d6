import { useEffect, useState } from 'react';
import { StatusBadge, toneOf } from '../../components/Status';
import { formatCount, formatDuration, formatMicros } from '../../format';
import { barOf, type RunTimeline, type TimelineStep } from '../../hooks/run-timeline';

/** The current time, ticking while `live` (running bars grow). */
function useNow(live: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [live]);
  return now;
}

const label = (step: TimelineStep) =>
  `${step.stepKey}${step.turn > 1 ? ` · turn ${step.turn}` : ''}${step.attempt > 1 ? ` · attempt ${step.attempt}` : ''}`;

/**
 * The run's steps on one time axis: a bar per step visit (position = when it started, length =
 * how long it took), coloured by status, with its tokens and cost.
 */
export function Timeline(props: {
  timeline: RunTimeline;
  live: boolean;
  selected: string | null;
  onSelect: (stepId: string | null) => void;
}) {
  const { timeline } = props;
  const now = useNow(props.live);
  if (timeline.steps.length === 0) {
    return (
      <p className="muted" role="status">
        {timeline.eventCount === 0 ? 'Waiting for the run’s events…' : 'No step has started yet.'}
      </p>
    );
  }
  const start = timeline.createdAt ?? Math.min(...timeline.steps.map((step) => step.startedAt));
  const latest = Math.max(...timeline.steps.map((step) => step.finishedAt ?? step.startedAt));
  // While live, the axis reaches "now" (never before the latest event, whatever the clocks say).
  const end = timeline.finishedAt ?? (props.live ? Math.max(now, latest) : latest);
  const span = { start, end: Math.max(end, start + 1) };

  return (
    <ol className="timeline" aria-label="Steps">
      {timeline.steps.map((step) => {
        const bar = barOf(step, span);
        const open = props.selected === step.stepId;
        return (
          <li
            key={step.stepId}
            className={`timeline-row${open ? ' open' : ''}`}
            data-status={step.status}
          >
            <button
              type="button"
              className="timeline-name link-button"
              aria-expanded={open}
              onClick={() => props.onSelect(open ? null : step.stepId)}
            >
              {label(step)}
            </button>
            <span className="timeline-type">{step.type}</span>
            <span className="timeline-status">
              <StatusBadge status={step.awaitingApproval ? 'AWAITING_APPROVAL' : step.status} />
            </span>
            <span className="timeline-track" aria-hidden="true">
              <span
                className={`timeline-bar tone-${toneOf(step.awaitingApproval ? 'PENDING' : step.status)}${step.finishedAt ? '' : ' growing'}`}
                style={{ left: `${bar.offset * 100}%`, width: `${bar.width * 100}%` }}
              />
            </span>
            <span className="num">
              {formatDuration(
                step.durationMs ?? (step.finishedAt ? null : Math.max(0, now - step.startedAt)),
              )}
            </span>
            <span className="num">{formatCount(step.inputTokens + step.outputTokens)} tok</span>
            <span className="num">{formatMicros(step.costMicros)}</span>
            {step.toolCalls > 0 && (
              <span className="small muted">{step.toolCalls} tool call(s)</span>
            )}
            {step.error && (
              <span className="small bad-text">
                {step.error.code}: {step.error.message}
              </span>
            )}
          </li>
        );
      })}
    </ol>
  );
}

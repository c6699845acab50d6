import { z } from 'zod';

/**
 * The run event log (table run_events): what happened to a run, in order. The timeline API and
 * the server-sent events stream serve these; `data` is small (ids, statuses, figures) — step
 * inputs and outputs are fetched from the steps API, never carried in events.
 */
export const RUN_EVENT_TYPES = [
  'run.created',
  'run.started',
  'run.status_changed',
  'run.finished',
  'run.cancel_requested',
  'step.started',
  'step.retrying',
  'step.succeeded',
  'step.failed',
  'step.skipped',
  'tool.called',
  'approval.requested',
  'approval.decided',
  'approval.expired',
] as const;
export const RunEventType = z.enum(RUN_EVENT_TYPES);
export type RunEventType = z.infer<typeof RunEventType>;

/**
 * `data` by event type (all fields optional unless noted):
 * - run.*: `status` (new run status), `previousStatus`, `error` `{ code, message }`.
 * - step.*: `seq`, `stepKey`, `type`, `turn`, `attempt`, `status`, `durationMs`, `inputTokens`,
 *   `outputTokens`, `costMicros`, `error` `{ code, message }`.
 * - tool.called: `seq`, `stepKey`, `tool`, `version`, `status`, `durationMs`.
 * - approval.*: `approvalId`, `stepKey`, `status`, `decidedBy`, `reason`.
 */
export const RunEventData = z.record(z.string(), z.unknown());
export type RunEventData = z.infer<typeof RunEventData>;

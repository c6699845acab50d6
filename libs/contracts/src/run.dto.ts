import { z } from 'zod';
import { MAX_PAGE_LIMIT } from './pagination';
import { RunEventData, RunEventType } from './run-event';
import { MemberRole } from './scopes';
import { STEP_ID_PATTERN } from './task-definition';
import { TaskRef } from './task.dto';

/**
 * Runs and approvals (control plane, /api/v1/runs and /api/v1/approvals): the requests that
 * start, cancel, replay and decide, and the views the read APIs answer with. Money is
 * micro-USD as a decimal string (as in the usage and budget views); timestamps are ISO 8601.
 */

// ---- Statuses ----

export const RUN_STATUSES = [
  'PENDING',
  'RUNNING',
  'AWAITING_APPROVAL',
  'SUCCEEDED',
  'FAILED',
  'BUDGET_EXCEEDED',
  'CANCELLED',
  'TIMED_OUT',
] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;

/** Statuses a run never leaves. */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = [
  'SUCCEEDED',
  'FAILED',
  'BUDGET_EXCEEDED',
  'CANCELLED',
  'TIMED_OUT',
];
export const isTerminalRunStatus = (status: string): boolean =>
  (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);

export const STEP_STATUSES = [
  'QUEUED',
  'RUNNING',
  'SUCCEEDED',
  'RETRYING',
  'FAILED',
  'SKIPPED',
] as const;
export const StepStatus = z.enum(STEP_STATUSES);
export type StepStatus = z.infer<typeof StepStatus>;

export const APPROVAL_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED'] as const;
export const ApprovalStatus = z.enum(APPROVAL_STATUSES);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

/** A status filter that takes `pending` as well as `PENDING` and yields the upper-case value. */
function statusFilter<const T extends readonly [string, ...string[]]>(values: T) {
  const lower = values.map((value) => value.toLowerCase());
  return z
    .enum([...values, ...lower] as [string, ...string[]])
    .transform((value) => value.toUpperCase() as T[number]);
}

// ---- Requests (write side) ----

export const MAX_RUN_INPUT_BYTES = 256 * 1024;
const utf8 = new TextEncoder();

/**
 * A run's input: any JSON value, at most 256 KiB as UTF-8 JSON (checked before anything
 * else). Runs carry their input in Postgres, never in workflow state (architecture §4).
 */
export const RunInput = z.pipe(
  z.transform((value: unknown, ctx) => {
    const json = JSON.stringify(value);
    if (json !== undefined && utf8.encode(json).length > MAX_RUN_INPUT_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `input is larger than 256 KiB (${MAX_RUN_INPUT_BYTES} bytes as UTF-8 JSON)`,
      });
      return z.NEVER;
    }
    return value;
  }),
  z.json(),
);

const Reason = z.string().max(2_000);

/** `POST /api/v1/runs`: starts a run of a task's current (or a pinned) version. */
export const StartRunRequest = z.strictObject({
  taskId: TaskRef.describe("The task's id or its name"),
  version: z
    .number()
    .int()
    .min(1)
    .max(2_147_483_647)
    .optional()
    .describe("Task version to run; the task's current version when absent"),
  input: RunInput.default({}).describe('The run input (any JSON value, at most 256 KiB)'),
});
export type StartRunRequest = z.infer<typeof StartRunRequest>;

/** `POST /api/v1/runs/{id}/replay`: a new run that reuses the outputs before `fromStep`. */
export const ReplayRunRequest = z.strictObject({
  fromStep: z
    .string()
    .regex(STEP_ID_PATTERN, 'must be a step id of the task definition')
    .describe('Id (in the task definition) of the step to run again from'),
});
export type ReplayRunRequest = z.infer<typeof ReplayRunRequest>;

/** `POST /api/v1/runs/{id}/cancel` (the body is optional). */
export const CancelRunRequest = z.strictObject({ reason: Reason.optional() });
export type CancelRunRequest = z.infer<typeof CancelRunRequest>;

/** `POST /api/v1/approvals/{id}/approve`. */
export const ApproveRequest = z.strictObject({ reason: Reason.optional() });
export type ApproveRequest = z.infer<typeof ApproveRequest>;

/** `POST /api/v1/approvals/{id}/reject`: a rejection always says why. */
export const RejectRequest = z.strictObject({ reason: Reason.trim().min(1) });
export type RejectRequest = z.infer<typeof RejectRequest>;

// ---- Parameters and list queries ----

const Uuid = z
  .uuid()
  .transform((id) => id.toLowerCase())
  .describe('A UUID');

export const RunParams = z.strictObject({ id: Uuid.describe("The run's id") });
export type RunParams = z.infer<typeof RunParams>;

export const ApprovalParams = z.strictObject({ id: Uuid.describe("The approval's id") });
export type ApprovalParams = z.infer<typeof ApprovalParams>;

const Limit = z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(20);
const Cursor = z.string().min(1).max(1024).optional();
const Timestamp = z.iso.datetime({ offset: true });

/** `GET /api/v1/runs`: newest first; the filters combine. */
export const RunListQuery = z
  .strictObject({
    limit: Limit,
    cursor: Cursor,
    status: statusFilter(RUN_STATUSES).optional().describe('Only runs in this status'),
    taskId: TaskRef.optional().describe('Only runs of this task (its id or its name)'),
    createdAfter: Timestamp.optional().describe('Only runs created at or after this instant'),
    createdBefore: Timestamp.optional().describe('Only runs created before this instant'),
  })
  .refine(
    (q) =>
      !q.createdAfter || !q.createdBefore || new Date(q.createdAfter) < new Date(q.createdBefore),
    { message: 'createdAfter must be before createdBefore', path: ['createdAfter'] },
  );
export type RunListQuery = z.infer<typeof RunListQuery>;

/** `GET /api/v1/runs/{id}/steps`: in `seq` order (the order the steps were entered). */
export const StepListQuery = z.strictObject({ limit: Limit, cursor: Cursor });
export type StepListQuery = z.infer<typeof StepListQuery>;

/** `GET /api/v1/runs/{id}/timeline`: the run's events, oldest first. */
export const TimelineQuery = z.strictObject({ limit: Limit, cursor: Cursor });
export type TimelineQuery = z.infer<typeof TimelineQuery>;

/** `GET /api/v1/approvals`: newest first. */
export const ApprovalListQuery = z.strictObject({
  limit: Limit,
  cursor: Cursor,
  status: statusFilter(APPROVAL_STATUSES)
    .optional()
    .describe(
      'Only approvals in this status (case-insensitive: pending = PENDING). A pending approval ' +
        'whose expiry has passed counts as EXPIRED',
    ),
  runId: Uuid.optional().describe('Only approvals of this run'),
});
export type ApprovalListQuery = z.infer<typeof ApprovalListQuery>;

// ---- Views (read side) ----

const Instant = z.iso.datetime();
const Micros = z.string().describe('micro-USD, as a decimal string');

export const RunErrorView = z
  .object({ code: z.string(), message: z.string() })
  .describe('Why the run or step failed');
export type RunErrorView = z.infer<typeof RunErrorView>;

export const RunUsageView = z.object({
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costMicros: Micros,
});
export type RunUsageView = z.infer<typeof RunUsageView>;

const OutputRef = z
  .string()
  .nullable()
  .describe('S3 key of the output when it is larger than 32 KiB (output is then null)');
const DurationMs = z
  .number()
  .int()
  .nullable()
  .describe('finishedAt − startedAt; null until both are known');

export const RunView = z.object({
  id: z.uuid(),
  taskId: z.uuid(),
  taskName: z.string(),
  taskVersion: z.number().int().describe('The task version this run is pinned to'),
  status: RunStatus,
  input: z.json(),
  output: z.json().nullable(),
  outputRef: OutputRef,
  error: RunErrorView.nullable(),
  replayOf: z.uuid().nullable().describe('The run this one replays'),
  replayFrom: z.string().nullable().describe('The step (id in the definition) replayed from'),
  usage: RunUsageView,
  createdBy: z.string().nullable().describe('Who started the run: "<actor type>:<key id>"'),
  createdAt: Instant,
  startedAt: Instant.nullable(),
  finishedAt: Instant.nullable(),
  durationMs: DurationMs,
});
export type RunView = z.infer<typeof RunView>;

/** A run in a list: the view without input and output (GET /api/v1/runs/{id} has them). */
export const RunSummaryView = RunView.omit({ input: true, output: true });
export type RunSummaryView = z.infer<typeof RunSummaryView>;

/** One tool call made by a step (table tool_events). */
export const ToolEventView = z.object({
  id: z.uuid(),
  callKey: z.string().describe('The call id the model gave (unique within the step)'),
  tool: z.string(),
  toolVersion: z.number().int(),
  status: z.string().describe('The tool runtime status: SUCCEEDED, FAILED, TIMEOUT, …'),
  input: z.json().nullable(),
  output: z.json().nullable(),
  error: z.json().nullable(),
  durationMs: z.number().int(),
  createdAt: Instant,
});
export type ToolEventView = z.infer<typeof ToolEventView>;

/** One step visit (an agent loop has one per model turn), in `seq` order. */
export const StepView = z.object({
  id: z.uuid(),
  seq: z.number().int(),
  stepKey: z.string().describe("The step's id in the task definition"),
  type: z.string().describe('llm, tool, approval, branch or parallel'),
  status: StepStatus,
  visit: z.number().int().describe('How many times the run has entered this step (loops)'),
  turn: z.number().int().describe('Agent loop turn'),
  attempt: z.number().int(),
  branch: z.string().nullable().describe('The parallel branch this step ran in'),
  input: z.json().nullable(),
  output: z.json().nullable(),
  outputRef: OutputRef,
  error: RunErrorView.nullable(),
  usage: RunUsageView,
  modelMs: z.number().int().describe('Time spent in model calls'),
  toolCalls: z.array(ToolEventView).describe('Tool calls of this step, in call order'),
  createdAt: Instant,
  startedAt: Instant.nullable(),
  finishedAt: Instant.nullable(),
  durationMs: DurationMs,
});
export type StepView = z.infer<typeof StepView>;

export const ApprovalView = z.object({
  id: z.uuid(),
  runId: z.uuid(),
  taskId: z.uuid(),
  stepId: z.uuid(),
  stepKey: z.string(),
  prompt: z.string(),
  approverRoles: z.array(MemberRole).describe('Member roles that may decide'),
  status: ApprovalStatus.describe('A pending approval whose expiry has passed is EXPIRED'),
  expiresAt: Instant,
  decidedBy: z.string().nullable(),
  decidedAt: Instant.nullable(),
  reason: z.string().nullable(),
  createdAt: Instant,
});
export type ApprovalView = z.infer<typeof ApprovalView>;

/**
 * One entry of a run's event log. `id` is the position in the global log (a decimal string:
 * it may exceed 2^53), the SSE `id:` and what `Last-Event-ID` resumes after.
 */
export const RunEventView = z.object({
  id: z.string().regex(/^\d+$/),
  runId: z.uuid(),
  type: RunEventType,
  stepId: z.uuid().nullable(),
  data: RunEventData,
  createdAt: Instant,
});
export type RunEventView = z.infer<typeof RunEventView>;

export const StepMetricsView = z.object({
  seq: z.number().int(),
  stepKey: z.string(),
  type: z.string(),
  status: StepStatus,
  visit: z.number().int(),
  turn: z.number().int(),
  attempt: z.number().int(),
  branch: z.string().nullable(),
  durationMs: DurationMs,
  modelMs: z.number().int(),
  toolMs: z.number().int().describe('Sum of the durations of its tool calls'),
  toolCalls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costMicros: Micros,
});
export type StepMetricsView = z.infer<typeof StepMetricsView>;

/** Where a run's time and money went: totals over all its steps, and one row per step. */
export const RunMetricsView = z.object({
  runId: z.uuid(),
  status: RunStatus,
  totals: z.object({
    durationMs: DurationMs.describe("The run's wall-clock time; null until it has finished"),
    modelMs: z.number().int().describe('Sum over the steps (parallel steps overlap)'),
    toolMs: z.number().int().describe('Sum over the tool calls'),
    platformMs: z
      .number()
      .int()
      .nullable()
      .describe(
        'durationMs − modelMs − toolMs (never below 0): orchestration, queueing and waiting ' +
          'for approvals; approximate when parallel branches overlap',
      ),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    costMicros: Micros,
    steps: z.number().int().describe('Step visits (rows), all of them'),
    toolCalls: z.number().int(),
  }),
  steps: z.array(StepMetricsView).describe('In seq order; at most the first 1,000'),
  stepsTruncated: z.boolean().describe('Whether the run has more steps than `steps` lists'),
});
export type RunMetricsView = z.infer<typeof RunMetricsView>;

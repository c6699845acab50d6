import { z } from 'zod';

/**
 * What crosses the Step Functions / SQS boundary for a run (architecture §4). Executions carry
 * identifiers and pointers only — never definitions, prompts or outputs — so the 256 KiB
 * payload limit and per-transition cost never depend on what tenants put in a run.
 */

/** An opaque position in a run, owned by the worker (which step, which visit). */
export const RunCursor = z.string().min(1).max(200);

/** Input of one execution of the run state machine. */
export const RunExecutionInput = z.strictObject({
  tenantId: z.uuid(),
  runId: z.uuid(),
  cursor: RunCursor,
  /** 0 for the first execution of a run, +1 for every continue-as-new. */
  generation: z.number().int().min(0),
  /** Steps executed by this execution so far (the history budget counter). */
  steps: z.number().int().min(0),
  /** Continue as a new execution once `steps` reaches this (well below 25,000 history events). */
  stepsPerExecution: z.number().int().min(1).max(2_000),
});
export type RunExecutionInput = z.infer<typeof RunExecutionInput>;

/** Execution name for a run's nth generation: the run id makes StartExecution idempotent. */
export function runExecutionName(runId: string, generation: number): string {
  return generation === 0 ? runId : `${runId}-g${generation}`;
}

const MessageBase = {
  v: z.literal(1),
  tenantId: z.uuid(),
  runId: z.uuid(),
  generation: z.number().int().min(0),
  /** Step Functions task token (up to 1,024 characters on AWS; the local engine's are shorter). */
  taskToken: z.string().min(1).max(2_048),
};

/** The SQS step message: the state machine asks the worker to do one thing for a run. */
export const StepMessage = z.discriminatedUnion('kind', [
  /** Execute the step at `cursor` and answer with a {@link StepOutcome}. */
  z.strictObject({ ...MessageBase, kind: z.literal('step'), cursor: RunCursor }),
  /** Record the approval request at `cursor` and keep the token until somebody decides. */
  z.strictObject({
    ...MessageBase,
    kind: z.literal('approval'),
    cursor: RunCursor,
    expiresInSeconds: z.number().int().min(1),
  }),
  /** Write the run's terminal state (success, or the error the state machine caught). */
  z.strictObject({
    ...MessageBase,
    kind: z.literal('finalize'),
    outcome: z.enum(['SUCCEEDED', 'FAILED']),
    error: z
      .strictObject({ Error: z.string().max(256), Cause: z.string().max(32_768).nullish() })
      .optional(),
  }),
]);
export type StepMessage = z.infer<typeof StepMessage>;

/** The worker's answer to a `step` message (SendTaskSuccess output); the state machine routes on `route`. */
export const StepOutcome = z.discriminatedUnion('route', [
  /** Go on with the step at `cursor`. */
  z.strictObject({ route: z.literal('next'), cursor: RunCursor }),
  /** Run each branch cursor (a Map), then go on with `cursor` (the join). */
  z.strictObject({
    route: z.literal('parallel'),
    branches: z.array(RunCursor).min(1).max(10),
    cursor: RunCursor,
  }),
  /**
   * Wait for a human: the approval message carries `cursor`; when the decision arrives or
   * `heartbeatSeconds` pass without one, the worker resolves the approval at `cursor`.
   * `timeoutSeconds` is a backstop a little above `heartbeatSeconds`.
   */
  z
    .strictObject({
      route: z.literal('approval'),
      cursor: RunCursor,
      heartbeatSeconds: z.number().int().min(1),
      timeoutSeconds: z.number().int().min(2),
    })
    .refine(
      (o) => o.heartbeatSeconds < o.timeoutSeconds,
      'heartbeatSeconds must be below timeoutSeconds',
    ),
  /** The run (or, inside a parallel branch, the branch) is done. */
  z.strictObject({ route: z.literal('done') }),
]);
export type StepOutcome = z.infer<typeof StepOutcome>;

/**
 * Error names the worker fails a task token with (SendTaskFailure `error`); the state machine
 * catches them and the finalize step maps them to the run's terminal status.
 */
export const WORKFLOW_ERRORS = {
  BudgetExceeded: 'BUDGET_EXCEEDED',
  Cancelled: 'CANCELLED',
  RunTimedOut: 'TIMED_OUT',
  ApprovalRejected: 'FAILED',
  StepTimeout: 'FAILED',
  ToolFailed: 'FAILED',
  ModelFailed: 'FAILED',
  OutputInvalid: 'FAILED',
  StepFailed: 'FAILED',
} as const;
export type WorkflowErrorName = keyof typeof WORKFLOW_ERRORS;
/** A failure the state machine retries (with backoff) instead of failing the run. */
export const WORKER_TRANSIENT_ERROR = 'Worker.Transient';

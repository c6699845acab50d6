import type { RunExecutionInput } from '@gnomon/contracts';
import { PayloadTooLargeError } from './workflow-engine.errors';

/**
 * The port the platform drives run executions through (architecture §4). Two adapters:
 * {@link StepFunctionsWorkflowEngine} (AWS Step Functions, or any endpoint speaking its API,
 * such as the local server) and {@link LocalWorkflowEngine} (in-process, the same definition).
 * Failures come out as the classes of `workflow-engine.errors.ts`.
 */
export interface WorkflowEngine {
  /**
   * Starts the run's execution named `runExecutionName(runId, generation)`. Idempotent as on
   * AWS: the same name and input while that execution runs → the same ARN and no second
   * execution; a different input, or an execution that already closed →
   * `ExecutionAlreadyExistsError`.
   */
  startExecution(input: RunExecutionInput): Promise<{ executionArn: string }>;
  /** Aborts a running execution (its pending task tokens die); a closed one is left as is. */
  stopExecution(executionArn: string, cause?: string): Promise<void>;
  describeExecution(executionArn: string): Promise<ExecutionDescription>;
  /** The ARN the run's execution of that generation has (or will have). */
  executionArnFor(runId: string, generation: number): string;
  /** Completes the task; `output` becomes its result (JSON, at most 256 KiB). */
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  /** Fails the task with `error` (what the definition's Retry/Catch match) and `cause`. */
  sendTaskFailure(taskToken: string, error: string, cause?: string): Promise<void>;
  /** Resets the task's heartbeat clock. */
  sendTaskHeartbeat(taskToken: string): Promise<void>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionDescription {
  status: ExecutionStatus;
  /** The error of a failed (or stopped) execution, e.g. `BUDGET_EXCEEDED`. */
  error?: string;
  cause?: string;
  /** The parsed output of a succeeded execution. */
  output?: unknown;
}

/** Step Functions limits the adapters enforce before sending (they match AWS's). */
export const WORKFLOW_LIMITS = {
  /** Task output, execution input and output: 256 KiB of UTF-8 JSON. */
  payloadBytes: 262_144,
  errorNameLength: 256,
  causeLength: 32_768,
} as const;

const STATE_MACHINE_ARN =
  /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

export function assertStateMachineArn(stateMachineArn: string): void {
  if (!STATE_MACHINE_ARN.test(stateMachineArn)) {
    throw new TypeError(`not a state machine ARN: ${stateMachineArn}`);
  }
}

/** `arn:…:stateMachine:<machine>` → `arn:…:execution:<machine>:<name>` (the AWS format). */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

/** The task output as Step Functions receives it: JSON, refused above 256 KiB. */
export function taskOutputJson(output: unknown): string {
  const json = JSON.stringify(output) ?? 'null';
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > WORKFLOW_LIMITS.payloadBytes) {
    throw new PayloadTooLargeError(
      `task output is ${bytes} bytes; Step Functions accepts at most ${WORKFLOW_LIMITS.payloadBytes}` +
        ' (put large outputs in S3 and answer with their key)',
    );
  }
  return json;
}

/**
 * SendTaskFailure fields within AWS's limits: an error name is a constant of the caller's, so
 * an oversized one is refused; a cause is free text (a model's error, a stack), so it is cut
 * rather than losing the failure.
 */
export function taskFailureFields(
  error: string,
  cause: string | undefined,
): { error: string; cause: string | undefined } {
  if (error.length > WORKFLOW_LIMITS.errorNameLength) {
    throw new PayloadTooLargeError(
      `error name is ${error.length} characters; Step Functions accepts at most ${WORKFLOW_LIMITS.errorNameLength}`,
    );
  }
  return { error, cause: cause?.slice(0, WORKFLOW_LIMITS.causeLength) };
}

/**
 * JSON with object keys sorted, so that two equal inputs are equal strings: AWS compares the
 * input string for StartExecution idempotency, and callers build objects in any key order.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : item,
  );
}

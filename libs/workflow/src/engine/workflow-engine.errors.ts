/**
 * Errors of the {@link WorkflowEngine} port, the same from both adapters: callers (the worker,
 * the run service) switch on these classes, never on SDK exception names.
 */

/** Stable codes, the Step Functions exception names they stand for. */
export type WorkflowEngineErrorCode =
  | 'TaskTimedOut'
  | 'TaskDoesNotExist'
  | 'InvalidToken'
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'PayloadTooLarge';

export abstract class WorkflowEngineError extends Error {
  abstract readonly code: WorkflowEngineErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The task behind the token is closed: it timed out (TimeoutSeconds or a missed heartbeat),
 * was already answered, or its execution stopped. Drop the message; the state machine has
 * moved on (a retry, if any, carries a new token).
 */
export class TaskTimedOutError extends WorkflowEngineError {
  readonly code = 'TaskTimedOut' as const;
}

/** The token names no task the engine knows (AWS `TaskDoesNotExist`). */
export class TaskDoesNotExistError extends WorkflowEngineError {
  readonly code = 'TaskDoesNotExist' as const;
}

/** The token is malformed or was not minted by this engine (AWS `InvalidToken`). */
export class InvalidTokenError extends WorkflowEngineError {
  readonly code = 'InvalidToken' as const;
}

/**
 * An execution of that name exists with a different input, or has already closed
 * (StartExecution is idempotent only for a running execution with the same input).
 */
export class ExecutionAlreadyExistsError extends WorkflowEngineError {
  readonly code = 'ExecutionAlreadyExists' as const;
}

export class ExecutionDoesNotExistError extends WorkflowEngineError {
  readonly code = 'ExecutionDoesNotExist' as const;
}

/** A task output (or error name) over the Step Functions limits, refused before it is sent. */
export class PayloadTooLargeError extends WorkflowEngineError {
  readonly code = 'PayloadTooLarge' as const;
}

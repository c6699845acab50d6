import type { WorkflowErrorName } from '@gnomon/contracts';

/**
 * A step failed. `error` is the name the task token is failed with (the state machine and the
 * finalize step map it to the run status); `retryable` failures use the step's retry policy.
 */
export class StepError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly error: WorkflowErrorName,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'StepError';
  }
}

/** Why a running step was stopped from outside. */
export type StopReason = 'cancelled' | 'superseded' | 'shutdown' | 'timeout';

export class StepStopped extends Error {
  constructor(readonly reason: StopReason) {
    super(`step stopped: ${reason}`);
    this.name = 'StepStopped';
  }
}

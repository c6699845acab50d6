/**
 * What local Task handlers throw into aws-local-stepfunctions. The library matches Retry and
 * Catch on `error.name`, puts `error.message` in the caught error's `Cause`, and reads
 * `isRetryable`/`isCatchable` (as on its own runtime errors) when they are defined.
 */

/**
 * A task failure named like the Step Functions error it stands for: `States.Timeout`,
 * `States.HeartbeatTimeout`, the name the worker gave to SendTaskFailure, or a service
 * integration's (`StepFunctions.ExecutionAlreadyExistsException`, `SQS.<exception>`).
 */
export class TaskStateError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Ends a task whose execution was stopped: no Retry or Catch turns it into another state. */
export class ExecutionStoppedSignal extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(message = 'the execution was stopped') {
    super(message);
    this.name = 'ExecutionStopped';
  }
}

/**
 * `States.Runtime`: the execution cannot go on (a timeout path that is not a positive integer,
 * a resource the local engine does not run). As on AWS, neither retried nor caught.
 */
export class StatesRuntimeSignal extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(message: string) {
    super(message);
    this.name = 'States.Runtime';
  }
}

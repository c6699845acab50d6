import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { RunExecutionInput, runExecutionName } from '@gnomon/contracts';
import {
  assertStateMachineArn,
  canonicalJson,
  executionArnOf,
  taskFailureFields,
  taskOutputJson,
  type ExecutionDescription,
  type ExecutionStatus,
  type WorkflowEngine,
} from './workflow-engine';
import {
  ExecutionAlreadyExistsError,
  ExecutionDoesNotExistError,
  InvalidTokenError,
  TaskDoesNotExistError,
  TaskTimedOutError,
  type WorkflowEngineError,
} from './workflow-engine.errors';

type ErrorClass = new (message: string, options?: { cause?: unknown }) => WorkflowEngineError;

/** SDK exception names (`error.name`) → the port's errors; anything else is rethrown as is. */
const MAPPED_EXCEPTIONS: Record<string, ErrorClass> = {
  TaskTimedOut: TaskTimedOutError,
  TaskDoesNotExist: TaskDoesNotExistError,
  InvalidToken: InvalidTokenError,
  ExecutionAlreadyExists: ExecutionAlreadyExistsError,
  ExecutionDoesNotExist: ExecutionDoesNotExistError,
};

function mapped(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const ErrorClass = MAPPED_EXCEPTIONS[error.name];
  return ErrorClass ? new ErrorClass(error.message, { cause: error }) : error;
}

const STATUSES: Record<string, ExecutionStatus> = {
  RUNNING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  TIMED_OUT: 'TIMED_OUT',
  ABORTED: 'ABORTED',
  // A failed execution waiting to be redriven has not reached its end yet.
  PENDING_REDRIVE: 'RUNNING',
};

/**
 * The {@link WorkflowEngine} over AWS Step Functions (`@aws-sdk/client-sfn`), or over any
 * endpoint speaking its API — the local server (`AWS_ENDPOINT_URL_SFN`) included.
 */
export class StepFunctionsWorkflowEngine implements WorkflowEngine {
  constructor(
    private readonly client: SFNClient,
    readonly stateMachineArn: string,
  ) {
    assertStateMachineArn(stateMachineArn);
  }

  executionArnFor(runId: string, generation: number): string {
    return executionArnOf(this.stateMachineArn, runExecutionName(runId, generation));
  }

  async startExecution(input: RunExecutionInput): Promise<{ executionArn: string }> {
    const parsed = RunExecutionInput.parse(input);
    const command = new StartExecutionCommand({
      stateMachineArn: this.stateMachineArn,
      name: runExecutionName(parsed.runId, parsed.generation),
      input: canonicalJson(parsed),
    });
    const result = await this.call(this.client.send(command));
    if (!result.executionArn) throw new Error('StartExecution answered without an executionArn');
    return { executionArn: result.executionArn };
  }

  async stopExecution(executionArn: string, cause?: string): Promise<void> {
    const command = new StopExecutionCommand({
      executionArn,
      ...(cause !== undefined ? { cause: taskFailureFields('', cause).cause } : {}),
    });
    await this.call(this.client.send(command));
  }

  async describeExecution(executionArn: string): Promise<ExecutionDescription> {
    const result = await this.call(
      this.client.send(new DescribeExecutionCommand({ executionArn })),
    );
    const status = STATUSES[result.status ?? ''];
    if (!status) throw new Error(`unknown execution status ${String(result.status)}`);
    return {
      status,
      ...(result.error !== undefined ? { error: result.error } : {}),
      ...(result.cause !== undefined ? { cause: result.cause } : {}),
      ...(result.output !== undefined ? { output: JSON.parse(result.output) as unknown } : {}),
    };
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    const command = new SendTaskSuccessCommand({ taskToken, output: taskOutputJson(output) });
    await this.call(this.client.send(command));
  }

  async sendTaskFailure(taskToken: string, error: string, cause?: string): Promise<void> {
    const fields = taskFailureFields(error, cause);
    const command = new SendTaskFailureCommand({
      taskToken,
      error: fields.error,
      ...(fields.cause !== undefined ? { cause: fields.cause } : {}),
    });
    await this.call(this.client.send(command));
  }

  async sendTaskHeartbeat(taskToken: string): Promise<void> {
    await this.call(this.client.send(new SendTaskHeartbeatCommand({ taskToken })));
  }

  /** Awaits an SDK call, turning its exceptions into the port's errors. */
  private async call<Output>(request: Promise<Output>): Promise<Output> {
    try {
      return await request;
    } catch (error) {
      throw mapped(error);
    }
  }
}

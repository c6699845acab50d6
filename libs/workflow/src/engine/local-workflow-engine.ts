import type { SQSClient } from '@aws-sdk/client-sqs';
import { RunExecutionInput, runExecutionName } from '@gnomon/contracts';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { randomBytes } from 'node:crypto';
import { prepareLocalDefinition, type LocalTaskState } from './local-definition';
import { ExecutionStoppedSignal } from './local-task-errors';
import { localTaskHandlers } from './local-task-handlers';
import { LocalTaskTokenBroker } from './local-task-token-broker';
import {
  assertStateMachineArn,
  canonicalJson,
  executionArnOf,
  taskFailureFields,
  taskOutputJson,
  WORKFLOW_LIMITS,
  type ExecutionDescription,
  type ExecutionStatus,
  type WorkflowEngine,
} from './workflow-engine';
import {
  ExecutionAlreadyExistsError,
  ExecutionDoesNotExistError,
  PayloadTooLargeError,
} from './workflow-engine.errors';

export const DEFAULT_LOCAL_STATE_MACHINE_ARN =
  'arn:aws:states:us-east-1:000000000000:stateMachine:gnomon-run';

export interface LocalWorkflowEngineOptions {
  /** The definition as deployed (`renderRunStateMachine` output); run as is, never edited. */
  definitionJson: string;
  stateMachineArn?: string;
  /** Sends the messages of the definition's `sqs:sendMessage*` tasks. */
  sqs: SQSClient;
  /** Closed executions kept for describeExecution (oldest forgotten first). Default 10,000. */
  retainClosedExecutions?: number;
  /**
   * FOR TESTS ONLY: shortens the definition's timings so a test can watch a heartbeat timeout
   * and its retry in milliseconds rather than minutes. Never set in a running platform.
   */
  testTimingOverrides?: {
    /** HeartbeatSeconds per callback state name (fractions allowed). */
    heartbeatSeconds?: Record<string, number>;
    /** Retry pauses per state name in ms (aws-local-stepfunctions' `retryIntervalOverrides`). */
    retryIntervalMs?: Record<string, number | number[]>;
  };
}

/** A local execution as the Step Functions API describes it. */
export interface LocalExecutionRecord extends ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  /** The execution input, canonical JSON (what idempotency compares). */
  input: string;
  startDate: Date;
  stopDate?: Date;
}

interface LocalExecution extends LocalExecutionRecord {
  abort(): void;
}

type ExecutionEnd = Omit<ExecutionDescription, 'status'> & { status: ExecutionStatus };
type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type LibraryInput = Parameters<StateMachine['run']>[0];

/** AWS execution names: 1–80 characters, none of whitespace, brackets, wildcards, controls. */
const NOT_IN_EXECUTION_NAME = /[\s\p{Cc}<>{}[\]?*"#%\\^|~`$&,;:/]/u;

/** The port's methods are asynchronous: a refusal is a rejected promise, never a throw. */
function settled<T>(action: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(action()));
}

/** The fields of aws-local-stepfunctions' event log entries the engine reads. */
interface LibraryEvent {
  type: string;
  timestamp: number;
  /** Set on events forwarded from a Map iteration. */
  index?: number;
  state?: { name: string };
}

/**
 * The {@link WorkflowEngine} in-process, for local development and tests: runs the SAME
 * definition JSON as AWS with aws-local-stepfunctions, and brokers task tokens itself with AWS
 * semantics (that library has no `.waitForTaskToken` nor heartbeats; see local-definition.ts).
 *
 * Executions live in this process's memory only: the local engine does not survive its own
 * restart (a running execution is lost, its tokens become invalid). The step messages in SQS
 * and the run's state in the database do survive, so a restarted platform can start the run's
 * execution again from its cursor.
 */
export class LocalWorkflowEngine implements WorkflowEngine {
  readonly definitionJson: string;
  readonly stateMachineArn: string;
  private readonly machine: StateMachine;
  private readonly tasks: readonly LocalTaskState[];
  /** Top-level Map/Parallel states that run callback tasks. */
  private readonly scopes: ReadonlySet<string>;
  private readonly broker = new LocalTaskTokenBroker();
  /** Stands for `$$.Task.Token` in the context object until a handler mints the real token. */
  private readonly tokenPlaceholder = `gnomon-local-task-token-${randomBytes(16).toString('hex')}`;
  private readonly executions = new Map<string, LocalExecution>();
  /** ARNs of closed executions, oldest first. */
  private readonly closed = new Set<string>();
  private readonly retainClosed: number;
  private shutDown = false;

  constructor(private readonly options: LocalWorkflowEngineOptions) {
    this.definitionJson = options.definitionJson;
    this.stateMachineArn = options.stateMachineArn ?? DEFAULT_LOCAL_STATE_MACHINE_ARN;
    assertStateMachineArn(this.stateMachineArn);
    this.retainClosed = options.retainClosedExecutions ?? 10_000;
    const prepared = prepareLocalDefinition(JSON.parse(options.definitionJson));
    this.tasks = prepared.tasks;
    this.scopes = new Set(prepared.tasks.flatMap((task) => (task.scope ? [task.scope] : [])));
    // Validates the copy (asl-validator, paths and ARNs checked) once; runs are independent.
    this.machine = new StateMachine(prepared.runnable as unknown as StateMachineDefinition);
  }

  executionArnFor(runId: string, generation: number): string {
    return executionArnOf(this.stateMachineArn, runExecutionName(runId, generation));
  }

  startExecution(input: RunExecutionInput): Promise<{ executionArn: string }> {
    return settled(() => {
      const parsed = RunExecutionInput.parse(input);
      const name = runExecutionName(parsed.runId, parsed.generation);
      return { executionArn: this.start(name, parsed).executionArn };
    });
  }

  /** StartExecution as the API has it: any name, any JSON input (the local server's entry). */
  startNamedExecution(
    name: string,
    input: unknown,
  ): Promise<{ executionArn: string; startDate: Date }> {
    return settled(() => this.start(name, input));
  }

  private start(name: string, input: unknown): { executionArn: string; startDate: Date } {
    if (this.shutDown) throw new Error('the local workflow engine is closed');
    if (name.length < 1 || name.length > 80 || NOT_IN_EXECUTION_NAME.test(name)) {
      throw new TypeError(`invalid execution name: ${name}`);
    }
    const inputJson = canonicalJson(input ?? {});
    if (Buffer.byteLength(inputJson) > WORKFLOW_LIMITS.payloadBytes) {
      throw new PayloadTooLargeError('execution input is over 256 KiB');
    }
    const executionArn = executionArnOf(this.stateMachineArn, name);
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === inputJson) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new ExecutionAlreadyExistsError(`Execution Already Exists: '${executionArn}'`);
    }
    const execution: LocalExecution = {
      executionArn,
      stateMachineArn: this.stateMachineArn,
      name,
      input: inputJson,
      status: 'RUNNING',
      startDate: new Date(),
      abort: () => undefined,
    };
    this.executions.set(executionArn, execution);
    this.run(execution, JSON.parse(inputJson) as LibraryInput);
    return { executionArn, startDate: execution.startDate };
  }

  /** Aborts a running execution; its pending tokens die. A closed execution is left as is. */
  stopExecution(executionArn: string, cause?: string, error?: string): Promise<void> {
    return settled(() => {
      const execution = this.find(executionArn);
      if (execution.status !== 'RUNNING') return;
      this.end(execution, {
        status: 'ABORTED',
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
      });
      execution.abort();
    });
  }

  describeExecution(executionArn: string): Promise<ExecutionDescription> {
    return settled(() => {
      const { status, error, cause, output } = this.find(executionArn);
      return {
        status,
        ...(error !== undefined ? { error } : {}),
        ...(cause !== undefined ? { cause } : {}),
        ...(output !== undefined ? { output } : {}),
      };
    });
  }

  /** Everything the Step Functions API tells about an execution (the local server's view). */
  executionRecord(executionArn: string): LocalExecutionRecord {
    const execution = this.find(executionArn);
    return {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      input: execution.input,
      status: execution.status,
      startDate: execution.startDate,
      ...(execution.stopDate ? { stopDate: execution.stopDate } : {}),
      ...(execution.error !== undefined ? { error: execution.error } : {}),
      ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
      ...(execution.output !== undefined ? { output: execution.output } : {}),
    };
  }

  sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    // The execution gets a copy of the output, exactly as it would cross the wire.
    return settled(() => this.broker.succeed(taskToken, JSON.parse(taskOutputJson(output))));
  }

  sendTaskFailure(taskToken: string, error: string, cause?: string): Promise<void> {
    return settled(() => {
      const fields = taskFailureFields(error, cause);
      this.broker.fail(taskToken, fields.error, fields.cause);
    });
  }

  sendTaskHeartbeat(taskToken: string): Promise<void> {
    return settled(() => this.broker.heartbeat(taskToken));
  }

  /** Aborts every running execution and clears every timer; the engine starts nothing after. */
  close(): void {
    this.shutDown = true;
    for (const execution of [...this.executions.values()]) {
      if (execution.status !== 'RUNNING') continue;
      this.end(execution, { status: 'ABORTED', cause: 'the local workflow engine closed' });
      execution.abort();
    }
    this.broker.close();
  }

  private find(executionArn: string): LocalExecution {
    const execution = this.executions.get(executionArn);
    if (!execution) {
      throw new ExecutionDoesNotExistError(`Execution Does Not Exist: '${executionArn}'`);
    }
    return execution;
  }

  private run(execution: LocalExecution, input: LibraryInput): void {
    const handlers = localTaskHandlers(this.tasks, {
      executionArn: execution.executionArn,
      stateMachineArn: this.stateMachineArn,
      isRunning: () => execution.status === 'RUNNING',
      broker: this.broker,
      sqs: this.options.sqs,
      tokenPlaceholder: this.tokenPlaceholder,
      heartbeatSecondsOverrides: this.options.testTimingOverrides?.heartbeatSeconds ?? {},
      startExecution: (name, nextInput) => this.startNamedExecution(name, nextInput),
    });
    const smName = this.stateMachineArn.slice(this.stateMachineArn.lastIndexOf(':') + 1);
    const run = this.machine.run(input, {
      overrides: {
        taskResourceLocalHandlers: handlers as unknown as TaskHandlers,
        ...(this.options.testTimingOverrides?.retryIntervalMs
          ? { retryIntervalOverrides: this.options.testTimingOverrides.retryIntervalMs }
          : {}),
      },
      // The library fills Execution.Input and Execution.StartTime itself. Inside a Map
      // iteration it sets Execution.Input to the item's input (AWS keeps the execution's).
      context: {
        Execution: { Id: execution.executionArn, Name: execution.name },
        StateMachine: { Id: this.stateMachineArn, Name: smName },
        Task: { Token: this.tokenPlaceholder },
      },
    });
    execution.abort = run.abort;
    void this.watch(execution, run.eventLogs);
    void run.result.then(
      (output) => this.end(execution, { status: 'SUCCEEDED', output }),
      (error: unknown) => this.end(execution, LocalWorkflowEngine.failure(error)),
    );
  }

  /**
   * Reads the event log (also so that it does not grow for the whole execution). When a Map or
   * Parallel state fails, the library aborts its other iterations but their handlers never
   * learn it: their tokens are closed here, as AWS does (later answers → TaskTimedOut).
   */
  private async watch(execution: LocalExecution, events: AsyncIterable<unknown>): Promise<void> {
    for await (const entry of events) {
      const event = entry as LibraryEvent;
      const scope = event.state?.name;
      if (event.type !== 'StateFailed' || event.index !== undefined || !scope) continue;
      if (!this.scopes.has(scope)) continue;
      this.broker.cancelScope(
        execution.executionArn,
        scope,
        event.timestamp,
        new ExecutionStoppedSignal(`${scope} failed`),
      );
    }
  }

  private static failure(error: unknown): ExecutionEnd {
    if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
    if (error instanceof ExecutionTimeoutError) {
      return { status: 'TIMED_OUT', error: 'States.Timeout', cause: error.message };
    }
    const cause = error instanceof ExecutionError ? error.cause : error;
    return cause instanceof Error
      ? { status: 'FAILED', error: cause.name, cause: cause.message }
      : { status: 'FAILED', error: 'States.Runtime', cause: String(cause) };
  }

  /** Records the end of an execution (once), kills its tokens and forgets the oldest closed. */
  private end(execution: LocalExecution, outcome: ExecutionEnd): void {
    if (execution.status !== 'RUNNING') return;
    Object.assign(execution, outcome, { stopDate: new Date() });
    this.broker.cancelOwner(execution.executionArn, new ExecutionStoppedSignal());
    this.closed.add(execution.executionArn);
    while (this.closed.size > this.retainClosed) {
      const oldest = this.closed.values().next().value as string;
      this.closed.delete(oldest);
      this.executions.delete(oldest);
    }
  }
}

import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import {
  LONGEST_LOCAL_TASK_SECONDS,
  splitTaskInput,
  withTaskToken,
  type LocalTaskState,
  type TaskTiming,
} from './local-definition';
import { ExecutionStoppedSignal, StatesRuntimeSignal, TaskStateError } from './local-task-errors';
import type { LocalTaskTokenBroker } from './local-task-token-broker';
import { ExecutionAlreadyExistsError } from './workflow-engine.errors';

export const SQS_SEND_MESSAGE = 'arn:aws:states:::sqs:sendMessage';
export const SQS_SEND_MESSAGE_WAIT_FOR_TOKEN = 'arn:aws:states:::sqs:sendMessage.waitForTaskToken';
export const STATES_START_EXECUTION = 'arn:aws:states:::states:startExecution';

/** What the handlers of one execution need from the engine. */
export interface LocalTaskEnvironment {
  executionArn: string;
  stateMachineArn: string;
  isRunning(): boolean;
  broker: LocalTaskTokenBroker;
  sqs: SQSClient;
  /** The `$$.Task.Token` the run's context object carries, replaced by each minted token. */
  tokenPlaceholder: string;
  /** HeartbeatSeconds per state name (tests only; see LocalWorkflowEngineOptions). */
  heartbeatSecondsOverrides: Readonly<Record<string, number>>;
  startExecution(name: string, input: unknown): Promise<{ executionArn: string; startDate: Date }>;
}

export type LocalTaskHandler = (input: unknown) => Promise<unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new StatesRuntimeSignal(
      `${what} must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function resolveTiming(
  state: string,
  timing: TaskTiming,
  overrides: Readonly<Record<string, number>>,
): { timeoutSeconds: number; heartbeatSeconds: number | undefined } {
  const timeout =
    timing.timeoutSeconds === undefined
      ? LONGEST_LOCAL_TASK_SECONDS
      : positiveInteger(timing.timeoutSeconds, `TimeoutSeconds of ${state}`);
  const heartbeat =
    overrides[state] ??
    (timing.heartbeatSeconds === undefined
      ? undefined
      : positiveInteger(timing.heartbeatSeconds, `HeartbeatSeconds of ${state}`));
  return {
    timeoutSeconds: Math.min(timeout, LONGEST_LOCAL_TASK_SECONDS),
    heartbeatSeconds: heartbeat,
  };
}

/** SendMessage fields a state's Parameters may carry besides the body. */
function sendMessageCommand(
  state: string,
  parameters: unknown,
  body?: unknown,
): SendMessageCommand {
  if (!isObject(parameters) || typeof parameters.QueueUrl !== 'string') {
    throw new StatesRuntimeSignal(`${state}: sqs:sendMessage needs a QueueUrl`);
  }
  const message = body === undefined ? parameters.MessageBody : body;
  if (message === undefined) throw new StatesRuntimeSignal(`${state}: no MessageBody`);
  const { DelaySeconds, MessageGroupId, MessageDeduplicationId } = parameters;
  return new SendMessageCommand({
    QueueUrl: parameters.QueueUrl,
    MessageBody: typeof message === 'string' ? message : JSON.stringify(message),
    ...(typeof DelaySeconds === 'number' ? { DelaySeconds } : {}),
    ...(typeof MessageGroupId === 'string' ? { MessageGroupId } : {}),
    ...(typeof MessageDeduplicationId === 'string' ? { MessageDeduplicationId } : {}),
  });
}

/** An SQS failure, named as Step Functions names service integration errors. */
function sqsError(error: unknown): TaskStateError {
  const name = error instanceof Error ? error.name : 'SqsException';
  return new TaskStateError(`SQS.${name}`, error instanceof Error ? error.message : String(error));
}

/** `sqs:sendMessage.waitForTaskToken`: mint a token, send the message, wait for the answer. */
function callbackTask(taskState: LocalTaskState, env: LocalTaskEnvironment): LocalTaskHandler {
  const state = taskState.name;
  return async (input) => {
    if (!env.isRunning()) throw new ExecutionStoppedSignal();
    const { parameters, timing } = splitTaskInput(input);
    const { timeoutSeconds, heartbeatSeconds } = resolveTiming(
      state,
      timing,
      env.heartbeatSecondsOverrides,
    );
    // The token (and its clocks) exists before the message does, so no answer can be early.
    const task = env.broker.open({
      owner: env.executionArn,
      ...(taskState.scope !== undefined ? { scope: taskState.scope } : {}),
      timeoutSeconds,
      heartbeatSeconds,
    });
    try {
      const withToken = withTaskToken(parameters, env.tokenPlaceholder, task.token);
      await env.sqs.send(sendMessageCommand(state, withToken));
    } catch (error) {
      env.broker.cancel(task.token, error instanceof StatesRuntimeSignal ? error : sqsError(error));
    }
    return task.result;
  };
}

/** `sqs:sendMessage` (request-response). */
function sendMessageTask(state: string, env: LocalTaskEnvironment): LocalTaskHandler {
  return async (parameters) => {
    if (!env.isRunning()) throw new ExecutionStoppedSignal();
    const command = sendMessageCommand(state, parameters);
    try {
      const result = await env.sqs.send(command);
      return {
        MessageId: result.MessageId ?? null,
        MD5OfMessageBody: result.MD5OfMessageBody ?? null,
      };
    } catch (error) {
      throw sqsError(error);
    }
  };
}

/** `states:startExecution` (request-response): the run's continue-as-new. */
function startExecutionTask(env: LocalTaskEnvironment): LocalTaskHandler {
  return async (parameters) => {
    if (!env.isRunning()) throw new ExecutionStoppedSignal();
    if (!isObject(parameters)) throw new StatesRuntimeSignal('startExecution needs Parameters');
    const { StateMachineArn, Name, Input } = parameters;
    if (StateMachineArn !== env.stateMachineArn) {
      throw new TaskStateError(
        'StepFunctions.StateMachineDoesNotExistException',
        `State Machine Does Not Exist: '${String(StateMachineArn)}'`,
      );
    }
    let input: unknown = Input ?? {};
    if (typeof input === 'string') {
      try {
        input = JSON.parse(input);
      } catch {
        throw new TaskStateError(
          'StepFunctions.InvalidExecutionInputException',
          'Input is not JSON',
        );
      }
    }
    try {
      const name = typeof Name === 'string' ? Name : randomUUID();
      const started = await env.startExecution(name, input);
      return { ExecutionArn: started.executionArn, StartDate: started.startDate.toISOString() };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExistsError) {
        throw new TaskStateError('StepFunctions.ExecutionAlreadyExistsException', error.message);
      }
      const message = error instanceof Error ? error.message : String(error);
      throw new TaskStateError('StepFunctions.StepFunctionsException', message);
    }
  };
}

/** A resource the local engine does not run: fail the execution rather than call AWS. */
function unsupportedTask(task: LocalTaskState): LocalTaskHandler {
  return () =>
    Promise.reject(
      new StatesRuntimeSignal(`${task.name}: the local engine does not run ${task.resource}`),
    );
}

/**
 * One local handler per Task state of the definition, for one execution (aws-local-stepfunctions
 * looks handlers up by state name, for nested Map/Parallel states too). Every Task gets one, so
 * the library never invokes a real AWS resource.
 */
export function localTaskHandlers(
  tasks: readonly LocalTaskState[],
  env: LocalTaskEnvironment,
): Record<string, LocalTaskHandler> {
  const handlers: Record<string, LocalTaskHandler> = {};
  for (const task of tasks) {
    handlers[task.name] =
      task.resource === SQS_SEND_MESSAGE_WAIT_FOR_TOKEN
        ? callbackTask(task, env)
        : task.resource === SQS_SEND_MESSAGE
          ? sendMessageTask(task.name, env)
          : task.resource === STATES_START_EXECUTION
            ? startExecutionTask(env)
            : unsupportedTask(task);
  }
  return handlers;
}

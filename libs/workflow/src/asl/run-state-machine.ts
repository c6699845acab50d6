/**
 * The run lifecycle state machine (architecture §4): one Amazon States Language definition,
 * JSONPath only, deployed by Pulumi and run as-is by the local engine. The worker owns step
 * semantics; this machine only loops "ask the worker → route on its answer", fans out
 * parallel branches with a Map, parks on approvals, continues as a new execution before the
 * history limit, and turns caught errors into the run's terminal state.
 */

export const SQS_SEND_WAIT_FOR_TOKEN = 'arn:aws:states:::sqs:sendMessage.waitForTaskToken';
export const SFN_START_EXECUTION = 'arn:aws:states:::states:startExecution';

/** Timing of the callback tasks; explicit on every one of them. */
export const RUN_STATE_MACHINE_TIMING = {
  /** Longest a step may take (the task definition caps step timeouts at 3,600 s) plus margin. */
  stepTimeoutSeconds: 3_900,
  /** The worker heartbeats every 20 s while a step runs; three missed beats fail the attempt. */
  stepHeartbeatSeconds: 60,
  finalizeTimeoutSeconds: 300,
  finalizeHeartbeatSeconds: 60,
} as const;

export interface RunStateMachineOptions {
  /** URL of the step queue the worker consumes. */
  stepQueueUrl: string;
}

type State = Record<string, unknown>;

/** Errors that mean "the attempt was lost" (worker died, transient trouble): send it again. */
const RETRY_LOST_ATTEMPT = [
  {
    ErrorEquals: ['States.HeartbeatTimeout', 'Worker.Transient'],
    IntervalSeconds: 2,
    BackoffRate: 2,
    MaxAttempts: 3,
    MaxDelaySeconds: 60,
    JitterStrategy: 'FULL',
  },
];

/** Every error a run can die of is caught into FinalizeFailed with the error at `$.error`. */
const CATCH_TO_FINALIZE = [
  { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'FinalizeFailed' },
];

/** The fields every state keeps (the execution input shape). */
function runState(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const state: Record<string, unknown> = {
    'tenantId.$': '$.tenantId',
    'runId.$': '$.runId',
    'cursor.$': '$.cursor',
    'generation.$': '$.generation',
    'steps.$': '$.steps',
    'stepsPerExecution.$': '$.stepsPerExecution',
  };
  for (const [key, value] of Object.entries(overrides)) {
    // A literal replaces the path field of the same name and vice versa.
    delete state[key.endsWith('.$') ? key.slice(0, -2) : `${key}.$`];
    state[key] = value;
  }
  return state;
}

function stepTask(queueUrl: string, next: string, extra: State = {}): State {
  return {
    Type: 'Task',
    Resource: SQS_SEND_WAIT_FOR_TOKEN,
    Parameters: {
      QueueUrl: queueUrl,
      MessageBody: {
        v: 1,
        kind: 'step',
        'tenantId.$': '$.tenantId',
        'runId.$': '$.runId',
        'generation.$': '$.generation',
        'cursor.$': '$.cursor',
        'taskToken.$': '$$.Task.Token',
      },
    },
    TimeoutSeconds: RUN_STATE_MACHINE_TIMING.stepTimeoutSeconds,
    HeartbeatSeconds: RUN_STATE_MACHINE_TIMING.stepHeartbeatSeconds,
    ResultPath: '$.outcome',
    Retry: RETRY_LOST_ATTEMPT,
    Next: next,
    ...extra,
  };
}

function finalizeTask(queueUrl: string, outcome: 'SUCCEEDED' | 'FAILED', next: string): State {
  return {
    Type: 'Task',
    Resource: SQS_SEND_WAIT_FOR_TOKEN,
    Parameters: {
      QueueUrl: queueUrl,
      MessageBody: {
        v: 1,
        kind: 'finalize',
        outcome,
        'tenantId.$': '$.tenantId',
        'runId.$': '$.runId',
        'generation.$': '$.generation',
        'taskToken.$': '$$.Task.Token',
        ...(outcome === 'FAILED' ? { 'error.$': '$.error' } : {}),
      },
    },
    TimeoutSeconds: RUN_STATE_MACHINE_TIMING.finalizeTimeoutSeconds,
    HeartbeatSeconds: RUN_STATE_MACHINE_TIMING.finalizeHeartbeatSeconds,
    ResultPath: null,
    Retry: [
      {
        ...RETRY_LOST_ATTEMPT[0],
        ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout', 'Worker.Transient'],
        MaxAttempts: 5,
      },
    ],
    Next: next,
  };
}

/** Builds the definition as an object (see {@link renderRunStateMachine} for the deployed JSON). */
export function buildRunStateMachine(options: RunStateMachineOptions): Record<string, unknown> {
  const queueUrl = options.stepQueueUrl;
  return {
    Comment:
      'Gnomon run lifecycle: the worker executes steps from SQS and answers with the next cursor',
    StartAt: 'CheckHistory',
    States: {
      CheckHistory: {
        Type: 'Choice',
        Comment: 'Continue as a new execution well before the 25,000-event history limit',
        Choices: [
          {
            Variable: '$.steps',
            NumericGreaterThanEqualsPath: '$.stepsPerExecution',
            Next: 'PrepareContinueAsNew',
          },
        ],
        Default: 'EnqueueStep',
      },
      EnqueueStep: stepTask(queueUrl, 'Route', { Catch: CATCH_TO_FINALIZE }),
      Route: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.outcome.route', StringEquals: 'next', Next: 'Advance' },
          { Variable: '$.outcome.route', StringEquals: 'parallel', Next: 'FanOut' },
          { Variable: '$.outcome.route', StringEquals: 'approval', Next: 'AwaitApproval' },
          { Variable: '$.outcome.route', StringEquals: 'done', Next: 'FinalizeSucceeded' },
        ],
        Default: 'UnknownRoute',
      },
      Advance: {
        Type: 'Pass',
        Parameters: runState({
          'cursor.$': '$.outcome.cursor',
          'steps.$': 'States.MathAdd($.steps, 1)',
        }),
        Next: 'CheckHistory',
      },
      FanOut: {
        Type: 'Map',
        Comment: 'One iteration per parallel branch; each loops over its own steps',
        ItemsPath: '$.outcome.branches',
        ItemSelector: {
          'tenantId.$': '$.tenantId',
          'runId.$': '$.runId',
          'generation.$': '$.generation',
          'cursor.$': '$$.Map.Item.Value',
        },
        MaxConcurrency: 10,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'BranchStep',
          States: {
            BranchStep: stepTask(queueUrl, 'BranchRoute'),
            BranchRoute: {
              Type: 'Choice',
              Choices: [
                { Variable: '$.outcome.route', StringEquals: 'next', Next: 'BranchAdvance' },
              ],
              Default: 'BranchDone',
            },
            BranchAdvance: {
              Type: 'Pass',
              Parameters: {
                'tenantId.$': '$.tenantId',
                'runId.$': '$.runId',
                'generation.$': '$.generation',
                'cursor.$': '$.outcome.cursor',
              },
              Next: 'BranchStep',
            },
            BranchDone: { Type: 'Succeed' },
          },
        },
        ResultPath: null,
        Catch: CATCH_TO_FINALIZE,
        Next: 'Join',
      },
      Join: {
        Type: 'Pass',
        Parameters: runState({
          'cursor.$': '$.outcome.cursor',
          'steps.$': 'States.MathAdd($.steps, 1)',
        }),
        Next: 'CheckHistory',
      },
      AwaitApproval: {
        Type: 'Task',
        Comment:
          'Parks until a decision (SendTaskSuccess) or heartbeatSeconds without one (expiry)',
        Resource: SQS_SEND_WAIT_FOR_TOKEN,
        Parameters: {
          QueueUrl: queueUrl,
          MessageBody: {
            v: 1,
            kind: 'approval',
            'tenantId.$': '$.tenantId',
            'runId.$': '$.runId',
            'generation.$': '$.generation',
            'cursor.$': '$.outcome.cursor',
            'expiresInSeconds.$': '$.outcome.heartbeatSeconds',
            'taskToken.$': '$$.Task.Token',
          },
        },
        TimeoutSecondsPath: '$.outcome.timeoutSeconds',
        HeartbeatSecondsPath: '$.outcome.heartbeatSeconds',
        ResultPath: null,
        Catch: [
          {
            ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout'],
            ResultPath: null,
            Next: 'ResolveApproval',
          },
          ...CATCH_TO_FINALIZE,
        ],
        Next: 'ResolveApproval',
      },
      ResolveApproval: {
        Type: 'Pass',
        Comment:
          'The worker reads the decision (or marks the approval expired) at the approval cursor',
        Parameters: runState({
          'cursor.$': '$.outcome.cursor',
          'steps.$': 'States.MathAdd($.steps, 1)',
        }),
        Next: 'CheckHistory',
      },
      PrepareContinueAsNew: {
        Type: 'Pass',
        Parameters: runState({ 'generation.$': 'States.MathAdd($.generation, 1)', steps: 0 }),
        Next: 'ContinueAsNew',
      },
      ContinueAsNew: {
        Type: 'Task',
        Resource: SFN_START_EXECUTION,
        Parameters: {
          'StateMachineArn.$': '$$.StateMachine.Id',
          'Name.$': "States.Format('{}-g{}', $.runId, $.generation)",
          Input: runState(),
        },
        Retry: [
          {
            ErrorEquals: [
              'StepFunctions.SdkClientException',
              'StepFunctions.StepFunctionsException',
            ],
            IntervalSeconds: 1,
            BackoffRate: 2,
            MaxAttempts: 3,
          },
        ],
        Catch: [
          {
            ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'],
            ResultPath: null,
            Next: 'ContinuedAsNew',
          },
          ...CATCH_TO_FINALIZE,
        ],
        ResultPath: null,
        Next: 'ContinuedAsNew',
      },
      ContinuedAsNew: { Type: 'Succeed', Comment: 'The run goes on in the next generation' },
      UnknownRoute: {
        Type: 'Pass',
        Parameters: runState({
          error: { Error: 'StepFailed', Cause: 'the worker answered with an unknown route' },
        }),
        Next: 'FinalizeFailed',
      },
      FinalizeSucceeded: finalizeTask(queueUrl, 'SUCCEEDED', 'Succeeded'),
      Succeeded: { Type: 'Succeed' },
      FinalizeFailed: {
        ...finalizeTask(queueUrl, 'FAILED', 'FailureRoute'),
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'FailureRoute' }],
      },
      FailureRoute: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.error.Error', StringEquals: 'BudgetExceeded', Next: 'BudgetExceeded' },
          { Variable: '$.error.Error', StringEquals: 'Cancelled', Next: 'Cancelled' },
          { Variable: '$.error.Error', StringEquals: 'RunTimedOut', Next: 'TimedOut' },
        ],
        Default: 'Failed',
      },
      BudgetExceeded: {
        Type: 'Fail',
        Error: 'BUDGET_EXCEEDED',
        Cause: 'The tenant budget was exhausted',
      },
      Cancelled: { Type: 'Fail', Error: 'CANCELLED', Cause: 'The run was cancelled' },
      TimedOut: { Type: 'Fail', Error: 'TIMED_OUT', Cause: 'The run timed out' },
      Failed: { Type: 'Fail', Error: 'FAILED', Cause: 'A step failed' },
    },
  };
}

/** The exact JSON deployed to Step Functions and run by the local engine. */
export function renderRunStateMachine(options: RunStateMachineOptions): string {
  return JSON.stringify(buildRunStateMachine(options), null, 2);
}

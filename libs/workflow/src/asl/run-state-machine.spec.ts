import {
  buildRunStateMachine,
  renderRunStateMachine,
  RUN_STATE_MACHINE_TIMING,
} from './run-state-machine';

// asl-validator ships CommonJS without types; it annotates the object it checks, so it gets a copy.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validate = require('asl-validator') as (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errors: { message?: string; path?: string }[] };

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/gnomon-steps';

type State = Record<string, unknown>;
function allStates(definition: Record<string, unknown>): [string, State][] {
  const out: [string, State][] = [];
  const walk = (states: Record<string, State>) => {
    for (const [name, state] of Object.entries(states)) {
      out.push([name, state]);
      const processor = state.ItemProcessor as { States: Record<string, State> } | undefined;
      if (processor) walk(processor.States);
    }
  };
  walk(definition.States as Record<string, State>);
  return out;
}

describe('run state machine definition', () => {
  const definition = buildRunStateMachine({ stepQueueUrl: QUEUE });

  it('is valid Amazon States Language (asl-validator, paths and ARNs checked)', () => {
    const result = validate(structuredClone(definition), { checkPaths: true, checkArn: true });
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('asl-validator does reject a broken variant (the check above can fail)', () => {
    const broken = structuredClone(definition) as { States: Record<string, State> };
    broken.States.Route.Default = 'NoSuchState';
    expect(validate(broken).isValid).toBe(false);
  });

  it('uses JSONPath only (no JSONata, no QueryLanguage switch)', () => {
    const json = renderRunStateMachine({ stepQueueUrl: QUEUE });
    expect(json).not.toMatch(/QueryLanguage|JSONata|\{%/);
  });

  it('gives every callback task explicit TimeoutSeconds and HeartbeatSeconds', () => {
    const callbacks = allStates(definition).filter(
      ([, s]) => typeof s.Resource === 'string' && s.Resource.endsWith('.waitForTaskToken'),
    );
    expect(callbacks.map(([name]) => name).sort()).toEqual(
      ['AwaitApproval', 'BranchStep', 'EnqueueStep', 'FinalizeFailed', 'FinalizeSucceeded'].sort(),
    );
    for (const [name, state] of callbacks) {
      const timeout = state.TimeoutSeconds ?? state.TimeoutSecondsPath;
      const heartbeat = state.HeartbeatSeconds ?? state.HeartbeatSecondsPath;
      expect({ name, timeout: timeout !== undefined, heartbeat: heartbeat !== undefined }).toEqual({
        name,
        timeout: true,
        heartbeat: true,
      });
      if (typeof state.TimeoutSeconds === 'number') {
        expect(state.HeartbeatSeconds as number).toBeLessThan(state.TimeoutSeconds);
      }
      // The worker gets the token in the message body, from the context object.
      const body = (state.Parameters as { MessageBody: Record<string, unknown> }).MessageBody;
      expect(body['taskToken.$']).toBe('$$.Task.Token');
      expect((state.Parameters as { QueueUrl: string }).QueueUrl).toBe(QUEUE);
    }
    expect(RUN_STATE_MACHINE_TIMING.stepHeartbeatSeconds).toBeLessThan(
      RUN_STATE_MACHINE_TIMING.stepTimeoutSeconds,
    );
  });

  it('retries lost step attempts with backoff and catches everything else into FinalizeFailed', () => {
    const states = definition.States as Record<string, State>;
    const enqueue = states.EnqueueStep;
    const retry = enqueue.Retry as {
      ErrorEquals: string[];
      BackoffRate: number;
      MaxAttempts: number;
    }[];
    expect(retry[0].ErrorEquals).toContain('States.HeartbeatTimeout');
    expect(retry[0].BackoffRate).toBeGreaterThan(1);
    expect(enqueue.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'FinalizeFailed' },
    ]);
    expect(states.FanOut.Catch).toEqual(enqueue.Catch);
    const failureRoute = states.FailureRoute as {
      Choices: { StringEquals: string; Next: string }[];
      Default: string;
    };
    expect(failureRoute.Choices.map((c) => [c.StringEquals, c.Next])).toEqual([
      ['BudgetExceeded', 'BudgetExceeded'],
      ['Cancelled', 'Cancelled'],
      ['RunTimedOut', 'TimedOut'],
    ]);
    expect(failureRoute.Default).toBe('Failed');
    expect((states.BudgetExceeded as { Error: string }).Error).toBe('BUDGET_EXCEEDED');
  });

  it('carries identifiers and pointers only between states', () => {
    const states = definition.States as Record<string, State>;
    const advance = states.Advance.Parameters as Record<string, unknown>;
    expect(Object.keys(advance).sort()).toEqual(
      [
        'cursor.$',
        'generation.$',
        'runId.$',
        'steps.$',
        'stepsPerExecution.$',
        'tenantId.$',
      ].sort(),
    );
  });

  it('fans parallel branches out with a Map and continues as new from the cursor', () => {
    const states = definition.States as Record<string, State>;
    expect(states.FanOut.Type).toBe('Map');
    expect(states.FanOut.ItemsPath).toBe('$.outcome.branches');
    const check = states.CheckHistory as {
      Choices: { NumericGreaterThanEqualsPath: string; Next: string }[];
    };
    expect(check.Choices[0]).toMatchObject({
      NumericGreaterThanEqualsPath: '$.stepsPerExecution',
      Next: 'PrepareContinueAsNew',
    });
    expect(states.ContinueAsNew.Resource).toBe('arn:aws:states:::states:startExecution');
  });

  it('renders deterministically (the JSON Pulumi deploys is the JSON the local engine runs)', () => {
    expect(renderRunStateMachine({ stepQueueUrl: QUEUE })).toBe(
      renderRunStateMachine({ stepQueueUrl: QUEUE }),
    );
    expect(JSON.parse(renderRunStateMachine({ stepQueueUrl: QUEUE }))).toEqual(definition);
  });
});

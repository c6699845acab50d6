import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { buildRunStateMachine, renderRunStateMachine } from '../asl';
import {
  LIBRARY_TASK_TIMEOUT_SECONDS,
  prepareLocalDefinition,
  splitTaskInput,
  TIMING_FIELD,
  withTaskToken,
} from './local-definition';

const QUEUE = 'http://127.0.0.1:9324/000000000000/gnomon-steps';
type State = Record<string, unknown>;

describe('prepareLocalDefinition', () => {
  const definition = buildRunStateMachine({ stepQueueUrl: QUEUE });
  const { runnable, tasks } = prepareLocalDefinition(definition);
  const states = runnable.States as Record<string, State>;
  const branchStates = (states.FanOut.ItemProcessor as { States: Record<string, State> }).States;

  it('leaves the definition it was given untouched', () => {
    expect(JSON.stringify(definition, null, 2)).toBe(
      renderRunStateMachine({ stepQueueUrl: QUEUE }),
    );
  });

  it('lists every Task, nested ones included, and which are callbacks', () => {
    expect(tasks.map((t) => [t.name, t.callback]).sort()).toEqual(
      [
        ['AwaitApproval', true],
        ['BranchStep', true],
        ['ContinueAsNew', false],
        ['EnqueueStep', true],
        ['FinalizeFailed', true],
        ['FinalizeSucceeded', true],
      ].sort(),
    );
  });

  it('moves static timing of callback tasks into Parameters, under a backstop TimeoutSeconds', () => {
    const enqueue = states.EnqueueStep;
    expect(enqueue.TimeoutSeconds).toBe(LIBRARY_TASK_TIMEOUT_SECONDS);
    expect(enqueue.HeartbeatSeconds).toBeUndefined();
    expect((enqueue.Parameters as State)[TIMING_FIELD]).toEqual({
      timeoutSeconds: 3_900,
      heartbeatSeconds: 60,
    });
    expect((branchStates.BranchStep.Parameters as State)[TIMING_FIELD]).toEqual({
      timeoutSeconds: 3_900,
      heartbeatSeconds: 60,
    });
    // The rest of the state is as deployed.
    const original = (definition.States as Record<string, State>).EnqueueStep;
    expect(enqueue.Retry).toEqual(original.Retry);
    expect(enqueue.Catch).toEqual(original.Catch);
    expect({ ...(enqueue.Parameters as State), [TIMING_FIELD]: undefined }).toEqual({
      ...(original.Parameters as State),
      [TIMING_FIELD]: undefined,
    });
  });

  it('turns timing paths into Parameters paths (resolved against the state input, as on AWS)', () => {
    const approval = states.AwaitApproval;
    expect(approval.TimeoutSecondsPath).toBeUndefined();
    expect(approval.HeartbeatSecondsPath).toBeUndefined();
    expect(approval.TimeoutSeconds).toBe(LIBRARY_TASK_TIMEOUT_SECONDS);
    expect((approval.Parameters as State)[TIMING_FIELD]).toEqual({
      'timeoutSeconds.$': '$.outcome.timeoutSeconds',
      'heartbeatSeconds.$': '$.outcome.heartbeatSeconds',
    });
  });

  it('keeps non-callback tasks as they are', () => {
    expect(states.ContinueAsNew).toEqual(
      (definition.States as Record<string, State>).ContinueAsNew,
    );
  });

  it('is still a definition aws-local-stepfunctions accepts (validated on construction)', () => {
    expect(() => new StateMachine(runnable as unknown as StateMachineDefinition)).not.toThrow();
  });

  it('refuses state names used twice (handlers are found by name, nested states too)', () => {
    const twice = structuredClone(definition) as { States: Record<string, State> };
    const processor = twice.States.FanOut.ItemProcessor as { States: Record<string, State> };
    processor.States.Route = processor.States.BranchRoute!;
    expect(() => prepareLocalDefinition(twice)).toThrow(/Route is used twice/);
  });

  it('wraps a callback task without Parameters so its input still arrives', () => {
    const { runnable: copy } = prepareLocalDefinition({
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: 'arn:aws:states:::x.waitForTaskToken', End: true } },
    });
    const parameters = (copy.States as Record<string, State>).T.Parameters as State;
    expect(parameters['gnomon:localInput.$']).toBe('$');
    expect(splitTaskInput({ 'gnomon:localInput': { a: 1 }, [TIMING_FIELD]: {} })).toEqual({
      parameters: { a: 1 },
      timing: {},
    });
  });
});

describe('task input helpers', () => {
  it('splits the timing field off the Parameters', () => {
    expect(
      splitTaskInput({
        QueueUrl: QUEUE,
        MessageBody: { v: 1 },
        [TIMING_FIELD]: { timeoutSeconds: 5 },
      }),
    ).toEqual({
      parameters: { QueueUrl: QUEUE, MessageBody: { v: 1 } },
      timing: { timeoutSeconds: 5 },
    });
    expect(() => splitTaskInput({ QueueUrl: QUEUE })).toThrow(/no timing/);
  });

  it('puts the minted token where the placeholder is, and nowhere else', () => {
    expect(withTaskToken({ a: ['P', { b: 'P', c: 'Px' }], d: 1, e: null }, 'P', 'token')).toEqual({
      a: ['token', { b: 'token', c: 'Px' }],
      d: 1,
      e: null,
    });
  });
});

describe('aws-local-stepfunctions quirk (why timing paths are moved into Parameters)', () => {
  it('resolves TimeoutSecondsPath against the input after Parameters, not the state input', async () => {
    const machine = new StateMachine({
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f',
          Parameters: { 'x.$': '$.x' },
          TimeoutSecondsPath: '$.timeout',
          End: true,
        },
      },
    });
    const run = machine.run(
      { x: 1, timeout: 5 },
      { overrides: { taskResourceLocalHandlers: { T: () => ({ ok: true }) } } },
    );
    // On AWS this succeeds ($.timeout is in the state input); the library looks in {x: 1}.
    await expect(run.result).rejects.toThrow(/\$\.timeout/);
  });
});

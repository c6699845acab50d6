import {
  ExecutionAlreadyExists,
  InvalidToken,
  SFNServiceException,
  TaskDoesNotExist,
  TaskTimedOut,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { StepFunctionsWorkflowEngine } from './step-functions-workflow-engine';
import {
  ExecutionAlreadyExistsError,
  InvalidTokenError,
  PayloadTooLargeError,
  TaskDoesNotExistError,
  TaskTimedOutError,
} from './workflow-engine.errors';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:gnomon-run';
const RUN = '7a0e4f4e-4a43-4f5e-9d7c-0b1f8d3c2a11';
const TENANT = '0b7f8e1c-3d2a-4c5b-8e9f-1a2b3c4d5e6f';

/** The SDK client stands in at the wire: each test says what `send` answers or throws. */
function engineWith(send: jest.Mock): StepFunctionsWorkflowEngine {
  return new StepFunctionsWorkflowEngine({ send } as unknown as SFNClient, ARN);
}

const metadata = { $metadata: {} };

describe('StepFunctionsWorkflowEngine', () => {
  it('starts the run execution named after the run, with canonical JSON input', async () => {
    const send = jest.fn().mockResolvedValue({ executionArn: 'arn:x' });
    const engine = engineWith(send);
    await engine.startExecution({
      stepsPerExecution: 500,
      steps: 0,
      generation: 2,
      cursor: 'c0',
      runId: RUN,
      tenantId: TENANT,
    });
    expect(send.mock.calls[0][0].input).toEqual({
      stateMachineArn: ARN,
      name: `${RUN}-g2`,
      input: `{"cursor":"c0","generation":2,"runId":"${RUN}","steps":0,"stepsPerExecution":500,"tenantId":"${TENANT}"}`,
    });
    expect(engine.executionArnFor(RUN, 0)).toBe(
      `arn:aws:states:eu-west-1:123456789012:execution:gnomon-run:${RUN}`,
    );
  });

  it('refuses an invalid run input without calling Step Functions', async () => {
    const send = jest.fn();
    const bad = { tenantId: 'x', runId: RUN, cursor: 'c', generation: 0, steps: 0 };
    await expect(engineWith(send).startExecution(bad as never)).rejects.toThrow();
    expect(send).not.toHaveBeenCalled();
  });

  it('sends JSON output and refuses more than 256 KiB before sending', async () => {
    const send = jest.fn().mockResolvedValue({});
    const engine = engineWith(send);
    await engine.sendTaskSuccess('t', { route: 'done' });
    expect(send.mock.calls[0][0].input).toEqual({ taskToken: 't', output: '{"route":"done"}' });
    await expect(engine.sendTaskSuccess('t', 'é'.repeat(131_072))).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('cuts an oversized cause and refuses an oversized error name', async () => {
    const send = jest.fn().mockResolvedValue({});
    const engine = engineWith(send);
    await engine.sendTaskFailure('t', 'StepFailed', 'x'.repeat(40_000));
    expect(send.mock.calls[0][0].input.cause).toHaveLength(32_768);
    await expect(engine.sendTaskFailure('t', 'E'.repeat(257))).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
  });

  it.each([
    [new TaskTimedOut({ message: 'closed', ...metadata }), TaskTimedOutError],
    [new TaskDoesNotExist({ message: 'none', ...metadata }), TaskDoesNotExistError],
    [new InvalidToken({ message: 'bad', ...metadata }), InvalidTokenError],
    [new ExecutionAlreadyExists({ message: 'taken', ...metadata }), ExecutionAlreadyExistsError],
  ])('maps the SDK exception %p to the port error', async (thrown, expected) => {
    const engine = engineWith(jest.fn().mockRejectedValue(thrown));
    const error: unknown = await engine.sendTaskHeartbeat('t').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(expected);
    expect((error as Error).cause).toBe(thrown);
  });

  it('rethrows other failures as they are', async () => {
    const throttled = new SFNServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      ...metadata,
    });
    const engine = engineWith(jest.fn().mockRejectedValue(throttled));
    await expect(engine.stopExecution('arn:x')).rejects.toBe(throttled);
  });

  it('describes an execution with its parsed output', async () => {
    const send = jest
      .fn()
      .mockResolvedValueOnce({ status: 'SUCCEEDED', output: '{"cursor":"c9"}' })
      .mockResolvedValueOnce({ status: 'FAILED', error: 'BUDGET_EXCEEDED', cause: 'spent' });
    const engine = engineWith(send);
    expect(await engine.describeExecution('arn:x')).toEqual({
      status: 'SUCCEEDED',
      output: { cursor: 'c9' },
    });
    expect(await engine.describeExecution('arn:x')).toEqual({
      status: 'FAILED',
      error: 'BUDGET_EXCEEDED',
      cause: 'spent',
    });
  });

  it('refuses a state machine ARN that is not one', () => {
    const client = { send: jest.fn() } as unknown as SFNClient;
    expect(() => new StepFunctionsWorkflowEngine(client, 'gnomon-run')).toThrow(
      /not a state machine ARN/,
    );
  });
});

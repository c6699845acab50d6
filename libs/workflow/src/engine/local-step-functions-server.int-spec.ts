import {
  DescribeExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { renderRunStateMachine } from '../asl';
import {
  startLocalStepFunctionsServer,
  type LocalStepFunctionsServer,
} from './local-step-functions-server';
import { startLocalStepFunctionsProcess } from './local-step-functions-process';
import { LocalWorkflowEngine } from './local-workflow-engine';
import { StepFunctionsWorkflowEngine } from './step-functions-workflow-engine';
import {
  closedExecution,
  runInput,
  startLocalSqs,
  StepInbox,
  stepOf,
  type LocalSqs,
} from './testing/step-queue-worker';
import type { WorkflowEngine } from './workflow-engine';
import {
  ExecutionAlreadyExistsError,
  ExecutionDoesNotExistError,
  InvalidTokenError,
  PayloadTooLargeError,
  TaskTimedOutError,
} from './workflow-engine.errors';

function sfnClient(endpoint: string): SFNClient {
  return new SFNClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Scenario (a): next → done → finalize, answered through `engine`. */
async function runToSuccess(engine: WorkflowEngine, inbox: StepInbox): Promise<void> {
  const input = runInput();
  const { executionArn } = await engine.startExecution(input);
  expect(executionArn).toBe(engine.executionArnFor(input.runId, 0));
  const first = await inbox.next();
  expect(first).toMatchObject(stepOf(input, 'c0'));
  await engine.sendTaskHeartbeat(first.taskToken);
  await engine.sendTaskSuccess(first.taskToken, { route: 'next', cursor: 'c1' });
  const second = await inbox.next();
  expect(second).toMatchObject(stepOf(input, 'c1'));
  await engine.sendTaskSuccess(second.taskToken, { route: 'done' });
  const finalize = await inbox.next();
  expect(finalize).toMatchObject({ kind: 'finalize', outcome: 'SUCCEEDED', runId: input.runId });
  await engine.sendTaskSuccess(finalize.taskToken, {});
  const closed = await closedExecution(engine, executionArn);
  expect(closed).toMatchObject({ status: 'SUCCEEDED', output: { cursor: 'c1', steps: 1 } });
}

describe('the local Step Functions endpoint through @aws-sdk/client-sfn', () => {
  let local: LocalSqs;

  beforeAll(async () => {
    local = await startLocalSqs();
  });
  afterAll(async () => {
    await local.stop();
  });

  describe('in-process server', () => {
    let localEngine: LocalWorkflowEngine;
    let server: LocalStepFunctionsServer;
    let client: SFNClient;
    let engine: StepFunctionsWorkflowEngine;
    let inbox: StepInbox;

    beforeEach(async () => {
      const queueUrl = await local.createQueue();
      localEngine = new LocalWorkflowEngine({
        definitionJson: renderRunStateMachine({ stepQueueUrl: queueUrl }),
        sqs: local.sqs,
        testTimingOverrides: {
          heartbeatSeconds: { EnqueueStep: 0.5 },
          retryIntervalMs: { EnqueueStep: 0 },
        },
      });
      server = await startLocalStepFunctionsServer({ engine: localEngine });
      client = sfnClient(server.endpoint);
      engine = new StepFunctionsWorkflowEngine(client, localEngine.stateMachineArn);
      inbox = new StepInbox(local.sqs, queueUrl);
    });
    afterEach(async () => {
      client.destroy();
      await server.close();
      localEngine.close();
    });

    it('(a) runs next → done → finalize to SUCCEEDED', async () => {
      await runToSuccess(engine, inbox);
    });

    it('(d) SendTaskFailure(BudgetExceeded) → finalize FAILED → BUDGET_EXCEEDED', async () => {
      const input = runInput();
      const { executionArn } = await engine.startExecution(input);
      const first = await inbox.next();
      await engine.sendTaskFailure(first.taskToken, 'BudgetExceeded', 'tenant budget spent');
      const finalize = await inbox.next();
      expect(finalize).toMatchObject({
        kind: 'finalize',
        outcome: 'FAILED',
        error: { Error: 'BudgetExceeded', Cause: 'tenant budget spent' },
      });
      await engine.sendTaskSuccess(finalize.taskToken, {});
      expect(await closedExecution(engine, executionArn)).toMatchObject({
        status: 'FAILED',
        error: 'BUDGET_EXCEEDED',
        cause: 'The tenant budget was exhausted',
      });
    });

    it('(e) heartbeat timeout → a new token; old and used tokens → TaskTimedOut (the real SDK exception)', async () => {
      const input = runInput();
      await engine.startExecution(input);
      const lost = await inbox.next();
      const again = await inbox.next(3_000);
      expect(again).toMatchObject(stepOf(input, 'c0'));
      expect(again.taskToken).not.toBe(lost.taskToken);

      const raw = client.send(
        new SendTaskSuccessCommand({ taskToken: lost.taskToken, output: '{}' }),
      );
      await expect(raw).rejects.toBeInstanceOf(TaskTimedOut);
      await expect(engine.sendTaskSuccess(lost.taskToken, {})).rejects.toBeInstanceOf(
        TaskTimedOutError,
      );
      await engine.sendTaskSuccess(again.taskToken, { route: 'done' });
      await expect(engine.sendTaskHeartbeat(again.taskToken)).rejects.toBeInstanceOf(
        TaskTimedOutError,
      );
      await expect(engine.sendTaskFailure('garbage', 'StepFailed')).rejects.toBeInstanceOf(
        InvalidTokenError,
      );
    });

    it('maps execution errors and describes executions as the API does', async () => {
      const input = runInput();
      const { executionArn } = await engine.startExecution(input);
      expect(await engine.startExecution(input)).toEqual({ executionArn });
      await expect(engine.startExecution({ ...input, cursor: 'other' })).rejects.toBeInstanceOf(
        ExecutionAlreadyExistsError,
      );
      await expect(engine.describeExecution(`${executionArn}x`)).rejects.toBeInstanceOf(
        ExecutionDoesNotExistError,
      );

      const described = await client.send(new DescribeExecutionCommand({ executionArn }));
      expect(described).toMatchObject({
        executionArn,
        stateMachineArn: localEngine.stateMachineArn,
        name: input.runId,
        status: 'RUNNING',
      });
      expect(described.startDate).toBeInstanceOf(Date);
      expect(JSON.parse(described.input ?? '')).toEqual(input);

      await engine.stopExecution(executionArn, 'cancelled');
      expect(await engine.describeExecution(executionArn)).toEqual({
        status: 'ABORTED',
        cause: 'cancelled',
      });
      const other = client.send(
        new StartExecutionCommand({ stateMachineArn: `${localEngine.stateMachineArn}-x` }),
      );
      await expect(other).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    });

    it('refuses a task output over 256 KiB before sending it', async () => {
      await engine.startExecution(runInput());
      const first = await inbox.next();
      await expect(
        engine.sendTaskSuccess(first.taskToken, { blob: 'x'.repeat(262_144) }),
      ).rejects.toBeInstanceOf(PayloadTooLargeError);
      // The task is still open: the refusal did not reach the engine.
      await engine.sendTaskSuccess(first.taskToken, { route: 'done' });
    });

    it('answers an unknown operation with an AWS JSON error', async () => {
      const response = await fetch(server.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'AWSStepFunctions.DeleteStateMachine',
        },
        body: '{}',
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        __type: 'com.amazonaws.states#UnknownOperationException',
        message: "unknown operation 'AWSStepFunctions.DeleteStateMachine'",
      });
    });
  });

  it('the CLI process serves the run state machine (scenario a) and stops on SIGTERM', async () => {
    const queueUrl = await local.createQueue();
    const child = await startLocalStepFunctionsProcess({
      queueUrl,
      env: { AWS_ENDPOINT_URL_SQS: local.endpoint, AWS_REGION: 'us-east-1' },
    });
    const client = sfnClient(child.endpoint);
    try {
      expect(child.stateMachineArn).toBe(
        'arn:aws:states:us-east-1:000000000000:stateMachine:gnomon-run',
      );
      const engine = new StepFunctionsWorkflowEngine(client, child.stateMachineArn);
      await runToSuccess(engine, new StepInbox(local.sqs, queueUrl));
    } finally {
      client.destroy();
      expect(await child.stop()).toBe(0);
    }
  }, 120_000);
});

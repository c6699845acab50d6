import { renderRunStateMachine } from '../asl';
import { LocalWorkflowEngine, type LocalWorkflowEngineOptions } from './local-workflow-engine';
import {
  closedExecution,
  runInput,
  startLocalSqs,
  StepInbox,
  stepOf,
  type LocalSqs,
} from './testing/step-queue-worker';
import {
  ExecutionAlreadyExistsError,
  ExecutionDoesNotExistError,
  InvalidTokenError,
  TaskTimedOutError,
} from './workflow-engine.errors';

/**
 * The run state machine (the deployed definition JSON) through the local engine, with a real
 * local SQS endpoint and an in-test worker answering the step messages.
 */
describe('LocalWorkflowEngine running the run state machine', () => {
  let local: LocalSqs;
  const engines: LocalWorkflowEngine[] = [];

  beforeAll(async () => {
    local = await startLocalSqs();
  });
  afterEach(() => {
    for (const engine of engines.splice(0)) engine.close();
  });
  afterAll(async () => {
    await local.stop();
  });

  async function setUp(
    timing?: LocalWorkflowEngineOptions['testTimingOverrides'],
  ): Promise<{ engine: LocalWorkflowEngine; inbox: StepInbox; definitionJson: string }> {
    const queueUrl = await local.createQueue();
    const definitionJson = renderRunStateMachine({ stepQueueUrl: queueUrl });
    const engine = new LocalWorkflowEngine({
      definitionJson,
      sqs: local.sqs,
      ...(timing ? { testTimingOverrides: timing } : {}),
    });
    engines.push(engine);
    return { engine, inbox: new StepInbox(local.sqs, queueUrl), definitionJson };
  }

  it('(a) next → next → done → finalize: the execution succeeds', async () => {
    const { engine, inbox, definitionJson } = await setUp();
    // The engine runs the exact JSON it was given (the one Pulumi deploys).
    expect(engine.definitionJson).toBe(definitionJson);
    const input = runInput();
    const { executionArn } = await engine.startExecution(input);
    expect(executionArn).toBe(engine.executionArnFor(input.runId, 0));
    expect(executionArn).toBe(
      `arn:aws:states:us-east-1:000000000000:execution:gnomon-run:${input.runId}`,
    );

    const first = await inbox.next();
    expect(first).toMatchObject(stepOf(input, 'c0'));
    await engine.sendTaskSuccess(first.taskToken, { route: 'next', cursor: 'c1' });
    const second = await inbox.next();
    expect(second).toMatchObject(stepOf(input, 'c1'));
    expect(second.taskToken).not.toBe(first.taskToken);
    await engine.sendTaskSuccess(second.taskToken, { route: 'next', cursor: 'c2' });
    const third = await inbox.next();
    expect(third).toMatchObject(stepOf(input, 'c2'));
    await engine.sendTaskSuccess(third.taskToken, { route: 'done' });

    const finalize = await inbox.next();
    expect(finalize).toMatchObject({ kind: 'finalize', outcome: 'SUCCEEDED', runId: input.runId });
    expect(await engine.describeExecution(executionArn)).toEqual({ status: 'RUNNING' });
    await engine.sendTaskSuccess(finalize.taskToken, {});
    const closed = await closedExecution(engine, executionArn);
    expect(closed.status).toBe('SUCCEEDED');
    expect(closed.output).toMatchObject({ runId: input.runId, cursor: 'c2', steps: 2 });
  });

  it('(b) parallel: both branches run their steps, then the join cursor', async () => {
    const { engine, inbox } = await setUp();
    const input = runInput();
    const { executionArn } = await engine.startExecution(input);
    const first = await inbox.next();
    await engine.sendTaskSuccess(first.taskToken, {
      route: 'parallel',
      branches: ['b1', 'b2'],
      cursor: 'join',
    });

    const byCursor = async (count: number) =>
      new Map((await inbox.take(count)).map((m) => [(m as { cursor: string }).cursor, m]));
    const branches = await byCursor(2);
    expect([...branches.keys()].sort()).toEqual(['b1', 'b2']);
    for (const [cursor, message] of branches) {
      expect(message).toMatchObject(stepOf(input, cursor));
      await engine.sendTaskSuccess(message.taskToken, { route: 'next', cursor: `${cursor}.2` });
    }
    const seconds = await byCursor(2);
    expect([...seconds.keys()].sort()).toEqual(['b1.2', 'b2.2']);
    await engine.sendTaskSuccess(seconds.get('b1.2')!.taskToken, { route: 'done' });
    // The join waits for the other branch.
    await inbox.expectNothingFor(300);
    await engine.sendTaskSuccess(seconds.get('b2.2')!.taskToken, { route: 'done' });

    const join = await inbox.next();
    expect(join).toMatchObject(stepOf(input, 'join'));
    await engine.sendTaskSuccess(join.taskToken, { route: 'done' });
    const finalize = await inbox.next();
    expect(finalize).toMatchObject({ kind: 'finalize', outcome: 'SUCCEEDED' });
    await engine.sendTaskSuccess(finalize.taskToken, {});
    expect((await closedExecution(engine, executionArn)).status).toBe('SUCCEEDED');
  });

  it('(b) parallel: a failing branch fails the run; the other branch token dies', async () => {
    const { engine, inbox } = await setUp();
    const input = runInput();
    const { executionArn } = await engine.startExecution(input);
    const first = await inbox.next();
    await engine.sendTaskSuccess(first.taskToken, {
      route: 'parallel',
      branches: ['b1', 'b2'],
      cursor: 'join',
    });
    const [one, other] = await inbox.take(2);
    await engine.sendTaskFailure(one.taskToken, 'BudgetExceeded', 'spent in a branch');
    const finalize = await inbox.next();
    expect(finalize).toMatchObject({
      kind: 'finalize',
      outcome: 'FAILED',
      error: { Error: 'BudgetExceeded', Cause: 'spent in a branch' },
    });
    await expect(engine.sendTaskSuccess(other.taskToken, { route: 'done' })).rejects.toBeInstanceOf(
      TaskTimedOutError,
    );
    await engine.sendTaskSuccess(finalize.taskToken, {});
    expect(await closedExecution(engine, executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'BUDGET_EXCEEDED',
    });
  });

  it('(c) approval: a decision (SendTaskSuccess) goes on at the resolve cursor', async () => {
    const { engine, inbox } = await setUp();
    const input = runInput();
    await engine.startExecution(input);
    const first = await inbox.next();
    await engine.sendTaskSuccess(first.taskToken, {
      route: 'approval',
      cursor: 'approve-1',
      heartbeatSeconds: 30,
      timeoutSeconds: 60,
    });
    const approval = await inbox.next();
    expect(approval).toMatchObject({
      kind: 'approval',
      cursor: 'approve-1',
      expiresInSeconds: 30,
      runId: input.runId,
    });
    await engine.sendTaskHeartbeat(approval.taskToken);
    await engine.sendTaskSuccess(approval.taskToken, { decision: 'approved' });
    const resolved = await inbox.next();
    expect(resolved).toMatchObject(stepOf(input, 'approve-1'));
  });

  it('(c) approval expiry: no decision within heartbeatSeconds → the resolve cursor, no decision', async () => {
    const { engine, inbox } = await setUp();
    const input = runInput();
    await engine.startExecution(input);
    const first = await inbox.next();
    await engine.sendTaskSuccess(first.taskToken, {
      route: 'approval',
      cursor: 'approve-1',
      heartbeatSeconds: 1,
      timeoutSeconds: 30,
    });
    const approval = await inbox.next();
    expect(approval).toMatchObject({ kind: 'approval', expiresInSeconds: 1 });
    const resolved = await inbox.next(4_000);
    expect(resolved).toMatchObject(stepOf(input, 'approve-1'));
    // The approval's token died with the expiry.
    await expect(engine.sendTaskSuccess(approval.taskToken, {})).rejects.toBeInstanceOf(
      TaskTimedOutError,
    );
  });

  it('(c) approval: heartbeats keep it parked until TimeoutSecondsPath (read from the state input)', async () => {
    const { engine, inbox } = await setUp();
    const input = runInput();
    await engine.startExecution(input);
    const first = await inbox.next();
    await engine.sendTaskSuccess(first.taskToken, {
      route: 'approval',
      cursor: 'approve-1',
      heartbeatSeconds: 1,
      timeoutSeconds: 2,
    });
    const approval = await inbox.next();
    const started = Date.now();
    const beats = setInterval(() => {
      engine.sendTaskHeartbeat(approval.taskToken).catch(() => undefined);
    }, 250);
    try {
      const resolved = await inbox.next(5_000);
      expect(resolved).toMatchObject(stepOf(input, 'approve-1'));
      // Beyond the 1 s heartbeat (the beats reset it), ended by the 2 s timeout.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    } finally {
      clearInterval(beats);
    }
    await expect(engine.sendTaskHeartbeat(approval.taskToken)).rejects.toBeInstanceOf(
      TaskTimedOutError,
    );
  });

  it('(d) SendTaskFailure(BudgetExceeded) → finalize FAILED with the error → BUDGET_EXCEEDED', async () => {
    const { engine, inbox } = await setUp();
    const input = runInput();
    const { executionArn } = await engine.startExecution(input);
    const first = await inbox.next();
    await engine.sendTaskFailure(first.taskToken, 'BudgetExceeded', 'tenant budget spent');
    const finalize = await inbox.next();
    expect(finalize).toMatchObject({
      kind: 'finalize',
      outcome: 'FAILED',
      runId: input.runId,
      error: { Error: 'BudgetExceeded', Cause: 'tenant budget spent' },
    });
    await engine.sendTaskSuccess(finalize.taskToken, {});
    const closed = await closedExecution(engine, executionArn);
    expect(closed).toMatchObject({ status: 'FAILED', error: 'BUDGET_EXCEEDED' });
  });

  it('(e) a silent worker: heartbeat timeout → the step again with a NEW token; old tokens are dead', async () => {
    const { engine, inbox } = await setUp({
      heartbeatSeconds: { EnqueueStep: 0.5 },
      retryIntervalMs: { EnqueueStep: 0 },
    });
    const input = runInput();
    const { executionArn } = await engine.startExecution(input);
    const lost = await inbox.next();
    const again = await inbox.next(3_000);
    expect(again).toMatchObject(stepOf(input, 'c0'));
    expect(again.taskToken).not.toBe(lost.taskToken);
    await expect(engine.sendTaskSuccess(lost.taskToken, { route: 'done' })).rejects.toBeInstanceOf(
      TaskTimedOutError,
    );
    await expect(engine.sendTaskHeartbeat(lost.taskToken)).rejects.toBeInstanceOf(
      TaskTimedOutError,
    );

    await engine.sendTaskSuccess(again.taskToken, { route: 'done' });
    // A token is single use.
    await expect(engine.sendTaskSuccess(again.taskToken, { route: 'done' })).rejects.toBeInstanceOf(
      TaskTimedOutError,
    );
    await expect(engine.sendTaskFailure(again.taskToken, 'StepFailed')).rejects.toBeInstanceOf(
      TaskTimedOutError,
    );
    // Tokens this engine never minted.
    await expect(engine.sendTaskSuccess('not-a-token', {})).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
    const forged = `${'A'.repeat(43)}.${again.taskToken.split('.')[1]}`;
    await expect(engine.sendTaskSuccess(forged, {})).rejects.toBeInstanceOf(InvalidTokenError);

    const finalize = await inbox.next();
    expect(finalize).toMatchObject({ kind: 'finalize', outcome: 'SUCCEEDED' });
    await engine.sendTaskSuccess(finalize.taskToken, {});
    expect((await closedExecution(engine, executionArn)).status).toBe('SUCCEEDED');
  });

  it('(e) a worker that never answers: the retries run out → finalize FAILED (States.HeartbeatTimeout)', async () => {
    const { engine, inbox } = await setUp({
      heartbeatSeconds: { EnqueueStep: 0.3 },
      retryIntervalMs: { EnqueueStep: 0 },
    });
    const input = runInput();
    const { executionArn } = await engine.startExecution(input);
    // The first attempt and the definition's three retries.
    const attempts = await inbox.take(4, 3_000);
    expect(new Set(attempts.map((m) => m.taskToken)).size).toBe(4);
    const finalize = await inbox.next(3_000);
    expect(finalize).toMatchObject({
      kind: 'finalize',
      outcome: 'FAILED',
      error: { Error: 'States.HeartbeatTimeout' },
    });
    await engine.sendTaskSuccess(finalize.taskToken, {});
    expect(await closedExecution(engine, executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'FAILED',
    });
  });

  it('(f) continue-as-new: after stepsPerExecution steps the run goes on as `${runId}-g1`', async () => {
    const { engine, inbox } = await setUp();
    const input = runInput({ stepsPerExecution: 3 });
    const { executionArn } = await engine.startExecution(input);
    for (const [cursor, next] of [
      ['c0', 'c1'],
      ['c1', 'c2'],
      ['c2', 'c3'],
    ] as const) {
      const message = await inbox.next();
      expect(message).toMatchObject(stepOf(input, cursor));
      await engine.sendTaskSuccess(message.taskToken, { route: 'next', cursor: next });
    }
    const continued = await inbox.next();
    expect(continued).toMatchObject(stepOf(input, 'c3', 1));
    expect(await closedExecution(engine, executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    const nextArn = engine.executionArnFor(input.runId, 1);
    expect(nextArn.endsWith(`:${input.runId}-g1`)).toBe(true);
    expect(await engine.describeExecution(nextArn)).toEqual({ status: 'RUNNING' });

    await engine.sendTaskSuccess(continued.taskToken, { route: 'done' });
    const finalize = await inbox.next();
    expect(finalize).toMatchObject({ kind: 'finalize', generation: 1 });
    await engine.sendTaskSuccess(finalize.taskToken, {});
    expect(await closedExecution(engine, nextArn)).toMatchObject({
      status: 'SUCCEEDED',
      output: { generation: 1, steps: 0, cursor: 'c3' },
    });
  });

  it('(g) stopExecution: ABORTED, the pending token is dead, nothing more is sent', async () => {
    const { engine, inbox } = await setUp();
    const input = runInput();
    const { executionArn } = await engine.startExecution(input);
    const first = await inbox.next();
    await engine.stopExecution(executionArn, 'cancelled by a user');
    expect(await engine.describeExecution(executionArn)).toEqual({
      status: 'ABORTED',
      cause: 'cancelled by a user',
    });
    await expect(engine.sendTaskSuccess(first.taskToken, { route: 'done' })).rejects.toBeInstanceOf(
      TaskTimedOutError,
    );
    await inbox.expectNothingFor(300);
    // Stopping a closed execution changes nothing; an unknown one does not exist.
    await engine.stopExecution(executionArn);
    expect((await engine.describeExecution(executionArn)).status).toBe('ABORTED');
    await expect(engine.stopExecution(`${executionArn}-nope`)).rejects.toBeInstanceOf(
      ExecutionDoesNotExistError,
    );
    await expect(engine.describeExecution(`${executionArn}-nope`)).rejects.toBeInstanceOf(
      ExecutionDoesNotExistError,
    );
  });

  it('keeps closed executions for describeExecution, up to retainClosedExecutions', async () => {
    const queueUrl = await local.createQueue();
    const engine = new LocalWorkflowEngine({
      definitionJson: renderRunStateMachine({ stepQueueUrl: queueUrl }),
      sqs: local.sqs,
      retainClosedExecutions: 1,
    });
    engines.push(engine);
    const first = await engine.startExecution(runInput());
    const second = await engine.startExecution(runInput());
    await engine.stopExecution(first.executionArn);
    expect((await engine.describeExecution(first.executionArn)).status).toBe('ABORTED');
    await engine.stopExecution(second.executionArn);
    expect((await engine.describeExecution(second.executionArn)).status).toBe('ABORTED');
    await expect(engine.describeExecution(first.executionArn)).rejects.toBeInstanceOf(
      ExecutionDoesNotExistError,
    );
  });

  it('(h) StartExecution is idempotent for the same name and input while it runs', async () => {
    const { engine, inbox } = await setUp();
    const input = runInput();
    const first = await engine.startExecution(input);
    // Same input in another key order: still the same execution.
    const reordered = Object.fromEntries(Object.entries(input).reverse()) as typeof input;
    expect(await engine.startExecution(reordered)).toEqual(first);
    const message = await inbox.next();
    await inbox.expectNothingFor(300);
    await expect(engine.startExecution({ ...input, cursor: 'elsewhere' })).rejects.toBeInstanceOf(
      ExecutionAlreadyExistsError,
    );

    await engine.stopExecution(first.executionArn);
    // A closed execution's name is taken (AWS keeps names for 90 days).
    await expect(engine.startExecution(input)).rejects.toBeInstanceOf(ExecutionAlreadyExistsError);
    expect(message).toMatchObject(stepOf(input, 'c0'));
  });

  it('close() aborts running executions and kills their tokens', async () => {
    const { engine, inbox } = await setUp();
    const { executionArn } = await engine.startExecution(runInput());
    const first = await inbox.next();
    engine.close();
    expect((await engine.describeExecution(executionArn)).status).toBe('ABORTED');
    await expect(engine.sendTaskSuccess(first.taskToken, {})).rejects.toBeInstanceOf(
      TaskTimedOutError,
    );
    await expect(engine.startExecution(runInput())).rejects.toThrow(/closed/);
  });
});

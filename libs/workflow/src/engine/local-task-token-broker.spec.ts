import { ExecutionStoppedSignal, TaskStateError } from './local-task-errors';
import { LocalTaskTokenBroker } from './local-task-token-broker';
import { InvalidTokenError, TaskTimedOutError } from './workflow-engine.errors';

describe('LocalTaskTokenBroker', () => {
  let broker: LocalTaskTokenBroker;

  beforeEach(() => {
    jest.useFakeTimers();
    broker = new LocalTaskTokenBroker();
  });
  afterEach(() => {
    broker.close();
    jest.useRealTimers();
  });

  async function rejection(promise: Promise<unknown>): Promise<Error> {
    try {
      await promise;
    } catch (error) {
      return error as Error;
    }
    throw new Error('the promise resolved');
  }

  it('mints unguessable tokens within the 1,024-character AWS limit', () => {
    const tokens = Array.from({ length: 50 }, () => broker.open({ owner: 'x' }).token);
    expect(new Set(tokens).size).toBe(50);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
      expect(token.length).toBeLessThanOrEqual(1024);
    }
  });

  it('resolves the task with the output once; the token is then dead', async () => {
    const task = broker.open({ owner: 'x', heartbeatSeconds: 60 });
    broker.succeed(task.token, { route: 'done' });
    await expect(task.result).resolves.toEqual({ route: 'done' });
    expect(() => broker.succeed(task.token, {})).toThrow(TaskTimedOutError);
    expect(() => broker.heartbeat(task.token)).toThrow(TaskTimedOutError);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('fails the task with an error named as given (what Retry/Catch match)', async () => {
    const task = broker.open({ owner: 'x' });
    broker.fail(task.token, 'BudgetExceeded', 'spent');
    const error = await rejection(task.result);
    expect(error).toBeInstanceOf(TaskStateError);
    expect({ name: error.name, message: error.message }).toEqual({
      name: 'BudgetExceeded',
      message: 'spent',
    });
    expect(() => broker.fail(task.token, 'BudgetExceeded')).toThrow(TaskTimedOutError);
  });

  it('fails with States.HeartbeatTimeout when no heartbeat comes; heartbeats reset the clock', async () => {
    const task = broker.open({ owner: 'x', heartbeatSeconds: 10, timeoutSeconds: 100 });
    jest.advanceTimersByTime(9_000);
    broker.heartbeat(task.token);
    jest.advanceTimersByTime(9_000);
    broker.heartbeat(task.token);
    jest.advanceTimersByTime(9_999);
    expect(broker.pendingCount).toBe(1);
    jest.advanceTimersByTime(1);
    expect((await rejection(task.result)).name).toBe('States.HeartbeatTimeout');
    expect(() => broker.succeed(task.token, {})).toThrow(TaskTimedOutError);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('fails with States.Timeout at TimeoutSeconds, heartbeats or not', async () => {
    const task = broker.open({ owner: 'x', heartbeatSeconds: 10, timeoutSeconds: 25 });
    for (let i = 0; i < 4; i++) {
      jest.advanceTimersByTime(6_000);
      broker.heartbeat(task.token);
    }
    jest.advanceTimersByTime(1_000);
    expect((await rejection(task.result)).name).toBe('States.Timeout');
  });

  it('waits longer than setTimeout can in one go (chained timers)', async () => {
    const task = broker.open({ owner: 'x', timeoutSeconds: 30 * 24 * 3600 });
    jest.advanceTimersByTime(2 ** 31);
    expect(broker.pendingCount).toBe(1);
    jest.advanceTimersByTime(30 * 24 * 3600 * 1000 - 2 ** 31);
    expect((await rejection(task.result)).name).toBe('States.Timeout');
  });

  it('refuses malformed and foreign tokens as invalid', () => {
    const other = new LocalTaskTokenBroker();
    const foreign = other.open({ owner: 'x' }).token;
    const mine = broker.open({ owner: 'x' }).token;
    expect(() => broker.succeed('', {})).toThrow(InvalidTokenError);
    expect(() => broker.succeed('abc.def', {})).toThrow(InvalidTokenError);
    expect(() => broker.succeed(foreign, {})).toThrow(InvalidTokenError);
    const tampered = mine.slice(0, -1) + (mine.endsWith('A') ? 'B' : 'A');
    expect(() => broker.heartbeat(tampered)).toThrow(InvalidTokenError);
    expect(() => broker.heartbeat(mine)).not.toThrow();
    other.close();
  });

  it('cancels the tasks a failed Map/Parallel state left behind, not newer ones', async () => {
    const old = broker.open({ owner: 'a', scope: 'FanOut' });
    const outside = broker.open({ owner: 'a' });
    const otherRun = broker.open({ owner: 'b', scope: 'FanOut' });
    jest.advanceTimersByTime(5);
    const failedAt = Date.now();
    const retried = broker.open({ owner: 'a', scope: 'FanOut' });
    broker.cancelScope('a', 'FanOut', failedAt, new ExecutionStoppedSignal());
    expect(await rejection(old.result)).toBeInstanceOf(ExecutionStoppedSignal);
    for (const alive of [outside, otherRun, retried]) {
      expect(() => broker.heartbeat(alive.token)).not.toThrow();
    }
    expect(broker.pendingCount).toBe(3);
  });

  it('cancels the tasks of one owner only, and close() cancels everything', async () => {
    const a = broker.open({ owner: 'a', heartbeatSeconds: 5 });
    const b = broker.open({ owner: 'b', heartbeatSeconds: 5 });
    broker.cancelOwner('a', new ExecutionStoppedSignal());
    expect(await rejection(a.result)).toBeInstanceOf(ExecutionStoppedSignal);
    expect(() => broker.succeed(a.token, {})).toThrow(TaskTimedOutError);
    expect(broker.pendingCount).toBe(1);
    broker.close();
    expect(await rejection(b.result)).toBeInstanceOf(ExecutionStoppedSignal);
    expect(broker.pendingCount).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});

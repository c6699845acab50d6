import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ExecutionStoppedSignal, TaskStateError } from './local-task-errors';
import { InvalidTokenError, TaskTimedOutError } from './workflow-engine.errors';

export interface OpenTaskOptions {
  /** The execution the task belongs to (its ARN): `cancelOwner` closes all of them at once. */
  owner: string;
  /** The top-level Map/Parallel state the task runs in (see `cancelScope`). */
  scope?: string;
  /** No answer within this → the task fails with `States.Timeout`. */
  timeoutSeconds?: number;
  /** No heartbeat (or answer) within this → the task fails with `States.HeartbeatTimeout`. */
  heartbeatSeconds?: number;
}

export interface OpenTask {
  token: string;
  /** Settles with the SendTaskSuccess output, or rejects with a {@link TaskStateError}. */
  result: Promise<unknown>;
}

interface PendingTask {
  owner: string;
  scope: string | undefined;
  openedAt: number;
  heartbeatMs: number | undefined;
  resolve(output: unknown): void;
  reject(error: Error): void;
  cancelTimeout(): void;
  cancelHeartbeat(): void;
}

/** setTimeout takes at most 2^31-1 ms; longer waits (approvals of weeks) are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function startTimer(ms: number, onFire: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = (left: number) => {
    timer = setTimeout(
      () => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : onFire()),
      Math.min(left, MAX_TIMER_MS),
    );
  };
  arm(Math.max(0, ms));
  return () => clearTimeout(timer);
}

const TOKEN = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

/**
 * Task tokens of the local engine, with Step Functions semantics: unguessable and single use;
 * once a task succeeds, fails, times out or is cancelled its token is dead (`TaskTimedOutError`).
 * A token is 32 random bytes and their HMAC under a per-broker key (base64url, 87 characters),
 * so a closed token is told from a forged or foreign one (`InvalidTokenError`) without
 * remembering every token ever minted. Tokens do not survive the broker (a new key).
 */
export class LocalTaskTokenBroker {
  private readonly key = randomBytes(32);
  private readonly pending = new Map<string, PendingTask>();

  open(options: OpenTaskOptions): OpenTask {
    const id = randomBytes(32).toString('base64url');
    const token = `${id}.${this.mac(id)}`;
    let resolve!: (output: unknown) => void;
    let reject!: (error: Error) => void;
    const result = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A task cancelled before anybody awaits it (its message could not be sent) is no
    // unhandled rejection; whoever awaits `result` still sees the error.
    void result.catch(() => undefined);
    const task: PendingTask = {
      owner: options.owner,
      scope: options.scope,
      openedAt: Date.now(),
      heartbeatMs:
        options.heartbeatSeconds !== undefined ? options.heartbeatSeconds * 1000 : undefined,
      resolve,
      reject,
      cancelTimeout: () => undefined,
      cancelHeartbeat: () => undefined,
    };
    if (options.timeoutSeconds !== undefined) {
      const seconds = options.timeoutSeconds;
      task.cancelTimeout = startTimer(seconds * 1000, () =>
        this.settle(token, (t) =>
          t.reject(new TaskStateError('States.Timeout', `no answer within ${seconds} s`)),
        ),
      );
    }
    this.pending.set(token, task);
    this.armHeartbeat(token, task);
    return { token, result };
  }

  succeed(token: string, output: unknown): void {
    this.settle(this.pendingToken(token), (task) => task.resolve(output));
  }

  fail(token: string, error: string, cause?: string): void {
    this.settle(this.pendingToken(token), (task) =>
      task.reject(new TaskStateError(error, cause ?? '')),
    );
  }

  heartbeat(token: string): void {
    const task = this.pending.get(this.pendingToken(token));
    if (task) this.armHeartbeat(token, task);
  }

  /** Closes a task without an answer (its message could not be sent, its execution stopped). */
  cancel(token: string, reason: Error): void {
    this.settle(token, (task) => task.reject(reason));
  }

  /** Closes every pending task of an execution. */
  cancelOwner(owner: string, reason: Error): void {
    for (const [token, task] of [...this.pending]) {
      if (task.owner === owner) this.cancel(token, reason);
    }
  }

  /**
   * Closes the execution's tasks in a Map/Parallel state opened before `before` (ms epoch):
   * the iterations that state aborted when one of them failed. Tasks opened in the same
   * millisecond are left alone (they might belong to a retry of the state); they close with
   * the execution.
   */
  cancelScope(owner: string, scope: string, before: number, reason: Error): void {
    for (const [token, task] of [...this.pending]) {
      if (task.owner === owner && task.scope === scope && task.openedAt < before) {
        this.cancel(token, reason);
      }
    }
  }

  /** Closes everything and clears every timer. */
  close(reason: Error = new ExecutionStoppedSignal('the local engine closed')): void {
    for (const token of [...this.pending.keys()]) this.cancel(token, reason);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private armHeartbeat(token: string, task: PendingTask): void {
    task.cancelHeartbeat();
    const ms = task.heartbeatMs;
    if (ms === undefined) return;
    task.cancelHeartbeat = startTimer(ms, () =>
      this.settle(token, (t) =>
        t.reject(
          new TaskStateError('States.HeartbeatTimeout', `no heartbeat within ${ms / 1000} s`),
        ),
      ),
    );
  }

  /** The token of a pending task, or the error AWS would answer for it. */
  private pendingToken(token: string): string {
    const match = TOKEN.exec(token);
    if (!match || !this.macMatches(match[1], match[2])) {
      throw new InvalidTokenError('the task token is invalid');
    }
    if (!this.pending.has(token)) {
      throw new TaskTimedOutError(
        'the task of this token is closed (answered, timed out or stopped)',
      );
    }
    return token;
  }

  private settle(token: string, action: (task: PendingTask) => void): void {
    const task = this.pending.get(token);
    if (!task) return;
    this.pending.delete(token);
    task.cancelTimeout();
    task.cancelHeartbeat();
    action(task);
  }

  private mac(id: string): string {
    return createHmac('sha256', this.key).update(id).digest('base64url');
  }

  private macMatches(id: string, mac: string): boolean {
    return timingSafeEqual(Buffer.from(this.mac(id)), Buffer.from(mac));
  }
}

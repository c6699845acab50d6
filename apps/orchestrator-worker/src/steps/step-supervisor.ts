import { setTimeout as delay } from 'node:timers/promises';
import { TenantDatabase, type TenantScope } from '@gnomon/db';
import { StepRepository } from '@gnomon/runs';
import { TaskTimedOutError, type WorkflowEngine } from '@gnomon/workflow';
import { StepStopped } from './step-errors';

export interface SupervisorTiming {
  heartbeatMs: number;
  cancelPollMs: number;
}

/**
 * Watches a running step: heartbeats the task token and renews the step's claim, aborts the
 * work when the run is cancelled, when Step Functions has given up on the token (superseded),
 * when the step's deadline passes, or when the message is no longer ours (shutdown).
 */
export class StepSupervisor {
  constructor(
    private readonly db: TenantDatabase,
    private readonly engine: WorkflowEngine,
    private readonly timing: SupervisorTiming,
    private readonly steps = new StepRepository(),
  ) {}

  async supervise<T>(
    scope: TenantScope,
    ids: { runId: string; stepId: string; taskToken: string },
    deadlineMs: number,
    outer: AbortSignal,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    const stop = (reason: StepStopped) => {
      if (!controller.signal.aborted) controller.abort(reason);
    };
    const onOuter = () => stop(new StepStopped('shutdown'));
    outer.addEventListener('abort', onOuter, { once: true });
    const deadline = setTimeout(() => stop(new StepStopped('timeout')), deadlineMs);
    const watching = this.watch(scope, ids, controller.signal, stop);
    try {
      return await work(controller.signal);
    } finally {
      clearTimeout(deadline);
      outer.removeEventListener('abort', onOuter);
      if (!controller.signal.aborted) controller.abort(new StepStopped('shutdown'));
      await watching;
    }
  }

  private async watch(
    scope: TenantScope,
    ids: { runId: string; stepId: string; taskToken: string },
    signal: AbortSignal,
    stop: (reason: StepStopped) => void,
  ): Promise<void> {
    let sinceHeartbeat = 0;
    while (!signal.aborted) {
      try {
        await delay(this.timing.cancelPollMs, undefined, { signal });
      } catch {
        return;
      }
      sinceHeartbeat += this.timing.cancelPollMs;
      try {
        const run = await this.db.inTenant(scope, (t) =>
          t.db.run.findFirst({ where: { id: ids.runId }, select: { status: true } }),
        );
        if (run?.status === 'CANCELLED') stop(new StepStopped('cancelled'));
        if (sinceHeartbeat >= this.timing.heartbeatMs) {
          sinceHeartbeat = 0;
          await this.db.inTenant(scope, (t) => this.steps.touch(t, ids.stepId));
          await this.engine.sendTaskHeartbeat(ids.taskToken);
        }
      } catch (error) {
        if (error instanceof TaskTimedOutError) stop(new StepStopped('superseded'));
        // Anything else (a database blip) is retried on the next tick.
      }
    }
  }
}

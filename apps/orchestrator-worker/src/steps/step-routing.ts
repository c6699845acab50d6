import { stepById, type StepOutcome, type TaskDefinition } from '@gnomon/contracts';
import type { RunRow, StepRow, TenantTx } from '@gnomon/db';
import type { RunRepository, StepRepository } from '@gnomon/runs';
import type { NextStep } from '@gnomon/workflow';
import { StepError } from './step-errors';

/** What follows a finished step: the interpreter's answer, or another turn of an agent loop. */
export type StepPlan = NextStep | { kind: 'turn' };

export interface RoutedStep {
  outcome: StepOutcome;
  /** Set when the run ends here: its output. */
  runOutput?: unknown;
}

/**
 * Turns a plan into the state machine's answer. Every cursor handed out is a step row created
 * here (QUEUED) in the same transaction that finishes the current step, so a redelivered
 * message finds the same cursors in the recorded outcome instead of making new ones.
 */
export class StepRouter {
  constructor(
    private readonly runs: RunRepository,
    private readonly steps: StepRepository,
  ) {}

  async route(
    t: TenantTx,
    run: RunRow,
    step: StepRow,
    definition: TaskDefinition,
    plan: StepPlan,
    output: unknown,
  ): Promise<RoutedStep> {
    switch (plan.kind) {
      case 'turn': {
        const [seq] = await this.runs.allocateSeqs(t, run.id, 1);
        await this.steps.create(t, {
          runId: run.id,
          seq: seq,
          stepKey: step.stepKey,
          type: step.type,
          visit: step.visit,
          turn: step.turn + 1,
          branch: step.branch,
        });
        return { outcome: { route: 'next', cursor: String(seq) } };
      }
      case 'step': {
        const seq = await this.enter(t, run, definition, plan.stepId, step.branch);
        return { outcome: { route: 'next', cursor: String(seq) } };
      }
      case 'parallel': {
        const branches: string[] = [];
        for (const start of plan.branchStarts)
          branches.push(String(await this.enter(t, run, definition, start, start)));
        const join = await this.enter(t, run, definition, plan.join, null);
        return { outcome: { route: 'parallel', branches, cursor: String(join) } };
      }
      case 'end': {
        if (plan.branch) return { outcome: { route: 'done' } };
        if (plan.status === 'FAILED')
          throw new StepError('approval_rejected', plan.reason, 'ApprovalRejected', false);
        if (plan.status === 'TIMED_OUT')
          throw new StepError('approval_expired', plan.reason, 'RunTimedOut', false);
        return { outcome: { route: 'done' }, runOutput: output };
      }
    }
  }

  /** A new visit of a definition step: checks its maxVisits bound, creates its row. */
  private async enter(
    t: TenantTx,
    run: RunRow,
    definition: TaskDefinition,
    stepKey: string,
    branch: string | null,
  ): Promise<number> {
    const target = stepById(definition, stepKey);
    if (!target)
      throw new StepError('unknown_step', `unknown step "${stepKey}"`, 'StepFailed', false);
    const visits = await this.steps.visits(t, run.id, stepKey);
    if (target.maxVisits !== undefined && visits >= target.maxVisits) {
      throw new StepError(
        'max_visits_exceeded',
        `step "${stepKey}" would be entered a ${visits + 1}th time; its maxVisits is ${target.maxVisits}`,
        'StepFailed',
        false,
      );
    }
    const [seq] = await this.runs.allocateSeqs(t, run.id, 1);
    await this.steps.create(t, {
      runId: run.id,
      seq: seq,
      stepKey,
      type: target.type,
      visit: visits + 1,
      branch,
    });
    return seq;
  }
}

import { stepById, type StepOutcome, type TaskDefinition } from '@gnomon/contracts';
import type { RunRow, SqlSession, StepRow } from '@gnomon/db';
import type { StepLedger } from '@gnomon/runs';
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
  constructor(private readonly ledger: StepLedger) {}

  async route(
    s: SqlSession,
    run: RunRow,
    step: StepRow,
    definition: TaskDefinition,
    plan: StepPlan,
    output: unknown,
  ): Promise<RoutedStep> {
    switch (plan.kind) {
      case 'turn': {
        const { seq } = await this.ledger.enter(s, {
          runId: run.id,
          stepKey: step.stepKey,
          type: step.type,
          visit: step.visit,
          turn: step.turn + 1,
          branch: step.branch,
        });
        return { outcome: { route: 'next', cursor: String(seq) } };
      }
      case 'step': {
        const seq = await this.enter(s, run, definition, plan.stepId, step.branch);
        return { outcome: { route: 'next', cursor: String(seq) } };
      }
      case 'parallel': {
        const branches: string[] = [];
        for (const start of plan.branchStarts)
          branches.push(String(await this.enter(s, run, definition, start, start)));
        const join = await this.enter(s, run, definition, plan.join, null);
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

  /** A new visit of a definition step: creates its row, within its maxVisits bound. */
  private async enter(
    s: SqlSession,
    run: RunRow,
    definition: TaskDefinition,
    stepKey: string,
    branch: string | null,
  ): Promise<number> {
    const target = stepById(definition, stepKey);
    if (!target)
      throw new StepError('unknown_step', `unknown step "${stepKey}"`, 'StepFailed', false);
    const { seq, visit } = await this.ledger.enter(s, {
      runId: run.id,
      stepKey,
      type: target.type,
      branch,
    });
    if (target.maxVisits !== undefined && visit > target.maxVisits) {
      // Thrown inside the transaction: the row just made is rolled back with it.
      throw new StepError(
        'max_visits_exceeded',
        `step "${stepKey}" would be entered a ${visit}th time; its maxVisits is ${target.maxVisits}`,
        'StepFailed',
        false,
      );
    }
    return seq;
  }
}

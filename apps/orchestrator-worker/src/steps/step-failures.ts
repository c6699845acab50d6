import { TenantDatabase, type StepRow, type TenantScope } from '@gnomon/db';
import { RunEventRepository, StepRepository } from '@gnomon/runs';
import type { StepError } from './step-errors';
import type { TokenAnswers } from './token-answers';

/**
 * A step that failed for good: the row (with the workflow error name, so a redelivery fails the
 * token the same way), the run's event, then the task token with that error.
 */
export class StepFailures {
  constructor(
    private readonly db: TenantDatabase,
    private readonly answers: TokenAnswers,
    private readonly steps = new StepRepository(),
    private readonly events = new RunEventRepository(),
  ) {}

  async record(
    scope: TenantScope,
    step: StepRow,
    error: StepError,
    taskToken: string,
  ): Promise<void> {
    const failure = { code: error.code, message: error.message };
    await this.db.inTenant(scope, async (t) => {
      await this.steps.fail(t, step.id, { ...failure, error: error.error });
      await this.events.append(
        t,
        step.runId,
        'step.failed',
        { seq: step.seq, stepKey: step.stepKey, status: 'FAILED', error: failure },
        step.id,
      );
    });
    await this.answers.fail(taskToken, error.error, error.message);
  }
}

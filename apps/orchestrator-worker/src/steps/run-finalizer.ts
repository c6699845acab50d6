import { WORKFLOW_ERRORS, type StepMessage, type WorkflowErrorName } from '@gnomon/contracts';
import { TenantDatabase, type RunStatusValue, type TenantScope } from '@gnomon/db';
import { RunEventRepository, RunRepository } from '@gnomon/runs';
import type { TokenAnswers } from './token-answers';

type FinalizeMessage = Extract<StepMessage, { kind: 'finalize' }>;

/** The run status a caught error ends the run in (anything unknown is FAILED). */
export function terminalStatusOf(errorName: string | undefined): RunStatusValue {
  if (errorName && Object.hasOwn(WORKFLOW_ERRORS, errorName))
    return WORKFLOW_ERRORS[errorName as WorkflowErrorName];
  return 'FAILED';
}

/** Cause texts come from Step Functions or the worker; bound what is stored. */
function errorOf(message: FinalizeMessage): { code: string; message: string } | null {
  if (!message.error) return null;
  return {
    code: message.error.Error,
    message: (message.error.Cause ?? message.error.Error).slice(0, 2_000),
  };
}

/** The `finalize` message: the run's terminal status, written once. */
export class RunFinalizer {
  constructor(
    private readonly db: TenantDatabase,
    private readonly answers: TokenAnswers,
    private readonly runs = new RunRepository(),
    private readonly events = new RunEventRepository(),
  ) {}

  async handle(scope: TenantScope, message: FinalizeMessage): Promise<'ack'> {
    await this.db.inTenant(scope, async (t) => {
      const run = await this.runs.lock(t, message.runId);
      if (!run) return;
      const status =
        message.outcome === 'SUCCEEDED' ? 'SUCCEEDED' : terminalStatusOf(message.error?.Error);
      const error = errorOf(message);
      const previous = await this.runs.move(t, run, status, { error });
      if (previous !== null)
        await this.events.append(t, run.id, 'run.finished', {
          status,
          previousStatus: previous,
          ...(error ? { error } : {}),
        });
    });
    await this.answers.succeed(message.taskToken, {});
    return 'ack';
  }
}

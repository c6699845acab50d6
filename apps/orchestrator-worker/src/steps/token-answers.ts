import type { StepOutcome } from '@gnomon/contracts';
import { TaskTimedOutError, type WorkflowEngine } from '@gnomon/workflow';
import type { Logger } from 'pino';

/**
 * Answers task tokens. A token Step Functions no longer waits for (timed out, already answered,
 * execution stopped) means this delivery was superseded by a newer attempt: that is logged
 * and the message is done with, never an error.
 */
export class TokenAnswers {
  constructor(
    private readonly engine: WorkflowEngine,
    private readonly logger: Logger,
  ) {}

  succeed(taskToken: string, output: StepOutcome | Record<string, never>): Promise<void> {
    return this.quietly(() => this.engine.sendTaskSuccess(taskToken, output));
  }

  fail(taskToken: string, error: string, cause?: string): Promise<void> {
    return this.quietly(() => this.engine.sendTaskFailure(taskToken, error, cause));
  }

  heartbeat(taskToken: string): Promise<void> {
    return this.quietly(() => this.engine.sendTaskHeartbeat(taskToken));
  }

  private async quietly(send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      if (!(error instanceof TaskTimedOutError)) throw error;
      this.logger.info(
        { reason: error.message },
        'task token no longer awaited; this delivery was superseded',
      );
    }
  }
}

import type { StepMessage } from '@gnomon/contracts';
import { tenantScope } from '@gnomon/db';
import type { ReceivedStepMessage, StepMessageOutcome } from '@gnomon/aws';
import type { Logger } from 'pino';
import type { ApprovalSteps } from './approval-steps';
import type { RunFinalizer } from './run-finalizer';
import type { StepExecutor } from './step-executor';

/** Routes each step message to the use case for its kind, with the run's ids on every log line. */
export class StepMessageHandler {
  constructor(
    private readonly executor: StepExecutor,
    private readonly approvals: ApprovalSteps,
    private readonly finalizer: RunFinalizer,
    private readonly logger: Logger,
  ) {}

  async handle(message: ReceivedStepMessage<StepMessage>): Promise<StepMessageOutcome> {
    const body = message.body;
    const log = this.logger.child({
      tenantId: body.tenantId,
      runId: body.runId,
      kind: body.kind,
      receiveCount: message.receiveCount,
    });
    const scope = tenantScope(body.tenantId);
    try {
      switch (body.kind) {
        case 'step':
          return await this.executor.handle(body, message.signal);
        case 'approval':
          return await this.approvals.onRequest(scope, body);
        case 'finalize':
          return await this.finalizer.handle(scope, body);
      }
    } catch (error) {
      log.error({ err: error }, 'step message failed; it will be delivered again');
      return 'retry-later';
    }
  }
}

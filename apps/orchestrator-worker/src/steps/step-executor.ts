import { setTimeout as delay } from 'node:timers/promises';
import {
  StepOutcome,
  stepById,
  type ApprovalStep,
  type StepMessage,
  type TaskDefinition,
  type TaskStep,
} from '@gnomon/contracts';
import {
  TenantDatabase,
  sqlSessionOf,
  tenantScope,
  type RunRow,
  type SqlSession,
  type StepRow,
  type TenantScope,
} from '@gnomon/db';
import {
  RunEventRepository,
  StepLedger,
  StepRepository,
  TaskVersionReader,
  isTerminal,
  type StepOutputRecord,
} from '@gnomon/runs';
import { TemplateError, nextStep, type RunScope } from '@gnomon/workflow';
import type { Logger } from 'pino';
import type { ApprovalSteps } from './approval-steps';
import type { LlmStepRunner } from './llm-step';
import { StepError, StepStopped } from './step-errors';
import { StepFailures } from './step-failures';
import { StepRouter } from './step-routing';
import type { OutputStore } from './output-store';
import type { StepSupervisor } from './step-supervisor';
import type { StepResult, StepWork } from './step-work';
import type { TokenAnswers } from './token-answers';
import type { ToolStepRunner } from './tool-step';

type StepMessageOf<K> = Extract<StepMessage, { kind: K }>;
export type HandledAs = 'ack' | 'retry-later';

/** What opening a step message found. */
type Opened =
  | { kind: 'missing'; reason: string }
  | { kind: 'held' }
  | { kind: 'loaded'; run: RunRow; step: StepRow; definition: TaskDefinition; spec: TaskStep }
  | {
      kind: 'claimed';
      run: RunRow;
      step: StepRow;
      definition: TaskDefinition;
      spec: TaskStep;
      outputs: Record<string, StepOutputRecord>;
    };

/** Step kinds that do not call out (no model, no tool): routing only. */
const CONTROL_STEPS: TaskStep['type'][] = ['branch', 'parallel'];

/**
 * Executes one `step` message: the step row at the cursor, exactly once however often SQS
 * delivers it. A finished step answers again with its recorded outcome; a running one is
 * claimed only when its previous worker's claim ran out.
 */
export class StepExecutor {
  private readonly router: StepRouter;
  private readonly failures: StepFailures;

  constructor(
    private readonly db: TenantDatabase,
    private readonly answers: TokenAnswers,
    private readonly supervisor: StepSupervisor,
    private readonly llm: LlmStepRunner,
    private readonly tool: ToolStepRunner,
    private readonly approvals: ApprovalSteps,
    private readonly outputs: OutputStore,
    private readonly logger: Logger,
    private readonly options: { leaseSeconds: number; heartbeatMs: number },
    private readonly ledger = new StepLedger(),
    private readonly steps = new StepRepository(),
    private readonly events = new RunEventRepository(),
    private readonly tasks = new TaskVersionReader(),
  ) {
    this.router = new StepRouter(this.ledger);
    this.failures = new StepFailures(db, answers);
  }

  async handle(message: StepMessageOf<'step'>, outer: AbortSignal): Promise<HandledAs> {
    const scope = tenantScope(message.tenantId);
    const opened = await this.db.sqlInTenant(scope, (s) => this.open(s, message));
    if (opened.kind === 'missing') {
      await this.answers.fail(message.taskToken, 'StepFailed', opened.reason);
      return 'ack';
    }
    if (opened.kind === 'held') return 'retry-later'; // another worker holds it; its answer will come
    const { run, step, definition, spec } = opened;
    if (opened.kind === 'claimed') {
      const runScope = { input: run.input, steps: await this.outputs.resolve(opened.outputs) };
      return this.execute(scope, run, step, spec, definition, runScope, message, outer);
    }
    if (step.status === 'SUCCEEDED' && step.outcome) {
      await this.answers.succeed(message.taskToken, StepOutcome.parse(step.outcome));
      return 'ack';
    }
    if (step.status === 'FAILED') {
      const error = (step.error ?? {}) as { error?: string; message?: string };
      await this.answers.fail(message.taskToken, error.error ?? 'StepFailed', error.message);
      return 'ack';
    }
    if (isTerminal(run.status)) {
      await this.answers.fail(
        message.taskToken,
        run.status === 'CANCELLED' ? 'Cancelled' : 'StepFailed',
        `the run is ${run.status}`,
      );
      return 'ack';
    }
    return this.approvals.onStep(scope, run, step, spec as ApprovalStep, definition, message);
  }

  /**
   * One transaction: loads the run and the step at the cursor and, when the step is to run
   * here, claims it, marks it (and the run) started and reads the outputs its templates see.
   */
  private async open(s: SqlSession, message: StepMessageOf<'step'>): Promise<Opened> {
    const loaded = await this.ledger.load(
      s,
      message.runId,
      Number(message.cursor),
      message.generation,
    );
    if (!loaded?.step) return { kind: 'missing', reason: `no step at cursor ${message.cursor}` };
    const { run, step } = loaded;
    const definition = await this.tasks.definition(s, run.taskVersionId);
    const spec = stepById(definition, step.stepKey);
    if (!spec) return { kind: 'missing', reason: `unknown step "${step.stepKey}"` };
    const settled = step.status === 'SUCCEEDED' || step.status === 'FAILED';
    if (settled || isTerminal(run.status) || spec.type === 'approval')
      return { kind: 'loaded', run, step, definition, spec };
    const claimed = await this.ledger.claimAndStart(s, run.id, step.id, this.options.leaseSeconds);
    if (!claimed) return { kind: 'held' };
    const outputs = await this.ledger.outputs(s, run.id);
    return { kind: 'claimed', run, step: claimed, definition, spec, outputs };
  }

  /** Runs the claimed step, retrying retryable failures per its policy inside this delivery. */
  private async execute(
    scope: TenantScope,
    run: RunRow,
    first: StepRow,
    spec: TaskStep,
    definition: TaskDefinition,
    runScope: RunScope,
    message: StepMessageOf<'step'>,
    outer: AbortSignal,
  ): Promise<HandledAs> {
    let step = first;
    const retry =
      'retry' in spec ? spec.retry : { maxAttempts: 1, backoffSeconds: 0, backoffRate: 1 };
    const timeoutMs = ('timeoutSeconds' in spec ? spec.timeoutSeconds : 60) * 1000;
    for (;;) {
      try {
        const result = await this.supervisor.supervise(
          scope,
          { runId: run.id, stepId: step.id, taskToken: message.taskToken },
          timeoutMs,
          outer,
          (signal) => this.runStep({ scope, run, step, definition, runScope, signal }, spec),
        );
        return await this.finish(scope, run, step, definition, result, message);
      } catch (caught) {
        const error = this.classify(caught, spec);
        if (error === 'superseded' || error === 'shutdown')
          return error === 'shutdown' ? 'retry-later' : 'ack';
        if (error.retryable && step.attempt < retry.maxAttempts) {
          const waitMs = retry.backoffSeconds * 1000 * retry.backoffRate ** (step.attempt - 1);
          step = await this.db.inTenant(scope, async (t) => {
            await this.steps.retrying(t, step.id, step.attempt + 1, {
              code: error.code,
              message: error.message,
            });
            await this.events.append(
              t,
              run.id,
              'step.retrying',
              {
                seq: step.seq,
                stepKey: step.stepKey,
                attempt: step.attempt + 1,
                error: { code: error.code, message: error.message },
              },
              step.id,
            );
            return (await this.ledger.claim(sqlSessionOf(t), step.id, 0))!;
          });
          // Wait out the backoff in heartbeat-sized pieces, so Step Functions keeps waiting for us.
          for (let left = waitMs; left > 0; left -= this.options.heartbeatMs) {
            await this.answers.heartbeat(message.taskToken);
            await delay(Math.min(left, this.options.heartbeatMs));
          }
          continue;
        }
        await this.failures.record(scope, step, error, message.taskToken);
        return 'ack';
      }
    }
  }

  private async runStep(work: StepWork, spec: TaskStep): Promise<StepResult> {
    const { definition, runScope } = work;
    switch (spec.type) {
      case 'llm':
        return this.llm.run(work, spec);
      case 'tool':
        return this.tool.run(work, spec);
      case 'branch':
        return { output: null, plan: nextStep(definition, spec.id, { scope: runScope }) };
      case 'parallel':
        return { output: null, plan: nextStep(definition, spec.id) };
      default:
        throw new StepError(
          'unsupported_step',
          `step type "${spec.type}" cannot run here`,
          'StepFailed',
          false,
        );
    }
  }

  private async finish(
    scope: TenantScope,
    run: RunRow,
    step: StepRow,
    definition: TaskDefinition,
    result: StepResult,
    message: StepMessageOf<'step'>,
  ): Promise<HandledAs> {
    const placed = await this.outputs.place(scope.tenantId, run.id, step.seq, result.output);
    const outcome = await this.db.sqlInTenant(scope, async (s) => {
      const routed = await this.router.route(s, run, step, definition, result.plan, result.output);
      await this.ledger.succeed(s, step, {
        ...placed,
        outcome: routed.outcome,
        input: result.input,
        usage: result.usage,
      });
      // The run ends with its last step; the state machine's finalize is then only a backstop.
      if (routed.runOutput !== undefined) await this.ledger.succeedRun(s, run.id, placed);
      return routed.outcome;
    });
    await this.answers.succeed(message.taskToken, outcome);
    return 'ack';
  }

  private classify(caught: unknown, spec: TaskStep): StepError | 'superseded' | 'shutdown' {
    const reason = caught instanceof StepStopped ? caught.reason : undefined;
    if (reason === 'superseded' || reason === 'shutdown') return reason;
    if (reason === 'cancelled')
      return new StepError('cancelled', 'the run was cancelled', 'Cancelled', false);
    if (reason === 'timeout') {
      const seconds = 'timeoutSeconds' in spec ? spec.timeoutSeconds : 0;
      return new StepError(
        'step_timeout',
        `the step did not finish within ${seconds} s`,
        'StepTimeout',
        true,
      );
    }
    if (caught instanceof StepError) return caught;
    if (caught instanceof TemplateError)
      return new StepError('template_error', caught.message, 'StepFailed', false);
    const message = caught instanceof Error ? caught.message : String(caught);
    this.logger.error({ err: caught }, 'step failed unexpectedly');
    return new StepError(
      'step_error',
      message,
      'StepFailed',
      CONTROL_STEPS.includes(spec.type) ? false : true,
    );
  }
}

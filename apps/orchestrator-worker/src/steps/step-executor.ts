import { setTimeout as delay } from 'node:timers/promises';
import {
  StepOutcome,
  stepById,
  type StepMessage,
  type TaskDefinition,
  type TaskStep,
} from '@gnomon/contracts';
import {
  TenantDatabase,
  tenantScope,
  type RunRow,
  type StepRow,
  type TenantScope,
} from '@gnomon/db';
import {
  RunEventRepository,
  RunRepository,
  StepRepository,
  TaskVersionReader,
  isTerminal,
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
    private readonly runs = new RunRepository(),
    private readonly steps = new StepRepository(),
    private readonly events = new RunEventRepository(),
    private readonly tasks = new TaskVersionReader(),
  ) {
    this.router = new StepRouter(this.runs, this.steps);
    this.failures = new StepFailures(db, answers);
  }

  async handle(message: StepMessageOf<'step'>, outer: AbortSignal): Promise<HandledAs> {
    const scope = tenantScope(message.tenantId);
    const loaded = await this.db.inTenant(scope, async (t) => {
      const run = await this.runs.find(t, message.runId);
      if (!run) return null;
      await this.runs.setGeneration(t, run.id, message.generation);
      const step = await this.steps.findBySeq(t, run.id, Number(message.cursor));
      const definition = await this.tasks.definition(t, run.taskVersionId);
      return { run, step, definition };
    });
    if (!loaded?.step) {
      await this.answers.fail(
        message.taskToken,
        'StepFailed',
        `no step at cursor ${message.cursor}`,
      );
      return 'ack';
    }
    const { run, step, definition } = loaded;
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
    const spec = stepById(definition, step.stepKey);
    if (!spec) {
      await this.answers.fail(message.taskToken, 'StepFailed', `unknown step "${step.stepKey}"`);
      return 'ack';
    }
    if (spec.type === 'approval')
      return this.approvals.onStep(scope, run, step, spec, definition, message);

    const claimed = await this.db.inTenant(scope, (t) =>
      this.steps.claim(t, step.id, this.options.leaseSeconds),
    );
    if (!claimed) return 'retry-later'; // another worker holds it; its answer will come
    await this.db.inTenant(scope, async (t) => {
      const locked = await this.runs.lock(t, run.id);
      if (locked && (await this.runs.move(t, locked, 'RUNNING')))
        await this.events.append(t, run.id, 'run.started', {
          status: 'RUNNING',
          previousStatus: locked.status,
        });
      await this.events.append(
        t,
        run.id,
        'step.started',
        {
          seq: step.seq,
          stepKey: step.stepKey,
          type: step.type,
          turn: step.turn,
          attempt: step.attempt,
        },
        step.id,
      );
    });
    return this.execute(scope, run, step, spec, definition, message, outer);
  }

  /** Runs the claimed step, retrying retryable failures per its policy inside this delivery. */
  private async execute(
    scope: TenantScope,
    run: RunRow,
    first: StepRow,
    spec: TaskStep,
    definition: TaskDefinition,
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
          (signal) => this.runStep(scope, run, step, spec, definition, signal),
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
            await this.steps.claim(t, step.id, 0);
            return (await this.steps.findBySeq(t, run.id, step.seq))!;
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

  private async runStep(
    scope: TenantScope,
    run: RunRow,
    step: StepRow,
    spec: TaskStep,
    definition: TaskDefinition,
    signal: AbortSignal,
  ): Promise<StepResult> {
    const runScope = await this.runScope(scope, run);
    const work: StepWork = { scope, run, step, definition, runScope, signal };
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
    const outcome = await this.db.inTenant(scope, async (t) => {
      const routed = await this.router.route(t, run, step, definition, result.plan, result.output);
      await this.steps.succeed(t, step.id, { ...placed, outcome: routed.outcome });
      if (result.input !== undefined) await this.steps.setInput(t, step.id, result.input);
      if (routed.runOutput !== undefined)
        await this.runs.setOutput(t, run.id, placed.output, placed.outputRef);
      const finished = await this.steps.findBySeq(t, run.id, step.seq);
      await this.events.append(
        t,
        run.id,
        'step.succeeded',
        {
          seq: step.seq,
          stepKey: step.stepKey,
          type: step.type,
          turn: step.turn,
          status: 'SUCCEEDED',
          durationMs: finished?.startedAt ? Date.now() - finished.startedAt.getTime() : 0,
          inputTokens: finished?.inputTokens ?? 0,
          outputTokens: finished?.outputTokens ?? 0,
          costMicros: String(finished?.costMicros ?? 0n),
        },
        step.id,
      );
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

  private async runScope(scope: TenantScope, run: RunRow): Promise<RunScope> {
    const records = await this.db.inTenant(scope, (t) => this.steps.outputs(t, run.id));
    return { input: run.input, steps: await this.outputs.resolve(records) };
  }
}

import type { ApprovalStep, StepMessage, TaskDefinition } from '@gnomon/contracts';
import {
  TenantDatabase,
  sqlSessionOf,
  type RunRow,
  type StepRow,
  type TenantScope,
} from '@gnomon/db';
import {
  ApprovalRepository,
  RunEventRepository,
  RunRepository,
  StepLedger,
  StepRepository,
  TaskVersionReader,
} from '@gnomon/runs';
import { nextStep, renderTemplate, type ApprovalDecision } from '@gnomon/workflow';
import type { OutputStore } from './output-store';
import { StepError } from './step-errors';
import { StepFailures } from './step-failures';
import { StepRouter } from './step-routing';
import type { TokenAnswers } from './token-answers';

type StepMessageOf<K> = Extract<StepMessage, { kind: K }>;

/** The backstop above the expiry: the state machine's TimeoutSeconds for the wait. */
const TIMEOUT_MARGIN_SECONDS = 60;

interface ApprovalState {
  /** When the request expires (ISO), fixed before the state machine starts waiting. */
  deadline?: string;
}

/**
 * Approval steps. A `step` message first asks the state machine to wait (route `approval`);
 * the `approval` message brings the waiting token, which is stored with the request; after the
 * decision (or the expiry) the same cursor comes back as a `step` message and is resolved.
 */
export class ApprovalSteps {
  private readonly router: StepRouter;
  private readonly failures: StepFailures;

  constructor(
    private readonly db: TenantDatabase,
    private readonly answers: TokenAnswers,
    private readonly outputs: OutputStore,
    private readonly approvals = new ApprovalRepository(),
    private readonly runs = new RunRepository(),
    private readonly steps = new StepRepository(),
    private readonly ledger = new StepLedger(),
    private readonly events = new RunEventRepository(),
    private readonly tasks = new TaskVersionReader(),
  ) {
    this.router = new StepRouter(this.ledger);
    this.failures = new StepFailures(db, answers);
  }

  async onStep(
    scope: TenantScope,
    run: RunRow,
    step: StepRow,
    spec: ApprovalStep,
    definition: TaskDefinition,
    message: StepMessageOf<'step'>,
  ): Promise<'ack'> {
    const approval = await this.db.inTenant(scope, (t) => this.approvals.forStep(t, step.id));
    const state = (step.state ?? {}) as ApprovalState;
    const now = Date.now();
    if (!approval || (approval.status === 'PENDING' && now < approval.expiresAt.getTime())) {
      // Not requested yet (or a stale delivery while it waits): ask the state machine to wait.
      let deadline = state.deadline ? Date.parse(state.deadline) : undefined;
      if (deadline === undefined) {
        deadline = now + spec.timeoutSeconds * 1000;
        await this.db.sqlInTenant(scope, async (s) => {
          await this.ledger.claim(s, step.id, 0);
          await this.ledger.checkpoint(s, step, { deadline: new Date(deadline!).toISOString() });
        });
      }
      const heartbeatSeconds = Math.max(1, Math.ceil((deadline - now) / 1000));
      await this.answers.succeed(message.taskToken, {
        route: 'approval',
        cursor: String(step.seq),
        heartbeatSeconds,
        timeoutSeconds: heartbeatSeconds + TIMEOUT_MARGIN_SECONDS,
      });
      return 'ack';
    }
    // Decided, or past its deadline: resolve it (expiring it first if nobody decided).
    if (approval.status === 'PENDING') {
      await this.db.inTenant(scope, async (t) => {
        if (
          await this.approvals.decide(t, approval.id, 'EXPIRED', { decidedBy: null, reason: null })
        )
          await this.events.append(
            t,
            run.id,
            'approval.expired',
            { approvalId: approval.id, stepKey: step.stepKey, status: 'EXPIRED' },
            step.id,
          );
      });
    }
    // Read back: a decision may have won the race against the expiry.
    const decided = (await this.db.inTenant(scope, (t) => this.approvals.find(t, approval.id)))!;
    const decision: ApprovalDecision =
      decided.status === 'APPROVED'
        ? 'approved'
        : decided.status === 'REJECTED'
          ? 'rejected'
          : 'expired';
    const output = { decision, decidedBy: decided.decidedBy, reason: decided.reason };
    try {
      const outcome = await this.db.inTenant(scope, async (t) => {
        const locked = await this.runs.lock(t, run.id);
        if (locked && (await this.runs.move(t, locked, 'RUNNING')))
          await this.events.append(t, run.id, 'run.status_changed', {
            status: 'RUNNING',
            previousStatus: locked.status,
          });
        const s = sqlSessionOf(t);
        const routed = await this.router.route(
          s,
          run,
          step,
          definition,
          nextStep(definition, spec.id, { decision }),
          output,
        );
        await this.ledger.succeed(s, step, { output, outputRef: null, outcome: routed.outcome });
        if (routed.runOutput !== undefined)
          await this.ledger.succeedRun(s, run.id, { output: routed.runOutput, outputRef: null });
        return routed.outcome;
      });
      await this.answers.succeed(message.taskToken, outcome);
    } catch (error) {
      if (!(error instanceof StepError)) throw error;
      await this.failures.record(scope, step, error, message.taskToken);
    }
    return 'ack';
  }

  /** The `approval` message: store the waiting token with the request; the run now waits. */
  async onRequest(scope: TenantScope, message: StepMessageOf<'approval'>): Promise<'ack'> {
    await this.db.inTenant(scope, async (t) => {
      const run = await this.runs.lock(t, message.runId);
      const step = run ? await this.steps.findBySeq(t, run.id, Number(message.cursor)) : null;
      if (!run || !step) return;
      const existing = await this.approvals.forStep(t, step.id);
      if (existing && existing.status !== 'PENDING') return; // decided already: nothing to wait for
      const spec = (await this.tasks.definition(sqlSessionOf(t), run.taskVersionId)).steps.find(
        (s: { id: string }) => s.id === step.stepKey,
      );
      if (spec?.type !== 'approval') return;
      const scopeOutputs = await this.outputs.resolve(
        await this.ledger.outputs(sqlSessionOf(t), run.id),
      );
      let prompt: unknown;
      try {
        prompt = renderTemplate(spec.prompt, { input: run.input, steps: scopeOutputs });
      } catch (error) {
        // A prompt that cannot be filled must not keep the run from asking: show the template.
        prompt = `${spec.prompt}\n\n(could not fill the prompt: ${error instanceof Error ? error.message : String(error)})`;
      }
      const state = (step.state ?? {}) as ApprovalState;
      const expiresAt = state.deadline
        ? new Date(state.deadline)
        : new Date(Date.now() + message.expiresInSeconds * 1000);
      const approval = await this.approvals.open(t, {
        runId: run.id,
        stepId: step.id,
        stepKey: step.stepKey,
        prompt: typeof prompt === 'string' ? prompt : JSON.stringify(prompt),
        approverRoles: spec.approvers.roles,
        taskToken: message.taskToken,
        expiresAt,
      });
      if (!existing) {
        await this.events.append(
          t,
          run.id,
          'approval.requested',
          { approvalId: approval.id, stepKey: step.stepKey, status: 'PENDING' },
          step.id,
        );
        if (await this.runs.move(t, run, 'AWAITING_APPROVAL'))
          await this.events.append(t, run.id, 'run.status_changed', {
            status: 'AWAITING_APPROVAL',
            previousStatus: run.status,
          });
      }
    });
    return 'ack';
  }
}

import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  TaskDefinition,
  isTaskId,
  stepById,
  type CancelRunRequest,
  type ReplayRunRequest,
  type RunView,
  type StartRunRequest,
} from '@gnomon/contracts';
import { TenantDatabase, sqlSessionOf, type RunRow, type TenantTx } from '@gnomon/db';
import { ApiError, notFound, type TenantCaller } from '@gnomon/http-api';
import {
  RunEventRepository,
  RunRepository,
  StepLedger,
  StepRepository,
  isTerminal,
} from '@gnomon/runs';
import { ToolSchemaValidator } from '@gnomon/tools';
import { ExecutionDoesNotExistError, branchOf, type WorkflowEngine } from '@gnomon/workflow';
import type { Logger } from 'pino';
import { AuditTrail } from '../audit/audit-trail';
import { BudgetService } from '../budget/budget.service';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { isUniqueViolation } from '../platform/prisma-errors';
import { CONFIG, LOGGER } from '../platform/tokens';
import { RunQueryService } from './run-query.service';
import { runView } from './run-views';
import { WORKFLOW_ENGINE } from './workflow-engine.provider';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

export interface StartedRun {
  run: RunView;
  /** True when the Idempotency-Key named an existing run (nothing new was started). */
  replayed: boolean;
}

/** Starting, cancelling and replaying runs (the write side; RunQueryService reads). */
@Injectable()
export class RunCommandService {
  private readonly schemas = new ToolSchemaValidator();
  private readonly runs = new RunRepository();
  private readonly steps = new StepRepository();
  private readonly ledger = new StepLedger();
  private readonly events = new RunEventRepository();

  constructor(
    private readonly db: TenantDatabase,
    private readonly query: RunQueryService,
    private readonly budget: BudgetService,
    private readonly audit: AuditTrail,
    @Inject(WORKFLOW_ENGINE) private readonly engine: WorkflowEngine | null,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async start(
    caller: TenantCaller,
    body: StartRunRequest,
    idempotencyKey: string | undefined,
  ): Promise<StartedRun> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ApiError(
        'validation_failed',
        'Idempotency-Key must be 1–200 characters of letters, digits and . _ : -',
        {
          errors: [
            { path: 'headers.idempotency-key', message: 'letters, digits and . _ : - (max 200)' },
          ],
        },
      );
    }
    const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    let started: { created: RunRow; taskName: string } | { existing: RunRow };
    try {
      // One transaction: the idempotency lookup, the budget check and the run with its first step.
      started = await this.db.inTenant(caller.tenant, async (t) => {
        if (idempotencyKey) {
          const existing = await this.runs.findByIdempotencyKey(t, idempotencyKey);
          if (existing) return { existing };
        }
        await this.checkBudget(t, caller);
        const { task, version, definition } = await this.resolveTask(t, body.taskId, body.version);
        this.checkInput(definition, body.input);
        this.requireEngine();
        const run = await this.runs.create(t, {
          taskId: task.id,
          taskVersionId: version.id,
          taskVersion: version.version,
          input: body.input,
          idempotencyKey: idempotencyKey ?? null,
          requestHash,
          createdBy: caller.principal.id,
        });
        await this.enterStart(t, run, definition, definition.start);
        await this.events.append(t, run.id, 'run.created', {
          status: 'PENDING',
          taskVersion: version.version,
        });
        await this.audit.record(t, caller, {
          action: 'run.created',
          targetType: 'run',
          targetId: run.id,
          metadata: { taskId: task.id, taskVersion: version.version },
        });
        return { created: run, taskName: task.name };
      });
    } catch (error) {
      // Two requests with the same new key raced: the loser answers with the winner's run.
      if (idempotencyKey && isUniqueViolation(error)) {
        const existing = await this.db.inTenant(caller.tenant, (t) =>
          this.runs.findByIdempotencyKey(t, idempotencyKey),
        );
        if (existing) return this.replayed(caller, existing, requestHash);
      }
      throw error;
    }
    if ('existing' in started) return this.replayed(caller, started.existing, requestHash);
    const { created, taskName } = started;
    await this.launch(caller, this.requireEngine(), created, '1');
    return { run: runView({ ...created, task: { name: taskName } }), replayed: false };
  }

  async cancel(caller: TenantCaller, runId: string, body: CancelRunRequest): Promise<RunView> {
    const run = await this.db.inTenant(caller.tenant, async (t) => {
      const locked = await this.runs.lock(t, runId);
      if (!locked) throw notFound('Run');
      if (isTerminal(locked.status))
        throw new ApiError('conflict', `the run is already ${locked.status}`);
      const error = { code: 'cancelled', message: body.reason ?? 'cancelled through the API' };
      await this.runs.move(t, locked, 'CANCELLED', { error });
      await this.events.append(t, locked.id, 'run.cancel_requested', {
        reason: body.reason ?? null,
      });
      await this.events.append(t, locked.id, 'run.finished', {
        status: 'CANCELLED',
        previousStatus: locked.status,
        error,
      });
      await this.audit.record(t, caller, {
        action: 'run.cancelled',
        targetType: 'run',
        targetId: locked.id,
        metadata: { reason: body.reason ?? null },
      });
      return locked;
    });
    // The worker sees CANCELLED within its poll interval and aborts the call in flight;
    // stopping the execution kills its pending task tokens.
    const engine = this.engine;
    if (engine) {
      try {
        await engine.stopExecution(
          engine.executionArnFor(run.id, run.generation),
          'cancelled through the API',
        );
      } catch (error) {
        if (!(error instanceof ExecutionDoesNotExistError))
          this.logger.warn(
            { err: error, runId: run.id },
            'could not stop the execution; the worker still stops the run',
          );
      }
    }
    return this.query.get(caller.tenant, run.id);
  }

  async replay(caller: TenantCaller, runId: string, body: ReplayRunRequest): Promise<RunView> {
    const { created, cursor } = await this.db.inTenant(caller.tenant, async (t) => {
      await this.checkBudget(t, caller);
      const original = await this.runs.find(t, runId);
      if (!original) throw notFound('Run');
      if (!isTerminal(original.status))
        throw new ApiError(
          'conflict',
          `only a finished run can be replayed; this one is ${original.status}`,
        );
      const version = await t.db.taskVersion.findFirst({ where: { id: original.taskVersionId } });
      const definition = TaskDefinition.parse(version!.definition);
      const problem = replayProblem(definition, body.fromStep);
      if (!problem) this.requireEngine();
      if (problem) throw invalidFromStep(problem);
      const steps = await this.steps.listForRun(t, original.id);
      const from = steps.find((step) => step.stepKey === body.fromStep);
      if (!from) throw invalidFromStep(`step "${body.fromStep}" never ran in this run`);
      const run = await this.runs.create(t, {
        taskId: original.taskId,
        taskVersionId: original.taskVersionId,
        taskVersion: original.taskVersion,
        input: original.input,
        idempotencyKey: null,
        requestHash: null,
        createdBy: caller.principal.id,
        replayOf: original.id,
        replayFrom: body.fromStep,
      });
      // Reuse what ran before fromStep: the same rows (outputs, agent turns), marked as replayed.
      const reused = steps.filter((step) => step.seq < from.seq && step.status === 'SUCCEEDED');
      for (const step of reused) {
        await t.db.step.create({
          data: {
            tenantId: t.scope.tenantId,
            runId: run.id,
            seq: step.seq,
            stepKey: step.stepKey,
            type: step.type,
            status: 'SUCCEEDED',
            visit: step.visit,
            turn: step.turn,
            attempt: step.attempt,
            branch: step.branch,
            input: step.input ?? undefined,
            output: step.output ?? undefined,
            outputRef: step.outputRef,
            outcome: step.outcome ?? undefined,
            state: {
              ...((step.state as Record<string, unknown> | null) ?? {}),
              replayedFrom: step.id,
            },
            startedAt: step.startedAt,
            finishedAt: step.finishedAt,
          },
        });
      }
      await t.db.run.update({ where: { id: run.id }, data: { nextSeq: from.seq } });
      const seq = await this.enterStart(t, run, definition, body.fromStep);
      await this.events.append(t, run.id, 'run.created', {
        status: 'PENDING',
        taskVersion: run.taskVersion,
        replayOf: original.id,
        replayFrom: body.fromStep,
        reusedSteps: reused.length,
      });
      await this.audit.record(t, caller, {
        action: 'run.replayed',
        targetType: 'run',
        targetId: run.id,
        metadata: { replayOf: original.id, fromStep: body.fromStep },
      });
      return { created: run, cursor: String(seq) };
    });
    await this.launch(caller, this.requireEngine(), created, cursor);
    return this.query.get(caller.tenant, created.id);
  }

  /** The first step row of a run (its first cursor). */
  private async enterStart(
    t: TenantTx,
    run: RunRow,
    definition: TaskDefinition,
    stepKey: string,
  ): Promise<number> {
    const step = stepById(definition, stepKey)!;
    const { seq } = await this.ledger.enter(sqlSessionOf(t), {
      runId: run.id,
      stepKey,
      type: step.type,
    });
    return seq;
  }

  private async launch(
    caller: TenantCaller,
    engine: WorkflowEngine,
    run: RunRow,
    cursor: string,
  ): Promise<void> {
    try {
      await engine.startExecution({
        tenantId: caller.tenant.tenantId,
        runId: run.id,
        cursor,
        generation: 0,
        steps: 0,
        stepsPerExecution: this.config.env.GNOMON_RUN_STEPS_PER_EXECUTION,
      });
    } catch (error) {
      this.logger.error({ err: error, runId: run.id }, 'could not start the run execution');
      await this.db.inTenant(caller.tenant, async (t) => {
        const locked = await this.runs.lock(t, run.id);
        const failure = {
          code: 'engine_unavailable',
          message: 'the workflow engine did not accept the run',
        };
        if (locked && (await this.runs.move(t, locked, 'FAILED', { error: failure })))
          await this.events.append(t, run.id, 'run.finished', {
            status: 'FAILED',
            previousStatus: locked.status,
            error: failure,
          });
      });
      throw new ApiError(
        'service_unavailable',
        `the workflow engine is unavailable; run ${run.id} was marked FAILED`,
      );
    }
  }

  private async replayed(
    caller: TenantCaller,
    run: RunRow,
    requestHash: string,
  ): Promise<StartedRun> {
    if (run.requestHash !== requestHash)
      throw new ApiError(
        'idempotency_conflict',
        'this Idempotency-Key was used for a different request',
      );
    return { run: await this.query.get(caller.tenant, run.id), replayed: true };
  }

  private async checkBudget(t: TenantTx, caller: TenantCaller): Promise<void> {
    const { policies } = await this.budget.readIn(t);
    const exhausted = policies.find((p) =>
      p.scope === 'tenant' || p.apiKeyId === caller.principal.id
        ? BigInt(p.spentMicros) >= BigInt(p.limitMicros)
        : false,
    );
    if (exhausted)
      throw new ApiError(
        'budget_exceeded',
        `the ${exhausted.period.toLowerCase()} budget is exhausted (${exhausted.spentMicros} of ${exhausted.limitMicros} micro-USD spent)`,
      );
  }

  private async resolveTask(t: TenantTx, ref: string, pinned: number | undefined) {
    const task = await t.db.task.findFirst({ where: isTaskId(ref) ? { id: ref } : { name: ref } });
    if (!task) throw notFound('Task');
    const version = await t.db.taskVersion.findFirst({
      where: { taskId: task.id, version: pinned ?? task.currentVersion },
    });
    if (!version) throw notFound('Task version');
    return { task, version, definition: TaskDefinition.parse(version.definition) };
  }

  private checkInput(definition: TaskDefinition, input: unknown): void {
    if (!definition.inputSchema) return;
    const check = this.schemas.check(definition.inputSchema, input, 'body.input');
    if (!check.ok)
      throw new ApiError('validation_failed', 'the input does not match the task input schema', {
        errors: check.violations.map((v) => ({ path: v.path, message: v.message })),
      });
  }

  private requireEngine(): WorkflowEngine {
    if (!this.engine)
      throw new ApiError(
        'service_unavailable',
        'no workflow engine is configured (GNOMON_STATE_MACHINE_ARN)',
      );
    return this.engine;
  }
}

function replayProblem(definition: TaskDefinition, fromStep: string): string | null {
  const step = stepById(definition, fromStep);
  if (!step) return `the task has no step "${fromStep}"`;
  if (branchOf(definition, fromStep))
    return `step "${fromStep}" is inside a parallel branch; replay from the parallel step`;
  return null;
}

function invalidFromStep(message: string): ApiError {
  return new ApiError('validation_failed', message, {
    errors: [{ path: 'body.fromStep', message }],
  });
}

import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  resolveToolLimits,
  type ToolExecutionRequest,
  type ToolExecutionResult,
  type ToolExecutionStatus,
} from '@gnomon/contracts';
import type { Logger } from '@gnomon/observability';
import { describeViolations, ToolSchemaError, ToolSchemaValidator } from '@gnomon/tools';
import { ArtifactStore, type ScratchFile } from '../artifacts/artifact-store';
import { LOGGER } from '../platform/tokens';
import { ToolRuntimeError } from '../platform/tool-runtime-error';
import { SandboxRunner } from '../sandbox';
import { AdmissionRefused, ExecutionAdmission } from './execution-admission';
import { ExecutionMetrics } from './execution-metrics';
import { HttpToolExecutor } from './http-tool.executor';

interface Outcome {
  status: ToolExecutionStatus;
  output: unknown;
  error: { message: string; path?: string } | null;
  stdout: string;
  stderr: string;
  files: readonly ScratchFile[];
  dispose(): Promise<void>;
}

/**
 * One execution: check the input against the tool's schema, wait for a sandbox slot, run the
 * tool (a sandbox for code, the egress client for `http`), check the output, upload the
 * scratch files, and always clean up.
 */
@Injectable()
export class ExecutionService {
  constructor(
    private readonly admission: ExecutionAdmission,
    private readonly sandbox: SandboxRunner,
    private readonly httpTools: HttpToolExecutor,
    private readonly artifacts: ArtifactStore,
    private readonly schemas: ToolSchemaValidator,
    private readonly metrics: ExecutionMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async execute(request: ToolExecutionRequest, signal?: AbortSignal): Promise<ToolExecutionResult> {
    const executionId = randomUUID();
    const started = performance.now();
    const { tenantId, runId, stepId, tool } = request;
    const log = this.logger.child({ tenantId, runId, stepId, executionId, toolKind: tool.kind });
    const limits = resolveToolLimits(request.limits);

    let outcome: Outcome;
    const inputProblem = this.checkSchema(tool.inputSchema, request.input, 'input');
    if (inputProblem) {
      outcome = settled('FAILED', inputProblem);
    } else {
      const release = await this.admission.acquire(tenantId, signal).catch((error: unknown) => {
        if (error instanceof AdmissionRefused) {
          this.metrics.refused.inc();
          throw new ToolRuntimeError('too_many_executions', error.message, {
            retryAfterSeconds: error.retryAfterSeconds,
          });
        }
        throw error;
      });
      try {
        outcome = await this.run(request, limits);
      } finally {
        release();
      }
    }

    try {
      if (outcome.status === 'SUCCEEDED') {
        const outputProblem = this.checkSchema(tool.outputSchema, outcome.output, 'output');
        if (outputProblem)
          outcome = { ...outcome, status: 'FAILED', output: null, error: outputProblem };
      }
      const artifacts =
        outcome.files.length > 0 && (outcome.status === 'SUCCEEDED' || outcome.status === 'FAILED')
          ? await this.artifacts.upload({ tenantId, runId, stepId, executionId }, outcome.files)
          : [];
      const durationMs = Math.round(performance.now() - started);
      this.metrics.observe(tool.kind, outcome.status, durationMs);
      log.info(
        {
          status: outcome.status,
          durationMs,
          artifacts: artifacts.length,
          error: outcome.error?.message,
        },
        'tool execution finished',
      );
      return {
        executionId,
        status: outcome.status,
        output:
          outcome.status === 'SUCCEEDED' ? (outcome.output as ToolExecutionResult['output']) : null,
        error: outcome.error,
        stdout: outcome.stdout,
        stderr: outcome.stderr,
        durationMs,
        artifacts,
      };
    } finally {
      await outcome.dispose();
    }
  }

  private async run(
    request: ToolExecutionRequest,
    limits: ReturnType<typeof resolveToolLimits>,
  ): Promise<Outcome> {
    const { tool } = request;
    if (tool.kind === 'http') {
      const result = await this.httpTools.execute(
        tool.request,
        tool.allowNet,
        request.input,
        limits,
      );
      return { ...settled(result.status, result.error), output: result.output };
    }
    return this.sandbox.run({
      kind: tool.kind,
      source: tool.source,
      input: request.input,
      allowNet: tool.allowNet,
      limits,
      context: { tenantId: request.tenantId, runId: request.runId, stepId: request.stepId },
    });
  }

  private checkSchema(
    schema: Record<string, unknown> | null | undefined,
    value: unknown,
    root: 'input' | 'output',
  ): { message: string; path?: string } | null {
    if (!schema) return null;
    try {
      const check = this.schemas.check(schema, value, root);
      if (check.ok) return null;
      return {
        message: `the ${root} does not match the tool's ${root} schema: ${describeViolations(check.violations)}`,
        path: check.violations[0]?.path,
      };
    } catch (error) {
      if (error instanceof ToolSchemaError)
        return { message: `the tool's ${root} schema is ${error.message}` };
      throw error;
    }
  }
}

function settled(status: ToolExecutionStatus, error: Outcome['error']): Outcome {
  return {
    status,
    output: null,
    error,
    stdout: '',
    stderr: '',
    files: [],
    dispose: async () => {},
  };
}

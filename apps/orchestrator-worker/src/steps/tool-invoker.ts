import type { ToolExecutionResult } from '@gnomon/contracts';
import { TenantDatabase, type RunRow, type StepRow, type TenantScope } from '@gnomon/db';
import { RunEventRepository, ToolCatalog, ToolEventRepository } from '@gnomon/runs';
import type { ToolRuntimeClient } from '../clients/tool-runtime.client';
import { StepError } from './step-errors';

export interface ToolCall {
  name: string;
  version?: number;
  input: unknown;
  /** Unique within the step: the model's tool call id, or the tool step's own key. */
  callKey: string;
}

export type ToolCallResult = Pick<ToolExecutionResult, 'status' | 'output' | 'error'>;

/**
 * Runs a tool for a step through the tool runtime and records the call (tool_events). A call
 * already recorded for this step is not run again: a redelivered step reuses its result.
 */
export class ToolInvoker {
  constructor(
    private readonly db: TenantDatabase,
    private readonly runtime: ToolRuntimeClient,
    private readonly catalog = new ToolCatalog(),
    private readonly toolEvents = new ToolEventRepository(),
    private readonly events = new RunEventRepository(),
  ) {}

  async invoke(
    scope: TenantScope,
    run: RunRow,
    step: StepRow,
    call: ToolCall,
    signal: AbortSignal,
  ): Promise<ToolCallResult> {
    const { recorded, tool } = await this.db.inTenant(scope, async (t) => ({
      recorded: await this.toolEvents.find(t, step.id, call.callKey),
      tool: await this.catalog.find(t, call.name, call.version),
    }));
    if (recorded) {
      return {
        status: recorded.status as ToolCallResult['status'],
        output: recorded.output as ToolCallResult['output'],
        error: recorded.error as ToolCallResult['error'],
      };
    }
    if (!tool) {
      const version = call.version ? ` version ${call.version}` : '';
      throw new StepError(
        'unknown_tool',
        `tool "${call.name}"${version} does not exist`,
        'ToolFailed',
        false,
      );
    }
    const result = await this.runtime.execute(
      {
        tenantId: scope.tenantId,
        runId: run.id,
        stepId: step.id,
        tool: tool.tool,
        input: (call.input ?? null) as never,
        limits: tool.limits,
      },
      signal,
    );
    await this.db.inTenant(scope, async (t) => {
      await this.toolEvents.record(t, {
        runId: run.id,
        stepId: step.id,
        callKey: call.callKey,
        toolName: tool.name,
        toolVersion: tool.version,
        executionId: result.executionId,
        status: result.status,
        input: call.input,
        output: result.output,
        error: result.error,
        durationMs: result.durationMs,
      });
      await this.events.append(
        t,
        run.id,
        'tool.called',
        {
          seq: step.seq,
          stepKey: step.stepKey,
          tool: tool.name,
          version: tool.version,
          status: result.status,
          durationMs: result.durationMs,
        },
        step.id,
      );
    });
    return { status: result.status, output: result.output, error: result.error };
  }
}

import type { ToolStep } from '@gnomon/contracts';
import { nextStep, renderValue } from '@gnomon/workflow';
import { StepError } from './step-errors';
import type { ToolInvoker } from './tool-invoker';
import type { StepResult, StepWork } from './step-work';

/** A `tool` step: its input rendered from the run, one execution in the tool runtime. */
export class ToolStepRunner {
  constructor(private readonly tools: ToolInvoker) {}

  async run(work: StepWork, tool: ToolStep): Promise<StepResult> {
    const input = renderValue(tool.input, work.runScope);
    const result = await this.tools.invoke(
      work.scope,
      work.run,
      work.step,
      // One call per attempt: a retry runs the tool again, a redelivery reuses the recorded call.
      { name: tool.tool, version: tool.version, input, callKey: `attempt-${work.step.attempt}` },
      work.signal,
    );
    if (result.status !== 'SUCCEEDED') {
      throw new StepError(
        `tool_${result.status.toLowerCase()}`,
        `tool "${tool.tool}" ended ${result.status}: ${result.error?.message ?? 'no detail'}`,
        'ToolFailed',
        result.status === 'TIMEOUT' || result.status === 'FAILED',
      );
    }
    return { output: result.output, input, plan: nextStep(work.definition, work.step.stepKey) };
  }
}

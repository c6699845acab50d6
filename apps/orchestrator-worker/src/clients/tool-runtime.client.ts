import { ToolExecutionResult, type ToolExecutionRequest } from '@gnomon/contracts';
import { StepError } from '../steps/step-errors';

/** Tool executions through the tool runtime's internal API (service credential). */
export class ToolRuntimeClient {
  constructor(
    private readonly baseUrl: string,
    private readonly serviceToken: string,
  ) {}

  async execute(request: ToolExecutionRequest, signal: AbortSignal): Promise<ToolExecutionResult> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl.replace(/\/$/, '')}/v1/executions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.serviceToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(request),
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      const message = error instanceof Error ? error.message : String(error);
      throw new StepError(
        'tool_runtime_unreachable',
        `tool runtime: ${message}`,
        'ToolFailed',
        true,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      let detail = text.slice(0, 500);
      try {
        detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
      } catch {
        // not problem+json; keep the text
      }
      const retryable = response.status === 429 || response.status >= 500;
      throw new StepError(
        `tool_runtime_${response.status}`,
        `tool runtime refused the execution (${response.status}): ${detail}`,
        'ToolFailed',
        retryable,
      );
    }
    return ToolExecutionResult.parse(JSON.parse(text));
  }
}

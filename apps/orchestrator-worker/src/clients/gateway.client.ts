import OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from 'openai/resources/chat/completions';
import { StepError } from '../steps/step-errors';

export interface ModelCallContext {
  tenantId: string;
  runId: string;
  stepId: string;
  /** Same key for every delivery of the same step attempt: the gateway bills it once. */
  idempotencyKey: string;
  signal: AbortSignal;
}

export interface ModelCallResult {
  completion: ChatCompletion;
  costMicros: bigint;
  durationMs: number;
}

/**
 * Model turns through the LLM gateway, with the official OpenAI SDK (the gateway is
 * OpenAI-compatible): the service credential plus the tenant and run attribution headers, so
 * the gateway applies the tenant's budget, limits and routes. SDK retries are off; the
 * step's retry policy decides.
 */
export class GatewayClient {
  private readonly client: OpenAI;

  constructor(baseUrl: string, serviceToken: string) {
    this.client = new OpenAI({
      apiKey: serviceToken,
      baseURL: `${baseUrl.replace(/\/$/, '')}/v1`,
      maxRetries: 0,
      timeout: 3_600_000,
    });
  }

  async complete(
    request: ChatCompletionCreateParamsNonStreaming,
    context: ModelCallContext,
  ): Promise<ModelCallResult> {
    const started = performance.now();
    try {
      const { data, response } = await this.client.chat.completions
        .create(request, {
          headers: {
            'X-Gnomon-Tenant': context.tenantId,
            'X-Gnomon-Run-Id': context.runId,
            'X-Gnomon-Step-Id': context.stepId,
            'Idempotency-Key': context.idempotencyKey,
          },
          signal: context.signal,
        })
        .withResponse();
      const cost = response.headers.get('x-gnomon-cost-micros');
      return {
        completion: data,
        costMicros: cost && /^\d+$/.test(cost) ? BigInt(cost) : 0n,
        durationMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      throw modelError(error, context.signal);
    }
  }
}

/** The gateway's answer as a step failure (aborts are rethrown for the caller to classify). */
function modelError(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason ?? error;
  if (error instanceof OpenAI.APIError) {
    const code = typeof error.code === 'string' ? error.code : `http_${error.status ?? 'error'}`;
    const message = `model call failed: ${error.message}`;
    if (error.status === 402 || code === 'budget_exceeded')
      return new StepError('budget_exceeded', message, 'BudgetExceeded', false);
    const retryable = error.status === undefined || error.status === 429 || error.status >= 500;
    return new StepError(code, message, 'ModelFailed', retryable);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new StepError('model_unreachable', `model call failed: ${message}`, 'ModelFailed', true);
}

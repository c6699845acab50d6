import type { Usage } from '@gnomon/contracts';
import { costOf, type RouteTarget } from '@gnomon/llm';

/** Usage and cost of a finished call, as billed. */
export function billedUsage(target: RouteTarget, usage: Usage) {
  const cachedTokens = usage.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    cachedTokens,
    costMicros: costOf(target.entry, { ...usage, cached_tokens: cachedTokens }),
  };
}

export function responseHeaders(
  requestId: string,
  target: RouteTarget,
  costMicros: number,
): Record<string, string> {
  return {
    'x-request-id': requestId,
    'x-gnomon-provider': target.provider,
    'x-gnomon-model': `${target.provider}/${target.model}`,
    'x-gnomon-cost-micros': String(costMicros),
    ...(target.provider === 'simulated' ? { 'x-gnomon-simulated': 'true' } : {}),
  };
}

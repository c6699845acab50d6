import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '@gnomon/contracts';

/** The families of wire formats Gnomon speaks upstream. */
export type ProviderKind = 'openai' | 'anthropic' | 'gemini' | 'simulated';

/**
 * A request as handed to one provider: the client's OpenAI-format request with `model` already
 * resolved to that provider's model id, and a concrete output bound.
 */
export interface ProviderRequest extends ChatCompletionRequest {
  model: string;
  /** Resolved output token bound (max_completion_tokens ?? max_tokens ?? catalog default). */
  max_completion_tokens: number;
}

export interface CallOptions {
  /** Aborts the upstream call (client disconnect, deadline). */
  signal: AbortSignal;
}

/**
 * One upstream provider behind an official SDK. Adapters translate both ways so the rest of
 * the gateway only ever sees OpenAI-format requests, completions and chunks. Failures are
 * thrown as ProviderError so retry, failover and breakers can classify them.
 */
export interface ProviderAdapter {
  /** Configured name, e.g. `openai`, `anthropic`, `gemini`, `simulated`, or a custom name. */
  readonly name: string;
  readonly kind: ProviderKind;
  /** Non-streaming call; the result always carries usage. */
  complete(request: ProviderRequest, options: CallOptions): Promise<ChatCompletion>;
  /**
   * Streaming call. Yields OpenAI-format chunks; the last chunk carries `usage` (adapters always
   * ask the provider for usage). Text and tool-call argument deltas are passed through as they
   * arrive.
   */
  stream(request: ProviderRequest, options: CallOptions): AsyncIterable<ChatCompletionChunk>;
}

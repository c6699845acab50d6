import type Anthropic from '@anthropic-ai/sdk';
import type * as AnthropicModule from '@anthropic-ai/sdk';
import type { APIError } from '@anthropic-ai/sdk';
import type { ChatCompletion, ChatCompletionChunk } from '@gnomon/contracts';
import type {
  CallOptions,
  ProviderAdapter,
  ProviderKind,
  ProviderRequest,
} from '../provider-adapter';
import { ProviderError, type ProviderFault } from '../provider-error';
import {
  fromAnthropicMessage,
  nowSeconds,
  toAnthropicParams,
  toFinishReason,
  toUsage,
  type AnthropicUsageCounts,
} from './anthropic-format';
import { lazySdk } from './lazy-sdk';
import { makeChunk, makeUsageChunk, retryAfterMsFrom, type ChunkFrame } from './openai-format';

const sdk = lazySdk<typeof AnthropicModule>('@anthropic-ai/sdk');

export interface AnthropicAdapterOptions {
  /** Configured provider name; defaults to `anthropic`. */
  name?: string;
  apiKey: string;
  /** Defaults to the SDK's (`ANTHROPIC_BASE_URL` or https://api.anthropic.com). */
  baseURL?: string;
  /** Time to response headers, and the longest silence allowed between stream events. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 600_000;

/** Fault of an `event: error` inside a 200 stream, by the Anthropic error type. */
const STREAM_ERROR_FAULTS: Record<string, ProviderFault> = {
  rate_limit_error: 'rate_limited',
  overloaded_error: 'server',
  api_error: 'server',
  timeout_error: 'timeout',
  invalid_request_error: 'bad_request',
  request_too_large: 'bad_request',
  not_found_error: 'bad_request',
  authentication_error: 'auth',
  permission_error: 'auth',
  billing_error: 'auth',
};

/**
 * Anthropic's Messages API over the official SDK, translated to and from the OpenAI format
 * (see anthropic-format.ts). The SDK never retries: the gateway owns retries and failover, so
 * every failure surfaces at once as a classified ProviderError.
 */
export class AnthropicAdapter implements ProviderAdapter {
  readonly kind: ProviderKind = 'anthropic';
  readonly name: string;
  private readonly client: Anthropic;
  private readonly timeoutMs: number;

  constructor(options: AnthropicAdapterOptions) {
    this.name = options.name ?? 'anthropic';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.client = new (sdk().default)({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      // An explicit timeout also stops the SDK refusing large non-streaming max_tokens.
      timeout: this.timeoutMs,
      maxRetries: 0,
      // Failures are reported as ProviderErrors (with their cause), not logged by the SDK.
      logLevel: 'off',
    });
  }

  async complete(request: ProviderRequest, options: CallOptions): Promise<ChatCompletion> {
    const params = toAnthropicParams(this.name, request);
    let message: Anthropic.Message;
    try {
      message = await this.client.messages.create(
        { ...params, stream: false },
        { signal: options.signal },
      );
    } catch (error) {
      throw this.toProviderError(error, options.signal);
    }
    return fromAnthropicMessage(this.name, message, request);
  }

  async *stream(
    request: ProviderRequest,
    options: CallOptions,
  ): AsyncGenerator<ChatCompletionChunk> {
    const { signal } = options;
    const params = toAnthropicParams(this.name, request);
    // The SDK's timeout only covers the wait for headers; an idle timer covers the body.
    const controller = new AbortController();
    const forwardAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', forwardAbort, { once: true });
    if (signal.aborted) forwardAbort();
    let idleTimedOut = false;
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdleTimer = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        idleTimedOut = true;
        controller.abort();
      }, this.timeoutMs);
    };

    const translator = new AnthropicStreamTranslator(this.name, request);
    try {
      const upstream = await this.client.messages.create(
        { ...params, stream: true },
        { signal: controller.signal },
      );
      armIdleTimer();
      for await (const event of upstream) {
        // The timer measures the provider's silence, not the time our consumer takes.
        clearTimeout(idleTimer);
        for (const chunk of translator.translate(event)) yield chunk;
        if (translator.isComplete) break;
        armIdleTimer();
      }
    } catch (error) {
      throw this.toProviderError(error, signal, idleTimedOut);
    } finally {
      clearTimeout(idleTimer);
      signal.removeEventListener('abort', forwardAbort);
      // Releases the connection when the consumer stops early (no-op once complete).
      if (!translator.isComplete) controller.abort();
    }
    if (translator.isComplete) return;
    // The SDK ends the iteration quietly when its request is aborted.
    if (signal.aborted) throw this.aborted(signal.reason);
    if (idleTimedOut) {
      throw new ProviderError(this.name, 'timeout', `no stream data for ${this.timeoutMs} ms`);
    }
    const missing = translator.hasStarted ? 'message_stop' : 'message_start';
    throw new ProviderError(this.name, 'connection', `stream ended before ${missing}`);
  }

  private aborted(cause: unknown): ProviderError {
    return new ProviderError(this.name, 'aborted', 'request aborted by the caller', { cause });
  }

  /** Classifies any failure of an SDK call into a ProviderError. */
  private toProviderError(
    error: unknown,
    signal: AbortSignal,
    idleTimedOut = false,
  ): ProviderError {
    if (error instanceof ProviderError) return error;
    if (idleTimedOut) {
      return new ProviderError(this.name, 'timeout', `no stream data for ${this.timeoutMs} ms`, {
        cause: error,
      });
    }
    if (signal.aborted || error instanceof sdk().APIUserAbortError) return this.aborted(error);
    if (error instanceof sdk().APIConnectionTimeoutError) {
      return new ProviderError(this.name, 'timeout', `no response within ${this.timeoutMs} ms`, {
        cause: error,
      });
    }
    if (error instanceof sdk().APIConnectionError) {
      return new ProviderError(this.name, 'connection', error.message, { cause: error });
    }
    if (error instanceof sdk().APIError) return this.fromApiError(error as APIError);
    const message = error instanceof Error ? error.message : String(error);
    // By name: fetch's JSON errors may come from another realm (e.g. under jest).
    if (errorName(error) === 'SyntaxError') {
      return new ProviderError(this.name, 'malformed', `invalid JSON: ${message}`, {
        cause: error,
      });
    }
    // Network failures while reading a body (undici's `TypeError: terminated`, resets...).
    return new ProviderError(this.name, 'connection', message, { cause: error });
  }

  private fromApiError(error: APIError): ProviderError {
    const status = typeof error.status === 'number' ? error.status : undefined;
    const type = error.type ?? undefined;
    const requestId = error.requestID ? ` (request-id ${error.requestID})` : '';
    if (status === undefined) {
      // An `event: error` inside a 200 stream, e.g. overloaded_error mid-answer.
      const fault = (type && STREAM_ERROR_FAULTS[type]) || 'server';
      return new ProviderError(this.name, fault, `stream error ${type ?? ''}: ${error.message}`, {
        cause: error,
      });
    }
    const message = `HTTP ${status}${requestId}: ${error.apiMessage ?? error.message}`;
    const retryAfterMs = retryAfterMsFrom(error.headers);
    const details = {
      status,
      cause: error,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
    return new ProviderError(this.name, faultOfStatus(status), message, details);
  }
}

/** 529 (overloaded) and every 5xx are server faults; 408 a timeout; 401/402/403 our credential. */
function faultOfStatus(status: number): ProviderFault {
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500 || status === 409) return 'server';
  if (status === 401 || status === 402 || status === 403) return 'auth';
  return 'bad_request';
}

function errorName(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { name?: unknown }).name
    : undefined;
}

/**
 * Turns the raw stream events of one Message into OpenAI chunks: a role chunk at
 * `message_start`, text and tool-call argument deltas as they come (each tool_use block gets the
 * next tool-call index, with its id and name on its first delta), then at `message_stop` a
 * finish chunk and a usage chunk (no choices), as OpenAI sends with `include_usage`.
 */
class AnthropicStreamTranslator {
  private readonly frame: ChunkFrame;
  private readonly toolIndexByBlock = new Map<number, number>();
  private readonly argumentsSent = new Set<number>();
  private readonly counts: AnthropicUsageCounts = {};
  private stopReason: string | null = null;
  private started = false;
  private stopped = false;
  /** Streamed text and arguments, for estimating usage should none come. */
  private completionText = '';

  constructor(
    private readonly provider: string,
    private readonly request: ProviderRequest,
  ) {
    this.frame = { id: '', created: nowSeconds(), model: request.model };
  }

  get hasStarted(): boolean {
    return this.started;
  }

  /** Whether `message_stop` arrived (the answer is complete, usage included). */
  get isComplete(): boolean {
    return this.stopped;
  }

  translate(event: Anthropic.RawMessageStreamEvent): ChatCompletionChunk[] {
    if (event.type !== 'message_start' && !this.started) {
      throw this.malformed(`${String(event.type)} before message_start`, event);
    }
    switch (event.type) {
      case 'message_start': {
        this.started = true;
        this.frame.id = event.message.id;
        if (event.message.model) this.frame.model = event.message.model;
        this.addCounts(event.message.usage);
        return [makeChunk(this.frame, { role: 'assistant', content: '' })];
      }
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text') {
          return block.text ? [makeChunk(this.frame, { content: block.text })] : [];
        }
        if (block.type !== 'tool_use') return []; // thinking and server-tool blocks
        const index = this.toolIndexByBlock.size;
        this.toolIndexByBlock.set(event.index, index);
        const delta = { index, id: block.id, type: 'function' as const };
        return [
          makeChunk(this.frame, {
            tool_calls: [{ ...delta, function: { name: block.name, arguments: '' } }],
          }),
        ];
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta.type === 'text_delta') {
          this.completionText += delta.text;
          return delta.text ? [makeChunk(this.frame, { content: delta.text })] : [];
        }
        if (delta.type !== 'input_json_delta') return [];
        const index = this.toolIndexByBlock.get(event.index);
        if (index === undefined) throw this.malformed('input_json_delta outside a tool_use', event);
        if (!delta.partial_json) return [];
        this.completionText += delta.partial_json;
        this.argumentsSent.add(index);
        return [argumentsChunk(this.frame, index, delta.partial_json)];
      }
      case 'content_block_stop': {
        const index = this.toolIndexByBlock.get(event.index);
        // A tool called without arguments streams no JSON at all; OpenAI clients expect `{}`.
        if (index === undefined || this.argumentsSent.has(index)) return [];
        this.argumentsSent.add(index);
        return [argumentsChunk(this.frame, index, '{}')];
      }
      case 'message_delta': {
        if (event.delta?.stop_reason) this.stopReason = event.delta.stop_reason;
        this.addCounts(event.usage);
        return [];
      }
      case 'message_stop': {
        this.stopped = true;
        return [
          makeChunk(this.frame, {}, toFinishReason(this.stopReason)),
          makeUsageChunk(this.frame, toUsage(this.counts, this.request, this.completionText)),
        ];
      }
      default:
        return [];
    }
  }

  /** Later counts win (message_delta usage is cumulative); null fields keep the earlier ones. */
  private addCounts(counts: AnthropicUsageCounts | null | undefined): void {
    if (!counts) return;
    for (const key of [
      'input_tokens',
      'output_tokens',
      'cache_read_input_tokens',
      'cache_creation_input_tokens',
    ] as const) {
      const value = counts[key];
      if (typeof value === 'number') this.counts[key] = value;
    }
  }

  private malformed(message: string, event: unknown): ProviderError {
    return new ProviderError(this.provider, 'malformed', `stream: ${message}`, { cause: event });
  }
}

function argumentsChunk(frame: ChunkFrame, index: number, text: string): ChatCompletionChunk {
  return makeChunk(frame, { tool_calls: [{ index, function: { arguments: text } }] });
}

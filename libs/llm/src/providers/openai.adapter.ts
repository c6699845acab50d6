import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  ContentPart,
  Usage,
} from '@gnomon/contracts';
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from 'openai';
import type {
  CallOptions,
  ProviderAdapter,
  ProviderKind,
  ProviderRequest,
} from '../provider-adapter';
import { ProviderError } from '../provider-error';
import { createNodeHttpFetch } from './node-http-fetch';
import {
  approxPromptTokens,
  makeUsage,
  makeUsageChunk,
  now,
  readChunk,
  readCompletion,
  retryAfterMsFrom,
  type HeaderReader,
} from './openai-format';

export interface OpenAiAdapterOptions {
  /** Configured provider name (`openai`, or a custom name for an OpenAI-compatible server). */
  name: string;
  apiKey: string;
  /** Defaults to the SDK's (`OPENAI_BASE_URL` or https://api.openai.com/v1). */
  baseURL?: string;
  /** Time to response headers, and the longest silence allowed between stream chunks. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 600_000;

type SdkParams = Omit<OpenAI.ChatCompletionCreateParamsNonStreaming, 'stream'>;

/**
 * OpenAI (and any OpenAI-compatible server) over the official SDK. The SDK never retries: the
 * gateway owns retries and failover, so every failure surfaces at once as a ProviderError.
 */
export class OpenAiAdapter implements ProviderAdapter {
  readonly kind: ProviderKind = 'openai';
  readonly name: string;
  private readonly client: OpenAI;
  private readonly timeoutMs: number;

  constructor(options: OpenAiAdapterOptions) {
    this.name = options.name;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      // Our own deadline (which also covers stream bodies) fires first; this is a backstop.
      timeout: this.timeoutMs + 1_000,
      maxRetries: 0,
      // Failures are reported as ProviderErrors (with their cause), not logged by the SDK.
      logLevel: 'off',
      // The SDK's documented `fetch` option: node:http keep-alive instead of undici's WHATWG
      // fetch, a sixth of the gateway's CPU per call (docs/benchmarks.md).
      fetch: createNodeHttpFetch() as unknown as typeof fetch,
    });
  }

  async complete(request: ProviderRequest, options: CallOptions): Promise<ChatCompletion> {
    const params = this.toParams(request);
    const deadline = new Deadline(options.signal, this.timeoutMs);
    let response: unknown;
    try {
      response = await this.client.chat.completions.create(
        { ...params, stream: false },
        { signal: deadline.signal },
      );
    } catch (error) {
      throw this.toProviderError(error, options.signal, deadline.timedOut);
    } finally {
      deadline.dispose();
    }
    return readCompletion(this.name, response, request);
  }

  async *stream(
    request: ProviderRequest,
    options: CallOptions,
  ): AsyncGenerator<ChatCompletionChunk> {
    const { signal } = options;
    const params = this.toParams(request);
    // Re-armed by every chunk: a stream that goes silent for timeoutMs times out.
    const deadline = new Deadline(signal, this.timeoutMs);
    let finished = false;
    let usage: Usage | undefined;
    let completionChars = 0;
    let last: ChatCompletionChunk | undefined;
    try {
      const upstream = await this.client.chat.completions.create(
        { ...params, stream: true, stream_options: { include_usage: true } },
        { signal: deadline.signal },
      );
      deadline.arm();
      for await (const raw of upstream) {
        // Paused while the consumer holds the chunk: only upstream silence counts.
        deadline.pause();
        const chunk = readChunk(this.name, raw, request);
        if (chunk.usage) usage = chunk.usage;
        for (const choice of chunk.choices) {
          if (choice.finish_reason) finished = true;
          completionChars += (choice.delta.content ?? '').length;
          for (const call of choice.delta.tool_calls ?? []) {
            completionChars += (call.function?.name ?? '').length;
            completionChars += (call.function?.arguments ?? '').length;
          }
        }
        if (chunk.choices.length === 0 && !chunk.usage) {
          deadline.arm();
          continue;
        }
        last = chunk;
        yield chunk;
        deadline.arm();
      }
    } catch (error) {
      // A cut after the finish and the usage only lost `[DONE]`: the answer is complete.
      if (!(finished && usage && !signal.aborted && isNetworkError(error))) {
        throw this.toProviderError(error, signal, deadline.timedOut);
      }
    } finally {
      deadline.dispose();
    }
    // The SDK ends the iteration quietly when its request is aborted.
    if (signal.aborted && !(finished && usage)) throw this.aborted(signal.reason);
    if (deadline.timedOut && !(finished && usage)) throw this.timeout(undefined);
    if (!finished) {
      throw new ProviderError(this.name, 'connection', 'stream ended before a finish_reason');
    }
    if (!usage) {
      // Some OpenAI-compatible servers ignore stream_options: estimate rather than bill nothing.
      const frame = {
        id: last?.id ?? '',
        created: last?.created ?? now(),
        model: last?.model ?? request.model,
      };
      yield makeUsageChunk(
        frame,
        makeUsage(approxPromptTokens(request), Math.ceil(completionChars / 4)),
      );
    }
  }

  /** The OpenAI request body: known OpenAI fields only, `max_completion_tokens` as the bound. */
  private toParams(request: ProviderRequest): SdkParams {
    const params: SdkParams = {
      model: request.model,
      messages: request.messages.map((message) => this.toSdkMessage(message)),
      max_completion_tokens: request.max_completion_tokens,
    };
    if (request.tools !== undefined) params.tools = request.tools;
    if (request.tool_choice !== undefined) params.tool_choice = request.tool_choice;
    if (request.parallel_tool_calls !== undefined) {
      params.parallel_tool_calls = request.parallel_tool_calls;
    }
    if (request.response_format !== undefined) params.response_format = request.response_format;
    if (request.temperature !== undefined) params.temperature = request.temperature;
    if (request.top_p !== undefined) params.top_p = request.top_p;
    if (request.stop !== undefined) params.stop = request.stop;
    if (request.seed !== undefined) params.seed = request.seed;
    if (request.n !== undefined) params.n = request.n;
    if (request.presence_penalty !== undefined) params.presence_penalty = request.presence_penalty;
    if (request.frequency_penalty !== undefined) {
      params.frequency_penalty = request.frequency_penalty;
    }
    if (request.user !== undefined) params.user = request.user;
    // `metadata` is the gateway's (attribution); OpenAI only accepts it with `store`.
    return params;
  }

  private toSdkMessage(message: ChatMessage): OpenAI.ChatCompletionMessageParam {
    switch (message.role) {
      case 'user':
        return message;
      case 'system':
      case 'developer':
        return { ...message, content: this.textOnly(message.content, message.role) };
      case 'tool':
        return { ...message, content: this.textOnly(message.content, message.role) };
      case 'assistant': {
        const { content, ...rest } = message;
        return {
          ...rest,
          content:
            content === undefined || content === null
              ? content
              : this.textOnly(content, 'assistant'),
        };
      }
    }
  }

  private textOnly(
    content: string | ContentPart[],
    role: string,
  ): string | OpenAI.ChatCompletionContentPartText[] {
    if (typeof content === 'string') return content;
    return content.map((part) => {
      if (part.type !== 'text') {
        throw new ProviderError(this.name, 'bad_request', `${role} messages cannot contain images`);
      }
      return part;
    });
  }

  private aborted(cause: unknown): ProviderError {
    return new ProviderError(this.name, 'aborted', 'request aborted by the caller', { cause });
  }

  private timeout(cause: unknown): ProviderError {
    return new ProviderError(this.name, 'timeout', `no response data within ${this.timeoutMs} ms`, {
      cause,
    });
  }

  /** Classifies any failure of an SDK call into a ProviderError. */
  private toProviderError(error: unknown, signal: AbortSignal, timedOut: boolean): ProviderError {
    if (error instanceof ProviderError) return error;
    if (signal.aborted) return this.aborted(error);
    if (timedOut || error instanceof APIConnectionTimeoutError) return this.timeout(error);
    if (error instanceof APIUserAbortError) return this.aborted(error);
    if (error instanceof APIConnectionError) {
      return new ProviderError(this.name, 'connection', error.message, { cause: error });
    }
    if (error instanceof APIError) {
      const rawStatus: unknown = error.status;
      const status = typeof rawStatus === 'number' ? rawStatus : undefined;
      const details = { status, cause: error };
      if (status === undefined) {
        // An error event inside a 200 stream.
        return new ProviderError(this.name, 'server', `stream error: ${error.message}`, details);
      }
      const message = `HTTP ${status}: ${error.message}`;
      if (status === 429) {
        const headers: unknown = error.headers;
        const retryAfterMs = retryAfterMsFrom(isHeaderReader(headers) ? headers : undefined);
        return new ProviderError(this.name, 'rate_limited', message, { ...details, retryAfterMs });
      }
      if (status === 408) return new ProviderError(this.name, 'timeout', message, details);
      if (status >= 500 || status === 409) {
        return new ProviderError(this.name, 'server', message, details);
      }
      if (status === 401 || status === 403) {
        return new ProviderError(this.name, 'auth', message, details);
      }
      return new ProviderError(this.name, 'bad_request', message, details);
    }
    if (isSyntaxError(error)) {
      return new ProviderError(this.name, 'malformed', `invalid JSON: ${messageOf(error)}`, {
        cause: error,
      });
    }
    // Anything else failed while reading the response (e.g. undici's `terminated`).
    return new ProviderError(this.name, 'connection', messageOf(error), { cause: error });
  }
}

/**
 * Caller's signal plus our own timer. The SDK's timeout only covers the wait for headers, so
 * this one also covers the body: `arm()` restarts it (for every stream chunk).
 */
class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  timedOut = false;

  constructor(
    private readonly caller: AbortSignal,
    private readonly ms: number,
  ) {
    caller.addEventListener('abort', this.forward, { once: true });
    if (caller.aborted) this.forward();
    this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.ms);
  }

  pause(): void {
    clearTimeout(this.timer);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.caller.removeEventListener('abort', this.forward);
  }

  private readonly forward = (): void => this.controller.abort(this.caller.reason);
}

// Errors from fetch/undici may come from another realm (e.g. under jest): compare by name.
function isSyntaxError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'SyntaxError'
  );
}

function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(error);
}

/** A failure of the transport (not an HTTP error, not bad JSON). */
function isNetworkError(error: unknown): boolean {
  return !(error instanceof APIError) && !(error instanceof ProviderError) && !isSyntaxError(error);
}

function isHeaderReader(value: unknown): value is HeaderReader {
  return typeof (value as { get?: unknown } | null)?.get === 'function';
}

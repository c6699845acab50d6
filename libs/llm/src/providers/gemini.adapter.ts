import type * as GenAiModule from '@google/genai';
import type {
  ApiError,
  GoogleGenAI,
  GenerateContentResponse,
  GenerateContentResponseUsageMetadata,
} from '@google/genai';
import type { ChatCompletion, ChatCompletionChunk, ToolCallDelta } from '@gnomon/contracts';
import { randomBytes } from 'node:crypto';
import type {
  CallOptions,
  ProviderAdapter,
  ProviderKind,
  ProviderRequest,
} from '../provider-adapter';
import { ProviderError, type ProviderFault } from '../provider-error';
import {
  extract,
  fromGeminiResponse,
  newCallPrefix,
  nowSeconds,
  toFinishReason,
  toGeminiRequest,
  toUsage,
} from './gemini-format';
import { lazySdk } from './lazy-sdk';
import { makeChunk, makeUsageChunk, retryAfterMsFrom, type ChunkFrame } from './openai-format';

const sdk = lazySdk<typeof GenAiModule>('@google/genai');

export interface GeminiAdapterOptions {
  /** Configured provider name; defaults to `gemini`. */
  name?: string;
  apiKey: string;
  /** Defaults to the SDK's (`GOOGLE_GEMINI_BASE_URL` or https://generativelanguage.googleapis.com). */
  baseUrl?: string;
  /**
   * Non-streaming: the whole call (the SDK hides when headers arrive). Streaming: the wait for
   * the first chunk, then the longest silence allowed between chunks.
   */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 600_000;

/**
 * The fetch of one call, through the SDK's `httpOptions.fetch`: it keeps the response headers
 * (the SDK's ApiError has none, and `Retry-After` is one). Passing a fetch also keeps the SDK
 * from routing requests through its own undici dispatcher (found through a global that test
 * sandboxes such as jest's do not have); undici's default header/body timeouts (300 s) then
 * apply, as they do to the other providers' SDKs.
 */
class HttpCapture {
  headers: Headers | undefined;
  readonly options = {
    fetch: async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const response = await fetch(input, init);
      this.headers = response.headers;
      return response;
    },
  };
}

/**
 * Aborts an SDK call when the caller's signal aborts or when a timer runs out, and remembers
 * which of the two it was. The SDK's own timeout is not used: it bounds a whole stream.
 */
class CallDeadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  timedOut = false;

  constructor(
    private readonly caller: AbortSignal,
    private readonly ms: number,
  ) {
    if (caller.aborted) this.forward();
    else caller.addEventListener('abort', this.forward, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** (Re)starts the timer. */
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

  /** Stops the timer, forgets the caller and, unless the call completed, aborts it. */
  dispose(completed: boolean): void {
    clearTimeout(this.timer);
    this.caller.removeEventListener('abort', this.forward);
    if (!completed) this.controller.abort();
  }

  private readonly forward = () => this.controller.abort();
}

/**
 * The Gemini API (not Vertex) over the official @google/genai SDK, translated to and from the
 * OpenAI format (see gemini-format.ts). The SDK never retries (no `retryOptions`, automatic
 * continuation and automatic function calling off): the gateway owns retries and failover.
 */
export class GeminiAdapter implements ProviderAdapter {
  readonly kind: ProviderKind = 'gemini';
  readonly name: string;
  private readonly client: GoogleGenAI;
  private readonly timeoutMs: number;

  constructor(options: GeminiAdapterOptions) {
    this.name = options.name ?? 'gemini';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.client = new (sdk().GoogleGenAI)({
      apiKey: options.apiKey,
      // Gemini API even if GOOGLE_GENAI_USE_VERTEXAI / _ENTERPRISE are set.
      enterprise: false,
      ...(options.baseUrl ? { httpOptions: { baseUrl: options.baseUrl } } : {}),
    });
  }

  async complete(request: ProviderRequest, options: CallOptions): Promise<ChatCompletion> {
    const { contents, config } = toGeminiRequest(this.name, request);
    const deadline = new CallDeadline(options.signal, this.timeoutMs);
    const http = new HttpCapture();
    deadline.arm();
    let response: GenerateContentResponse;
    try {
      response = await this.client.models.generateContent({
        model: request.model,
        contents,
        config: { ...config, abortSignal: deadline.signal, httpOptions: http.options },
      });
    } catch (error) {
      throw this.toProviderError(error, options.signal, deadline.timedOut, http.headers);
    } finally {
      deadline.dispose(true);
    }
    return fromGeminiResponse(this.name, response, request);
  }

  async *stream(
    request: ProviderRequest,
    options: CallOptions,
  ): AsyncGenerator<ChatCompletionChunk> {
    const { signal } = options;
    const { contents, config } = toGeminiRequest(this.name, request);
    const deadline = new CallDeadline(signal, this.timeoutMs);
    const translator = new GeminiStreamTranslator(request);
    const http = new HttpCapture();
    let ended = false;
    deadline.arm();
    try {
      const upstream = await this.client.models.generateContentStream({
        model: request.model,
        contents,
        config: { ...config, abortSignal: deadline.signal, httpOptions: http.options },
      });
      for await (const response of upstream) {
        // The timer measures the provider's silence, not the time our consumer takes.
        deadline.pause();
        for (const chunk of translator.translate(response)) yield chunk;
        deadline.arm();
      }
      ended = true;
    } catch (error) {
      // A cut after the finish and the usage lost nothing of the answer.
      const complete = translator.isComplete && translator.hasUsage;
      if (!(complete && !signal.aborted && !deadline.timedOut && isNetworkError(error))) {
        throw this.toProviderError(error, signal, deadline.timedOut, http.headers);
      }
      ended = true;
    } finally {
      deadline.dispose(ended);
    }
    if (!translator.isComplete) {
      throw new ProviderError(this.name, 'connection', 'stream ended before a finishReason');
    }
    yield* translator.finish();
  }

  private aborted(cause: unknown): ProviderError {
    return new ProviderError(this.name, 'aborted', 'request aborted by the caller', { cause });
  }

  /** Classifies any failure of an SDK call into a ProviderError. */
  private toProviderError(
    error: unknown,
    signal: AbortSignal,
    timedOut: boolean,
    headers: Headers | undefined,
  ): ProviderError {
    if (error instanceof ProviderError) return error;
    if (signal.aborted) return this.aborted(error);
    if (timedOut) {
      return new ProviderError(this.name, 'timeout', `no response for ${this.timeoutMs} ms`, {
        cause: error,
      });
    }
    if (error instanceof sdk().ApiError) return this.fromApiError(error, headers);
    const message = error instanceof Error ? error.message : String(error);
    // By name: fetch's JSON errors may come from another realm (e.g. under jest).
    if (
      errorName(error) === 'SyntaxError' ||
      message.startsWith('exception parsing stream chunk') ||
      message === 'Response body is empty'
    ) {
      return new ProviderError(this.name, 'malformed', `invalid response: ${message}`, {
        cause: error,
      });
    }
    // Network failures (`fetch failed`, undici's `terminated`, an SSE event cut in half...).
    return new ProviderError(this.name, 'connection', message, { cause: error });
  }

  private fromApiError(error: ApiError, headers: Headers | undefined): ProviderError {
    const status = error.status;
    const details = { status, cause: error };
    const message = `HTTP ${status}: ${error.message}`;
    if (status === 429) {
      const retryAfterMs = retryAfterMsFrom(headers) ?? retryDelayMs(error.message);
      return new ProviderError(this.name, 'rate_limited', message, {
        ...details,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    return new ProviderError(this.name, faultOf(status, error.message), message, details);
  }
}

function faultOf(status: number, message: string): ProviderFault {
  if (status === 408) return 'timeout';
  if (status >= 500 || status === 409) return 'server';
  if (status === 401 || status === 403) return 'auth';
  // The Gemini API answers a bad API key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
  if (/API_KEY_INVALID|API key not valid/.test(message)) return 'auth';
  return 'bad_request';
}

/**
 * Milliseconds from the google.rpc.RetryInfo `retryDelay` ("30s", "1.5s") of an error body.
 * The SDK's ApiError carries the body (as its message) but not the response headers.
 */
function retryDelayMs(message: string): number | undefined {
  const match = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(message);
  if (!match?.[1]) return undefined;
  return Math.ceil(Number(match[1]) * 1000);
}

function errorName(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { name?: unknown }).name
    : undefined;
}

function isNetworkError(error: unknown): boolean {
  return !(error instanceof sdk().ApiError) && errorName(error) === 'TypeError';
}

/**
 * Turns the responses of one generateContentStream into OpenAI chunks: a role chunk first, text
 * deltas as they come, each function call as one tool-call delta carrying its id, name and full
 * arguments; after the stream ends, a finish chunk and a usage chunk (no choices).
 */
class GeminiStreamTranslator {
  private readonly frame: ChunkFrame;
  private readonly callPrefix = newCallPrefix();
  private usage: GenerateContentResponseUsageMetadata | undefined;
  private finishReason: string | undefined;
  private blocked = false;
  private started = false;
  private toolCalls = 0;
  /** Streamed text and arguments, for estimating usage should none come. */
  private completionText = '';

  constructor(private readonly request: ProviderRequest) {
    const id = `gemini-${randomBytes(8).toString('hex')}`;
    this.frame = { id, created: nowSeconds(), model: request.model };
  }

  /** Whether a finish reason (or a prompt block) arrived: the answer is complete. */
  get isComplete(): boolean {
    return this.finishReason !== undefined || this.blocked;
  }

  get hasUsage(): boolean {
    return this.usage !== undefined;
  }

  translate(response: GenerateContentResponse): ChatCompletionChunk[] {
    const chunks: ChatCompletionChunk[] = [];
    if (!this.started) {
      this.started = true;
      if (response.responseId) this.frame.id = response.responseId;
      if (response.modelVersion) this.frame.model = response.modelVersion;
      chunks.push(makeChunk(this.frame, { role: 'assistant', content: '' }));
    }
    if (response.usageMetadata) this.usage = response.usageMetadata;
    if (response.promptFeedback?.blockReason) this.blocked = true;
    const { text, calls } = extract(response, this.callPrefix, this.toolCalls);
    if (text !== '') chunks.push(makeChunk(this.frame, { content: text }));
    this.completionText += text + calls.map((call) => call.function.arguments).join('');
    for (const call of calls) {
      const delta: ToolCallDelta = { index: this.toolCalls, ...call };
      this.toolCalls += 1;
      chunks.push(makeChunk(this.frame, { tool_calls: [delta] }));
    }
    const reason = response.candidates?.[0]?.finishReason;
    if (reason) this.finishReason = reason;
    return chunks;
  }

  /** The finish and usage chunks, once the stream has ended. */
  finish(): ChatCompletionChunk[] {
    const finish = this.blocked
      ? 'content_filter'
      : toFinishReason(this.finishReason, this.toolCalls > 0);
    const usage = toUsage(this.usage, this.request, this.completionText);
    return [makeChunk(this.frame, {}, finish), makeUsageChunk(this.frame, usage)];
  }
}

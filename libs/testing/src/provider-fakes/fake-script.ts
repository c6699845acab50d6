import type { IncomingHttpHeaders } from 'node:http';

/**
 * Provider-neutral scripting for the local provider fakes (OpenAI, Anthropic, Gemini): each
 * request to a fake takes the next scripted step, which says what to answer and which fault to
 * inject. Every fake translates a step into its own provider's wire format.
 */

/** Token counts a fake reports, in neutral terms (each fake maps them to its wire names). */
export interface FakeUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
}

export interface FakeToolCall {
  /** Defaults to a generated id. */
  id?: string;
  name: string;
  /** A JSON string (sent verbatim, may be invalid on purpose) or a value to serialize. */
  arguments: string | Record<string, unknown>;
}

/** A successful answer. */
export interface FakeOkStep {
  kind: 'ok';
  /** Defaults to a short fixed text (or no text when `toolCalls` are given). */
  content?: string;
  toolCalls?: FakeToolCall[];
  /** Defaults to ≈4 characters per token of the request and the answer; null omits usage. */
  usage?: FakeUsage | null;
  /**
   * Defaults to `tool_calls` with tool calls, else `stop` (each fake maps it to its own
   * vocabulary). null ends the stream without any finish reason.
   */
  finishReason?: string | null;
  /** Delay before the response headers. */
  delayMs?: number;
  /** Delay between stream chunks. */
  chunkDelayMs?: number;
  /** Text deltas of this many characters (default: one word per delta). */
  chunkChars?: number;
}

/** An HTTP error answer. */
export interface FakeStatusStep {
  kind: 'status';
  status: number;
  /** `Retry-After` header, in seconds. */
  retryAfter?: number;
  /** `retry-after-ms` header (OpenAI style). */
  retryAfterMs?: number;
  /** Response body (JSON-serialized unless a string); defaults to the provider's error shape. */
  body?: unknown;
  delayMs?: number;
}

/** Accepts the request and never answers (until the fake is closed). */
export interface FakeTimeoutStep {
  kind: 'timeout';
}

/** Starts answering, then destroys the socket after `afterChunks` stream chunks. */
export interface FakeCutStep {
  kind: 'cut';
  afterChunks: number;
  content?: string;
  chunkDelayMs?: number;
}

/** Starts answering, then sends a data line that is not JSON after `afterChunks` chunks. */
export interface FakeMalformedStep {
  kind: 'malformed';
  afterChunks: number;
  content?: string;
  chunkDelayMs?: number;
}

export type FakeStep =
  FakeOkStep | FakeStatusStep | FakeTimeoutStep | FakeCutStep | FakeMalformedStep;

/** A request as a fake received it. */
export interface FakeRequest {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when there is none or it is not JSON. */
  body: unknown;
  rawBody: string;
  receivedAt: number;
}

/** Decides the step of one request (`index` counts the scripted requests from 0). */
export type FakeResponder = (request: FakeRequest, index: number) => FakeStep;

export type FakeScriptEntry = FakeStep | FakeResponder;

/**
 * The script of one fake: a queue of one-shot entries, then a fallback for every request once
 * the queue is empty (by default a plain `ok`).
 */
export class FakeScript {
  private readonly queue: FakeScriptEntry[] = [];
  private fallback: FakeScriptEntry;
  private count = 0;

  constructor(fallback: FakeScriptEntry = { kind: 'ok' }) {
    this.fallback = fallback;
  }

  /** Appends one-shot entries, each consumed by one request. */
  push(...entries: FakeScriptEntry[]): void {
    this.queue.push(...entries);
  }

  /** Sets what every request gets once the queue is empty. */
  setFallback(entry: FakeScriptEntry): void {
    this.fallback = entry;
  }

  /** Empties the queue and restores the default fallback. */
  reset(): void {
    this.queue.length = 0;
    this.fallback = { kind: 'ok' };
    this.count = 0;
  }

  get pending(): number {
    return this.queue.length;
  }

  next(request: FakeRequest): FakeStep {
    const entry = this.queue.shift() ?? this.fallback;
    const index = this.count;
    this.count += 1;
    return typeof entry === 'function' ? entry(request, index) : entry;
  }
}

/** Resolves after `ms` (immediately for 0 or less). */
export function fakeDelay(ms: number | undefined): Promise<void> {
  if (!ms || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Splits a text into stream deltas: `chars` characters each, or one word (with its space). */
export function splitText(text: string, chars?: number): string[] {
  if (text === '') return [];
  if (chars && chars > 0) {
    const parts: string[] = [];
    for (let i = 0; i < text.length; i += chars) parts.push(text.slice(i, i + chars));
    return parts;
  }
  return text.match(/\S+\s*|\s+/g) ?? [text];
}

/** Default usage when a step gives none: ≈4 characters per token. */
export function estimateFakeUsage(requestText: string, answerText: string): FakeUsage {
  return {
    inputTokens: Math.max(1, Math.ceil(requestText.length / 4)),
    outputTokens: Math.ceil(answerText.length / 4),
  };
}

/** Tool-call arguments as the JSON string sent on the wire. */
export function toolArguments(call: FakeToolCall): string {
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
}

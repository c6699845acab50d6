import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatMessage,
  FinishReason,
  ToolCall,
  Usage,
} from '@gnomon/contracts';
import { ProviderError } from '../provider-error';

/**
 * Small helpers for building and reading the OpenAI wire format, shared by the adapters.
 */

/** The text of a message's content (text parts joined; images contribute nothing). */
export function contentText(content: ChatMessage['content'] | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((part) => part.type === 'text')
    .map((part) => (part.type === 'text' ? part.text : ''))
    .join('');
}

/** Maps a provider finish reason onto the gateway's; unknown non-null reasons become `stop`. */
export function toFinishReason(reason: string | null | undefined): FinishReason | null {
  switch (reason) {
    case null:
    case undefined:
      return null;
    case 'length':
    case 'tool_calls':
    case 'content_filter':
      return reason;
    case 'function_call':
      return 'tool_calls';
    default:
      return 'stop';
  }
}

export function makeUsage(
  promptTokens: number,
  completionTokens: number,
  cachedTokens?: number,
): Usage {
  const usage: Usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
  if (cachedTokens !== undefined) usage.prompt_tokens_details = { cached_tokens: cachedTokens };
  return usage;
}

/** Tokens of a text at ≈4 characters per token (at least 1 for a non-empty text). */
export function approxTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Approximate prompt tokens of a request the way an OpenAI tokenizer roughly counts: ≈4
 * characters per token plus a few tokens of framing per message and for tool definitions.
 */
export function approxPromptTokens(
  request: Pick<ChatCompletionRequest, 'messages' | 'tools' | 'response_format'>,
): number {
  let tokens = 3;
  for (const message of request.messages) {
    tokens += 4 + approxTokens(contentText(message.content));
    if (message.role === 'assistant' && message.tool_calls) {
      for (const call of message.tool_calls) {
        tokens += 3 + approxTokens(call.function.name + call.function.arguments);
      }
    }
    if (Array.isArray(message.content)) {
      tokens += 85 * message.content.filter((part) => part.type === 'image_url').length;
    }
  }
  if (request.tools?.length) tokens += approxTokens(JSON.stringify(request.tools));
  if (request.response_format && request.response_format.type !== 'text') {
    tokens += approxTokens(JSON.stringify(request.response_format));
  }
  return tokens;
}

export interface ChunkFrame {
  id: string;
  created: number;
  model: string;
}

/** One streamed chunk with a single choice. */
export function makeChunk(
  frame: ChunkFrame,
  delta: ChatCompletionChunk['choices'][number]['delta'],
  finishReason: FinishReason | null = null,
): ChatCompletionChunk {
  return {
    ...frame,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
  };
}

/** The final usage chunk (no choices), as OpenAI sends it with `include_usage`. */
export function makeUsageChunk(frame: ChunkFrame, usage: Usage): ChatCompletionChunk {
  return { ...frame, object: 'chat.completion.chunk', choices: [], usage };
}

/** Something with `get(name)`, like the fetch `Headers` class. */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * Milliseconds to wait before retrying, from `retry-after-ms` (milliseconds) or `retry-after`
 * (seconds or an HTTP date). Undefined when absent or unreadable.
 */
export function retryAfterMsFrom(
  headers: HeaderReader | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const after = headers.get('retry-after');
  if (after === null || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** FNV-1a 32-bit hash, for deterministic ids and choices. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * A non-streaming response body in the gateway's shape. Throws ProviderError `malformed` when
 * it is not a completion; estimates usage when the server reported none.
 */
export function readCompletion(
  provider: string,
  response: unknown,
  request: Pick<ChatCompletionRequest, 'model' | 'messages' | 'tools' | 'response_format'>,
): ChatCompletion {
  const body = asRecord(response);
  const choices = Array.isArray(body?.choices) ? (body.choices as unknown[]) : undefined;
  if (!body || !choices || choices.length === 0) {
    throw new ProviderError(provider, 'malformed', 'response has no choices', {
      cause: response,
    });
  }
  const normalized = choices.map((value, position) => {
    const choice = asRecord(value);
    const message = asRecord(choice?.message);
    if (!choice || !message) {
      throw new ProviderError(provider, 'malformed', 'choice without a message', {
        cause: response,
      });
    }
    const toolCalls = toToolCalls(message.tool_calls);
    const content = typeof message.content === 'string' ? message.content : null;
    const finish =
      toFinishReason(asString(choice.finish_reason)) ?? (toolCalls ? 'tool_calls' : 'stop');
    const out: ChatCompletion['choices'][number] = {
      index: typeof choice.index === 'number' ? choice.index : position,
      message: { role: 'assistant', content },
      finish_reason: finish,
      logprobs: null,
    };
    if (toolCalls) out.message.tool_calls = toolCalls;
    if (typeof message.refusal === 'string') out.message.refusal = message.refusal;
    return out;
  });
  const usage =
    toUsage(body.usage) ??
    makeUsage(
      approxPromptTokens(request),
      normalized.reduce(
        (sum, choice) =>
          sum +
          approxTokens(choice.message.content ?? '') +
          approxTokens(JSON.stringify(choice.message.tool_calls ?? '')),
        0,
      ),
    );
  const completion: ChatCompletion = {
    id: asString(body.id) ?? '',
    object: 'chat.completion',
    created: typeof body.created === 'number' ? body.created : now(),
    model: asString(body.model) ?? request.model,
    choices: normalized,
    usage,
  };
  const fingerprint = asString(body.system_fingerprint);
  if (fingerprint !== undefined) completion.system_fingerprint = fingerprint;
  return completion;
}

/** One stream chunk in the gateway's shape (ProviderError `malformed` when it is not one). */
export function readChunk(
  provider: string,
  raw: unknown,
  request: Pick<ChatCompletionRequest, 'model'>,
): ChatCompletionChunk {
  const body = asRecord(raw);
  if (!body || (body.choices !== undefined && !Array.isArray(body.choices))) {
    throw new ProviderError(provider, 'malformed', 'unexpected stream chunk', { cause: raw });
  }
  const choices = ((body.choices as unknown[] | undefined) ?? []).map((value, position) => {
    const choice = asRecord(value);
    const delta = asRecord(choice?.delta) ?? {};
    const out: ChatCompletionChunk['choices'][number] = {
      index: typeof choice?.index === 'number' ? choice.index : position,
      delta: {},
      finish_reason: toFinishReason(asString(choice?.finish_reason)),
    };
    if (delta.role === 'assistant') out.delta.role = 'assistant';
    if (typeof delta.content === 'string') out.delta.content = delta.content;
    if (typeof delta.refusal === 'string') out.delta.refusal = delta.refusal;
    if (Array.isArray(delta.tool_calls)) {
      out.delta.tool_calls = (delta.tool_calls as unknown[]).map((item, itemPosition) => {
        const call = asRecord(item) ?? {};
        const fn = asRecord(call.function);
        const name = asString(fn?.name);
        const args = asString(fn?.arguments);
        return {
          index: typeof call.index === 'number' ? call.index : itemPosition,
          ...(asString(call.id) !== undefined ? { id: asString(call.id) } : {}),
          ...(call.type === 'function' ? { type: 'function' as const } : {}),
          ...(fn
            ? {
                function: {
                  ...(name !== undefined ? { name } : {}),
                  ...(args !== undefined ? { arguments: args } : {}),
                },
              }
            : {}),
        };
      });
    }
    return out;
  });
  const chunk: ChatCompletionChunk = {
    id: asString(body.id) ?? '',
    object: 'chat.completion.chunk',
    created: typeof body.created === 'number' ? body.created : now(),
    model: asString(body.model) ?? request.model,
    choices,
  };
  const usage = toUsage(body.usage);
  if (usage) chunk.usage = usage;
  return chunk;
}

export function now(): number {
  return Math.floor(Date.now() / 1000);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function toToolCalls(value: unknown): ToolCall[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const calls: ToolCall[] = [];
  for (const item of value as unknown[]) {
    const call = asRecord(item);
    const fn = asRecord(call?.function);
    const name = asString(fn?.name);
    // Custom (free-form) tool calls are not part of the gateway's contract.
    if (!call || !fn || name === undefined) continue;
    calls.push({
      id: asString(call.id) ?? '',
      type: 'function',
      function: { name, arguments: asString(fn.arguments) ?? '' },
    });
  }
  return calls.length > 0 ? calls : undefined;
}

function toUsage(value: unknown): Usage | undefined {
  const usage = asRecord(value);
  if (!usage) return undefined;
  const prompt = usage.prompt_tokens;
  const completion = usage.completion_tokens;
  if (typeof prompt !== 'number' || typeof completion !== 'number') return undefined;
  const cached = asRecord(usage.prompt_tokens_details)?.cached_tokens;
  return makeUsage(prompt, completion, typeof cached === 'number' ? cached : undefined);
}

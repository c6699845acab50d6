import type Anthropic from '@anthropic-ai/sdk';
import type {
  ChatCompletion,
  ChatMessage,
  ContentPart,
  FinishReason,
  ToolCall,
  ToolDefinition,
  Usage,
} from '@gnomon/contracts';
import type { ProviderRequest } from '../provider-adapter';
import { ProviderError } from '../provider-error';
import { approxPromptTokens, approxTokens, makeUsage } from './openai-format';

/**
 * Translation between the gateway's OpenAI wire format and the Anthropic Messages API
 * (API version 2026-10-21, as pinned by @anthropic-ai/sdk 1.x).
 *
 * Mapping choices worth knowing:
 * - every system/developer message is joined (blank line) into the top-level `system`;
 * - `temperature`/`top_p` are not sent: the Messages API of this version has no sampling
 *   parameters (the SDK removed them); `seed`, penalties and `n` have no equivalent either;
 * - `response_format: json_object` adds a system instruction; `json_schema` uses the native
 *   structured output (`output_config.format`) plus the same instruction, so the answer stays
 *   ordinary text content (no forced tool to unwrap);
 * - a tool call whose `arguments` are not a JSON object is replayed with `{}` as its input.
 */

export type AnthropicParams = Omit<Anthropic.MessageCreateParamsNonStreaming, 'stream'>;

const JSON_INSTRUCTION =
  'Respond with a single valid JSON value only: no prose before or after it, no Markdown fences.';
const IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;

interface Turn {
  role: 'user' | 'assistant';
  content: Anthropic.ContentBlockParam[];
}

/** The Messages API request for an OpenAI-format request. Throws bad_request ProviderErrors. */
export function toAnthropicParams(provider: string, request: ProviderRequest): AnthropicParams {
  const system: string[] = [];
  const turns: Turn[] = [];
  const push = (role: Turn['role'], blocks: Anthropic.ContentBlockParam[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    // The API wants alternating turns: consecutive tool results and user text become one turn.
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOnly(provider, message.content, message.role);
        if (text.trim() !== '') system.push(text);
        break;
      }
      case 'user':
        push('user', partsToBlocks(provider, message.content));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(provider, message));
        break;
      case 'tool':
        push('user', [toolResult(provider, message)]);
        break;
    }
  }
  for (const turn of turns) {
    // tool_result blocks must open their user turn.
    if (turn.role === 'user') {
      turn.content.sort((a, b) => rank(a) - rank(b));
    }
  }

  const params: AnthropicParams = {
    model: request.model,
    max_tokens: request.max_completion_tokens,
    messages: turns.map((turn) => ({ role: turn.role, content: turn.content })),
  };
  const format = request.response_format;
  if (format && format.type !== 'text') {
    system.push(JSON_INSTRUCTION);
    if (format.type === 'json_schema' && format.json_schema.schema) {
      params.output_config = { format: { type: 'json_schema', schema: format.json_schema.schema } };
    }
  }
  if (system.length > 0) params.system = system.join('\n\n');
  if (request.tools && request.tools.length > 0) {
    params.tools = request.tools.map(toTool);
    const choice = toToolChoice(request);
    if (choice) params.tool_choice = choice;
  }
  const stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (stop && stop.length > 0) params.stop_sequences = stop;
  if (request.user) params.metadata = { user_id: request.user };
  return params;
}

function rank(block: Anthropic.ContentBlockParam): number {
  return block.type === 'tool_result' ? 0 : 1;
}

function badRequest(provider: string, message: string): ProviderError {
  return new ProviderError(provider, 'bad_request', message);
}

function textOnly(provider: string, content: string | ContentPart[], role: string): string {
  if (typeof content === 'string') return content;
  return content
    .map((part) => {
      if (part.type !== 'text')
        throw badRequest(provider, `${role} messages cannot contain images`);
      return part.text;
    })
    .join('');
}

function partsToBlocks(
  provider: string,
  content: string | ContentPart[],
): (Anthropic.TextBlockParam | Anthropic.ImageBlockParam)[] {
  const parts: ContentPart[] =
    typeof content === 'string' ? [{ type: 'text', text: content }] : content;
  const blocks: (Anthropic.TextBlockParam | Anthropic.ImageBlockParam)[] = [];
  for (const part of parts) {
    // The API rejects empty text blocks.
    if (part.type === 'text') {
      if (part.text !== '') blocks.push({ type: 'text', text: part.text });
    } else {
      blocks.push(imageBlock(provider, part.image_url.url));
    }
  }
  return blocks;
}

function assistantBlocks(
  provider: string,
  message: Extract<ChatMessage, { role: 'assistant' }>,
): Anthropic.ContentBlockParam[] {
  const blocks: Anthropic.ContentBlockParam[] = [];
  if (message.content !== null && message.content !== undefined) {
    const text = textOnly(provider, message.content, 'assistant');
    if (text !== '') blocks.push({ type: 'text', text });
  }
  for (const call of message.tool_calls ?? []) {
    blocks.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: parseArguments(call.function.arguments),
    });
  }
  return blocks;
}

function parseArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Replayed below as an empty input.
  }
  return {};
}

function toolResult(
  provider: string,
  message: Extract<ChatMessage, { role: 'tool' }>,
): Anthropic.ToolResultBlockParam {
  const content =
    typeof message.content === 'string'
      ? message.content
      : partsToBlocks(provider, message.content);
  return { type: 'tool_result', tool_use_id: message.tool_call_id, content };
}

/** `data:` URLs become base64 sources, http(s) URLs url sources; anything else is refused. */
function imageBlock(provider: string, url: string): Anthropic.ImageBlockParam {
  const data = parseDataUrl(url);
  if (data) {
    const mediaType = IMAGE_MEDIA_TYPES.find((type) => type === data.mediaType);
    if (!mediaType) {
      throw badRequest(provider, `unsupported image type ${data.mediaType} (jpeg, png, gif, webp)`);
    }
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data: data.data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw badRequest(provider, 'image URLs must be https or base64 data: URLs');
}

/** The media type and base64 payload of a `data:<type>[;params];base64,<data>` URL. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const header = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)((?:;[^;,]*)*);base64,/i.exec(
    url.slice(0, 256),
  );
  if (!header?.[1]) return undefined;
  let mediaType = header[1].toLowerCase();
  if (mediaType === 'image/jpg') mediaType = 'image/jpeg';
  return { mediaType, data: url.slice(header[0].length) };
}

function toTool(definition: ToolDefinition): Anthropic.Tool {
  const fn = definition.function;
  const tool: Anthropic.Tool = {
    name: fn.name,
    // Anthropic requires an object schema; OpenAI tools without parameters take none.
    input_schema: { ...(fn.parameters ?? { properties: {} }), type: 'object' },
  };
  if (fn.description !== undefined) tool.description = fn.description;
  if (fn.strict === true) tool.strict = true;
  return tool;
}

function toToolChoice(request: ProviderRequest): Anthropic.ToolChoice | undefined {
  const single = request.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  const choice = request.tool_choice;
  if (choice === undefined) {
    return request.parallel_tool_calls === false ? { type: 'auto', ...single } : undefined;
  }
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...single };
  if (choice === 'required') return { type: 'any', ...single };
  return { type: 'tool', name: choice.function.name, ...single };
}

/** Maps a Messages API stop reason onto the OpenAI finish reasons. */
export function toFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn (a paused server-tool turn ends this answer).
      return 'stop';
  }
}

/** The token counts of a Message or message_delta usage (fields may be null or missing). */
export interface AnthropicUsageCounts {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/**
 * OpenAI usage: the prompt counts uncached, cache-read and cache-write input tokens. A count
 * Anthropic did not report (never seen in practice) is estimated, so that a call is never free.
 */
export function toUsage(
  counts: AnthropicUsageCounts | null | undefined,
  request: ProviderRequest,
  completionText: string,
): Usage {
  const cached = counts?.cache_read_input_tokens ?? 0;
  const input = counts?.input_tokens;
  const output = counts?.output_tokens;
  const prompt =
    typeof input === 'number'
      ? input + cached + (counts?.cache_creation_input_tokens ?? 0)
      : approxPromptTokens(request);
  const completion = typeof output === 'number' ? output : approxTokens(completionText);
  return makeUsage(prompt, completion, cached);
}

/** The ChatCompletion for a (non-streaming) Message. */
export function fromAnthropicMessage(
  provider: string,
  message: Anthropic.Message,
  request: ProviderRequest,
): ChatCompletion {
  if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
    throw new ProviderError(provider, 'malformed', 'response is not a Message', {
      cause: message,
    });
  }
  let text = '';
  let hasText = false;
  const toolCalls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') {
      text += block.text;
      hasText = true;
    } else if (block.type === 'tool_use') {
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const choice: ChatCompletion['choices'][number] = {
    index: 0,
    message: { role: 'assistant', content: hasText ? text : null, refusal: null },
    finish_reason: toFinishReason(message.stop_reason),
    logprobs: null,
  };
  if (toolCalls.length > 0) choice.message.tool_calls = toolCalls;
  return {
    id: message.id,
    object: 'chat.completion',
    created: nowSeconds(),
    model: message.model || request.model,
    choices: [choice],
    usage: toUsage(message.usage, request, text + JSON.stringify(toolCalls)),
  };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

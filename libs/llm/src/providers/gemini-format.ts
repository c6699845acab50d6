import type {
  FunctionCallingConfigMode,
  Content,
  FunctionDeclaration,
  GenerateContentConfig,
  GenerateContentResponse,
  GenerateContentResponseUsageMetadata,
  Part,
  ToolConfig,
} from '@google/genai';
import type {
  ChatCompletion,
  ChatMessage,
  ContentPart,
  FinishReason,
  ToolCall,
  ToolDefinition,
  Usage,
} from '@gnomon/contracts';
import { randomBytes } from 'node:crypto';
import type { ProviderRequest } from '../provider-adapter';
import { ProviderError } from '../provider-error';
import { approxPromptTokens, approxTokens, makeUsage } from './openai-format';

/**
 * Translation between the gateway's OpenAI wire format and the Gemini API's generateContent.
 *
 * Mapping choices worth knowing:
 * - system/developer messages are joined (blank line) into `systemInstruction`;
 * - a tool result needs its function's name: it is looked up from the assistant tool call with
 *   the same id earlier in the conversation (bad_request when there is none);
 * - thought signatures cannot travel through the OpenAI format, so each replayed model turn's
 *   first functionCall carries Google's documented validator-skip signature (Gemini 3 requires
 *   one on function calls);
 * - a tool result that is a JSON object is sent as the functionResponse `response`, anything
 *   else as `{ output: <text> }`; images in tool results follow as inline parts;
 * - http(s) image URLs are sent as `fileData` (mime type guessed from the extension);
 * - Gemini does not id its function calls: ids are `call_<random>_<n>`, unique per response so
 *   the conversation stays valid for providers that want unique tool ids (Anthropic).
 */

export interface GeminiRequest {
  contents: Content[];
  config: GenerateContentConfig;
}

/** Google's documented placeholder for function calls that lack a real thought signature. */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

/** The generateContent arguments for an OpenAI-format request. Throws bad_request errors. */
export function toGeminiRequest(provider: string, request: ProviderRequest): GeminiRequest {
  const system: string[] = [];
  const contents: Content[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: Part[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role && last.parts) last.parts.push(...parts);
    else contents.push({ role, parts });
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
        push('user', userParts(provider, message.content));
        break;
      case 'assistant':
        push('model', modelParts(provider, message, toolNames));
        break;
      case 'tool':
        push('user', toolResultParts(provider, message, toolNames));
        break;
    }
  }
  for (const content of contents) {
    const firstCall = content.parts?.find((part) => part.functionCall);
    if (content.role === 'model' && firstCall && !firstCall.thoughtSignature) {
      firstCall.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
    }
  }

  const config: GenerateContentConfig = {
    maxOutputTokens: request.max_completion_tokens,
    // The gateway owns function execution and continuation: one request per call.
    automaticFunctionCalling: { disable: true },
    automaticContinuation: false,
  };
  if (system.length > 0) config.systemInstruction = { parts: [{ text: system.join('\n\n') }] };
  if (typeof request.temperature === 'number') config.temperature = request.temperature;
  if (typeof request.top_p === 'number') config.topP = request.top_p;
  if (typeof request.seed === 'number') config.seed = request.seed;
  if (typeof request.presence_penalty === 'number') {
    config.presencePenalty = request.presence_penalty;
  }
  if (typeof request.frequency_penalty === 'number') {
    config.frequencyPenalty = request.frequency_penalty;
  }
  const stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (stop && stop.length > 0) config.stopSequences = stop;
  const format = request.response_format;
  if (format && format.type !== 'text') {
    config.responseMimeType = 'application/json';
    if (format.type === 'json_schema' && format.json_schema.schema) {
      config.responseJsonSchema = format.json_schema.schema;
    }
  }
  if (request.tools && request.tools.length > 0) {
    config.tools = [{ functionDeclarations: request.tools.map(toDeclaration) }];
    const toolConfig = toToolConfig(request);
    if (toolConfig) config.toolConfig = toolConfig;
  }
  return { contents, config };
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

function userParts(provider: string, content: string | ContentPart[]): Part[] {
  const parts: ContentPart[] =
    typeof content === 'string' ? [{ type: 'text', text: content }] : content;
  return parts.flatMap((part): Part[] => {
    if (part.type === 'text') return part.text === '' ? [] : [{ text: part.text }];
    return [imagePart(provider, part.image_url.url)];
  });
}

function modelParts(
  provider: string,
  message: Extract<ChatMessage, { role: 'assistant' }>,
  toolNames: Map<string, string>,
): Part[] {
  const parts: Part[] = [];
  if (message.content !== null && message.content !== undefined) {
    const text = textOnly(provider, message.content, 'assistant');
    if (text !== '') parts.push({ text });
  }
  for (const call of message.tool_calls ?? []) {
    toolNames.set(call.id, call.function.name);
    parts.push({
      functionCall: {
        id: call.id,
        name: call.function.name,
        args: parseObject(call.function.arguments),
      },
    });
  }
  return parts;
}

function toolResultParts(
  provider: string,
  message: Extract<ChatMessage, { role: 'tool' }>,
  toolNames: Map<string, string>,
): Part[] {
  const name = toolNames.get(message.tool_call_id);
  if (name === undefined) {
    throw badRequest(provider, `tool message ${message.tool_call_id} answers no earlier tool call`);
  }
  const parts: ContentPart[] =
    typeof message.content === 'string'
      ? [{ type: 'text', text: message.content }]
      : message.content;
  const text = parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
  const images = parts.flatMap((part) =>
    part.type === 'image_url' ? [imagePart(provider, part.image_url.url)] : [],
  );
  const parsed = tryParseObject(text);
  const response = parsed ?? { output: text };
  return [{ functionResponse: { id: message.tool_call_id, name, response } }, ...images];
}

function tryParseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Not JSON.
  }
  return undefined;
}

function parseObject(text: string): Record<string, unknown> {
  return tryParseObject(text) ?? {};
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
};

function imagePart(provider: string, url: string): Part {
  const header = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)((?:;[^;,]*)*);base64,/i.exec(
    url.slice(0, 256),
  );
  if (header?.[1]) {
    return { inlineData: { mimeType: header[1].toLowerCase(), data: url.slice(header[0].length) } };
  }
  if (/^https?:\/\//i.test(url)) {
    const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase() ?? '';
    return { fileData: { fileUri: url, mimeType: MIME_BY_EXTENSION[extension] ?? 'image/jpeg' } };
  }
  throw badRequest(provider, 'image URLs must be https or base64 data: URLs');
}

function toDeclaration(definition: ToolDefinition): FunctionDeclaration {
  const fn = definition.function;
  const declaration: FunctionDeclaration = { name: fn.name };
  if (fn.description !== undefined) declaration.description = fn.description;
  if (fn.parameters && Object.keys(fn.parameters).length > 0) {
    declaration.parametersJsonSchema = fn.parameters;
  }
  return declaration;
}

function toToolConfig(request: ProviderRequest): ToolConfig | undefined {
  const choice = request.tool_choice;
  if (choice === undefined) return undefined;
  if (choice === 'auto')
    return { functionCallingConfig: { mode: 'AUTO' as FunctionCallingConfigMode } };
  if (choice === 'none')
    return { functionCallingConfig: { mode: 'NONE' as FunctionCallingConfigMode } };
  if (choice === 'required') {
    return { functionCallingConfig: { mode: 'ANY' as FunctionCallingConfigMode } };
  }
  return {
    functionCallingConfig: {
      mode: 'ANY' as FunctionCallingConfigMode,
      allowedFunctionNames: [choice.function.name],
    },
  };
}

/** Finish reasons that mean the answer was withheld or cut by a filter. */
const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'LANGUAGE',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
  'IMAGE_OTHER',
]);

/**
 * Maps a Gemini finish reason onto the OpenAI ones. STOP with function calls is `tool_calls`;
 * CONTINUATION (a paused long answer, not resumed since automatic continuation is off) is
 * `length`; failed tool calls (MALFORMED_FUNCTION_CALL...) and OTHER end as `stop`.
 */
export function toFinishReason(reason: string | undefined, hasToolCalls: boolean): FinishReason {
  if (reason === 'MAX_TOKENS' || reason === 'CONTINUATION') return 'length';
  if (reason !== undefined && FILTERED.has(reason)) return 'content_filter';
  return hasToolCalls ? 'tool_calls' : 'stop';
}

/**
 * OpenAI usage: prompt includes tool-use prompt tokens, completion includes thoughts. Without
 * usageMetadata the usage is estimated, so that a call is never free.
 */
export function toUsage(
  metadata: GenerateContentResponseUsageMetadata | undefined,
  request: ProviderRequest,
  completionText: string,
): Usage {
  if (!metadata) return makeUsage(approxPromptTokens(request), approxTokens(completionText));
  const prompt = (metadata?.promptTokenCount ?? 0) + (metadata?.toolUsePromptTokenCount ?? 0);
  const completion = (metadata?.candidatesTokenCount ?? 0) + (metadata?.thoughtsTokenCount ?? 0);
  return makeUsage(prompt, completion, metadata?.cachedContentTokenCount ?? 0);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Prefix of generated tool-call ids: `call_<random>`, then `_<n>` per call. */
export function newCallPrefix(): string {
  return `call_${randomBytes(6).toString('hex')}`;
}

export interface Extracted {
  text: string;
  hasText: boolean;
  calls: ToolCall[];
}

/** Text (thought summaries excluded) and function calls of a response's first candidate. */
export function extract(
  response: GenerateContentResponse,
  prefix: string,
  firstIndex: number,
): Extracted {
  const out: Extracted = { text: '', hasText: false, calls: [] };
  for (const part of response.candidates?.[0]?.content?.parts ?? []) {
    if (typeof part.text === 'string' && !part.thought) {
      out.text += part.text;
      out.hasText ||= part.text !== '';
    } else if (part.functionCall?.name) {
      const index = firstIndex + out.calls.length;
      out.calls.push({
        id: part.functionCall.id || `${prefix}_${index}`,
        type: 'function',
        function: {
          name: part.functionCall.name,
          arguments: JSON.stringify(part.functionCall.args ?? {}),
        },
      });
    }
  }
  return out;
}

/** The ChatCompletion for a (non-streaming) generateContent response. */
export function fromGeminiResponse(
  provider: string,
  response: GenerateContentResponse,
  request: ProviderRequest,
): ChatCompletion {
  const candidate = response.candidates?.[0];
  const blocked = Boolean(response.promptFeedback?.blockReason);
  if (!candidate && !blocked) {
    throw new ProviderError(provider, 'malformed', 'response has no candidates', {
      cause: response,
    });
  }
  const { text, hasText, calls } = extract(response, newCallPrefix(), 0);
  const choice: ChatCompletion['choices'][number] = {
    index: 0,
    message: { role: 'assistant', content: hasText ? text : null, refusal: null },
    finish_reason: blocked
      ? 'content_filter'
      : toFinishReason(candidate?.finishReason, calls.length > 0),
    logprobs: null,
  };
  if (calls.length > 0) choice.message.tool_calls = calls;
  return {
    id: response.responseId ?? `gemini-${randomBytes(8).toString('hex')}`,
    object: 'chat.completion',
    created: nowSeconds(),
    model: response.modelVersion ?? request.model,
    choices: [choice],
    usage: toUsage(response.usageMetadata, request, text + JSON.stringify(calls)),
  };
}

import type {
  ChatCompletion,
  ChatCompletionChunk,
  FinishReason,
  ToolCall,
  ToolDefinition,
  Usage,
} from '@gnomon/contracts';
import type {
  CallOptions,
  ProviderAdapter,
  ProviderKind,
  ProviderRequest,
} from '../provider-adapter';
import { ProviderError } from '../provider-error';
import {
  approxPromptTokens,
  approxTokens,
  contentText,
  fnv1a,
  makeChunk,
  makeUsage,
  makeUsageChunk,
  type ChunkFrame,
} from './openai-format';

export interface SimulatedAdapterOptions {
  /** Artificial delay before the answer (before the first chunk when streaming). */
  latencyMs?: number;
  /** Artificial delay between stream chunks. */
  chunkDelayMs?: number;
}

export const SIMULATED_FINGERPRINT = 'gnomon-simulated';

const OPENINGS = [
  'Here is a simulated answer.',
  'This reply is simulated.',
  'Simulated response ahead.',
  'A simulated model is answering.',
];
const BODIES = [
  'No language model was called; Gnomon generated this text deterministically from your message.',
  'Gnomon answers with fixed text in simulation mode, so the same message always gets the same reply.',
  'Configure a real provider to get a real answer; this one is derived from a hash of your message.',
  'The simulated provider is meant for tests and demos: it costs nothing and never leaves the machine.',
];

/** What the simulated model answers, before streaming or packaging. */
interface Answer {
  content: string | null;
  toolCalls?: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  seed: number;
}

/**
 * A provider without a network: deterministic answers derived from the request, with tool
 * calls, JSON response formats, output bounds and realistic token counts. No randomness.
 */
export class SimulatedAdapter implements ProviderAdapter {
  readonly name = 'simulated';
  readonly kind: ProviderKind = 'simulated';

  constructor(private readonly options: SimulatedAdapterOptions = {}) {}

  async complete(request: ProviderRequest, options: CallOptions): Promise<ChatCompletion> {
    const answer = this.answer(request);
    await this.wait(this.options.latencyMs, options.signal);
    const frame = this.frame(request, answer);
    const message: ChatCompletion['choices'][number]['message'] = {
      role: 'assistant',
      content: answer.content,
      refusal: null,
    };
    if (answer.toolCalls) message.tool_calls = answer.toolCalls;
    return {
      ...frame,
      object: 'chat.completion',
      choices: [{ index: 0, message, finish_reason: answer.finishReason, logprobs: null }],
      usage: answer.usage,
      system_fingerprint: SIMULATED_FINGERPRINT,
    };
  }

  async *stream(
    request: ProviderRequest,
    options: CallOptions,
  ): AsyncGenerator<ChatCompletionChunk> {
    const answer = this.answer(request);
    const frame = this.frame(request, answer);
    await this.wait(this.options.latencyMs, options.signal);
    const chunks: ChatCompletionChunk[] = [makeChunk(frame, { role: 'assistant', content: '' })];
    for (const piece of splitInto(answer.content ?? '', 5))
      chunks.push(makeChunk(frame, { content: piece }));
    for (const [index, call] of (answer.toolCalls ?? []).entries()) {
      chunks.push(
        makeChunk(frame, {
          tool_calls: [
            {
              index,
              id: call.id,
              type: 'function',
              function: { name: call.function.name, arguments: '' },
            },
          ],
        }),
      );
      for (const piece of splitInto(call.function.arguments, 4)) {
        chunks.push(makeChunk(frame, { tool_calls: [{ index, function: { arguments: piece } }] }));
      }
    }
    chunks.push(makeChunk(frame, {}, answer.finishReason));
    chunks.push(makeUsageChunk(frame, answer.usage));
    for (const [index, chunk] of chunks.entries()) {
      if (index > 0) await this.wait(this.options.chunkDelayMs, options.signal);
      else this.checkAbort(options.signal);
      yield chunk;
    }
  }

  private answer(request: ProviderRequest): Answer {
    const messages = request.messages;
    const lastUser = [...messages].reverse().find((message) => message.role === 'user');
    const userText = contentText(lastUser?.content).trim();
    const seed = fnv1a(`${request.model}\n${userText}\n${messages.length}`);
    const promptTokens = approxPromptTokens(request);
    const max = request.max_completion_tokens;
    const last = messages[messages.length - 1];

    const tool = last?.role === 'tool' ? undefined : pickTool(request, userText);
    if (tool) {
      const args = JSON.stringify(
        placeholderFor(tool.function.parameters ?? { type: 'object' }, tool.function.name),
      );
      const name = tool.function.name;
      const full = approxTokens(name + args);
      const cut = full > max;
      const call: ToolCall = {
        id: `call_sim_${seed.toString(36)}`,
        type: 'function',
        function: {
          name,
          arguments: cut ? args.slice(0, Math.max(0, max * 4 - name.length)) : args,
        },
      };
      return {
        content: null,
        toolCalls: [call],
        finishReason: cut ? 'length' : 'tool_calls',
        usage: makeUsage(promptTokens, cut ? max : full),
        seed,
      };
    }

    let text = prose(seed, userText, last?.role === 'tool' ? contentText(last.content) : undefined);
    const format = request.response_format;
    if (format?.type === 'json_object') {
      text = JSON.stringify({ simulated: true, answer: text });
    } else if (format?.type === 'json_schema') {
      const schema = format.json_schema.schema;
      text = JSON.stringify(
        schema
          ? placeholderFor(schema, format.json_schema.name)
          : { simulated: true, answer: text },
      );
    }
    const full = approxTokens(text);
    const cut = full > max;
    return {
      content: cut ? text.slice(0, max * 4) : text,
      finishReason: cut ? 'length' : 'stop',
      usage: makeUsage(promptTokens, cut ? max : full),
      seed,
    };
  }

  private frame(request: ProviderRequest, answer: Answer): ChunkFrame {
    return {
      id: `chatcmpl-sim-${answer.seed.toString(36)}`,
      created: Math.floor(Date.now() / 1000),
      model: request.model,
    };
  }

  private checkAbort(signal: AbortSignal): void {
    if (signal.aborted) {
      throw new ProviderError(this.name, 'aborted', 'request aborted by the caller', {
        cause: signal.reason,
      });
    }
  }

  private async wait(ms: number | undefined, signal: AbortSignal): Promise<void> {
    this.checkAbort(signal);
    if (!ms || ms <= 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
    this.checkAbort(signal);
  }
}

/** The tool to call, if any: the named one, else one mentioned in the message, else the first. */
function pickTool(request: ProviderRequest, userText: string): ToolDefinition | undefined {
  const tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (tools.length === 0 || choice === 'none') return undefined;
  if (typeof choice === 'object')
    return tools.find((tool) => tool.function.name === choice.function.name);
  const lower = userText.toLowerCase();
  return tools.find((tool) => lower.includes(tool.function.name.toLowerCase())) ?? tools[0];
}

function prose(seed: number, userText: string, toolResult: string | undefined): string {
  const opening = OPENINGS[seed % OPENINGS.length] ?? '';
  const body = BODIES[(seed >>> 8) % BODIES.length] ?? '';
  if (toolResult !== undefined) {
    return `${opening} The tool returned ${quote(toolResult)}; a real model would now use it to answer. ${body}`;
  }
  const topic = userText === '' ? 'an empty message' : quote(userText);
  return `${opening} You asked about ${topic}. ${body}`;
}

function quote(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return `"${oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine}"`;
}

/** Splits a text into `parts` pieces of similar length (fewer for short texts). */
function splitInto(text: string, parts: number): string[] {
  if (text === '') return [];
  const size = Math.max(1, Math.ceil(text.length / parts));
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

type Schema = Record<string, unknown>;

function asSchema(value: unknown): Schema | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Schema)
    : undefined;
}

/**
 * A value valid for common JSON Schemas: objects get their required properties (all of them when
 * `required` is absent), strings a placeholder, numbers their minimum or 1, enums their first
 * value, arrays `minItems` items.
 */
export function placeholderFor(schemaValue: unknown, name: string, depth = 0): unknown {
  const schema = asSchema(schemaValue) ?? {};
  if (depth > 8) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('default' in schema) return schema.default;
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options: unknown = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      const usable: unknown =
        (options as unknown[]).find((option) => asSchema(option)?.type !== 'null') ?? options[0];
      return placeholderFor({ ...asSchema(usable), ...omit(schema, key) }, name, depth + 1);
    }
  }
  const types = Array.isArray(schema.type) ? (schema.type as unknown[]) : [schema.type];
  const type =
    types.find((candidate) => candidate !== 'null') ?? (schema.properties ? 'object' : types[0]);
  switch (type) {
    case 'object': {
      const properties = asSchema(schema.properties) ?? {};
      const required = Array.isArray(schema.required)
        ? schema.required.filter((key): key is string => typeof key === 'string')
        : Object.keys(properties);
      const value: Record<string, unknown> = {};
      for (const key of required) value[key] = placeholderFor(properties[key], key, depth + 1);
      return value;
    }
    case 'array': {
      const count = typeof schema.minItems === 'number' ? Math.max(schema.minItems, 0) : 0;
      return Array.from({ length: count }, () => placeholderFor(schema.items, name, depth + 1));
    }
    case 'integer':
    case 'number': {
      if (typeof schema.minimum === 'number')
        return type === 'integer' ? Math.ceil(schema.minimum) : schema.minimum;
      if (typeof schema.exclusiveMinimum === 'number')
        return Math.floor(schema.exclusiveMinimum) + 1;
      if (typeof schema.maximum === 'number' && schema.maximum < 1)
        return Math.floor(schema.maximum);
      return 1;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return placeholderString(schema, name);
  }
}

function placeholderString(schema: Schema, name: string): string {
  switch (schema.format) {
    case 'date-time':
      return '2024-01-01T00:00:00Z';
    case 'date':
      return '2024-01-01';
    case 'email':
      return 'simulated@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/simulated';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
  }
  let value = `simulated ${name}`;
  if (typeof schema.minLength === 'number' && value.length < schema.minLength) {
    value = value.padEnd(schema.minLength, '.');
  }
  if (typeof schema.maxLength === 'number') value = value.slice(0, schema.maxLength);
  return value;
}

function omit(schema: Schema, key: string): Schema {
  return Object.fromEntries(Object.entries(schema).filter(([name]) => name !== key));
}

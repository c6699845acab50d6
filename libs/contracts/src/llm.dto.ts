import { z } from 'zod';

/**
 * The OpenAI Chat Completions wire format the gateway speaks (requests, responses, stream
 * chunks). Every provider adapter translates to and from exactly these shapes.
 */

const TextPart = z.strictObject({ type: z.literal('text'), text: z.string().max(1_000_000) });
const ImagePart = z.strictObject({
  type: z.literal('image_url'),
  image_url: z.strictObject({
    url: z.string().max(20_000_000),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
});
export const ContentPart = z.discriminatedUnion('type', [TextPart, ImagePart]);
export type ContentPart = z.infer<typeof ContentPart>;

export const ToolCall = z.strictObject({
  id: z.string().min(1).max(200),
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string().min(1).max(200),
    arguments: z.string().max(1_000_000),
  }),
});
export type ToolCall = z.infer<typeof ToolCall>;

const Content = z.union([z.string().max(10_000_000), z.array(ContentPart).max(500)]);

export const ChatMessage = z.discriminatedUnion('role', [
  z.strictObject({
    role: z.literal('system'),
    content: Content,
    name: z.string().max(200).optional(),
  }),
  z.strictObject({
    role: z.literal('developer'),
    content: Content,
    name: z.string().max(200).optional(),
  }),
  z.strictObject({
    role: z.literal('user'),
    content: Content,
    name: z.string().max(200).optional(),
  }),
  z.strictObject({
    role: z.literal('assistant'),
    content: Content.nullable().optional(),
    name: z.string().max(200).optional(),
    tool_calls: z.array(ToolCall).max(128).optional(),
    refusal: z.string().nullable().optional(),
  }),
  z.strictObject({
    role: z.literal('tool'),
    content: Content,
    tool_call_id: z.string().min(1).max(200),
  }),
]);
export type ChatMessage = z.infer<typeof ChatMessage>;

const JsonSchemaObject = z.record(z.string(), z.unknown());

export const ToolDefinition = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'tool names are 1-64 letters, digits, _ or -'),
    description: z.string().max(10_000).optional(),
    parameters: JsonSchemaObject.optional(),
    strict: z.boolean().nullable().optional(),
  }),
});
export type ToolDefinition = z.infer<typeof ToolDefinition>;

export const ToolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({
    type: z.literal('function'),
    function: z.strictObject({ name: z.string().min(1).max(64) }),
  }),
]);
export type ToolChoice = z.infer<typeof ToolChoice>;

export const ResponseFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.strictObject({
      name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
      description: z.string().max(10_000).optional(),
      schema: JsonSchemaObject.optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormat>;

export const ChatCompletionRequest = z.strictObject({
  model: z.string().min(1).max(200),
  messages: z.array(ChatMessage).min(1).max(2_000),
  tools: z.array(ToolDefinition).max(128).optional(),
  tool_choice: ToolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: ResponseFormat.optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).max(1_000_000).nullable().optional(),
  stop: z
    .union([z.string().max(1_000), z.array(z.string().max(1_000)).max(4)])
    .nullable()
    .optional(),
  seed: z.number().int().nullable().optional(),
  n: z.literal(1).nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  user: z.string().max(256).optional(),
  metadata: z.record(z.string().max(64), z.string().max(512)).optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullable().optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: {
      role: 'assistant';
      content: string | null;
      tool_calls?: ToolCall[];
      refusal?: string | null;
    };
    finish_reason: FinishReason;
    logprobs: null;
  }[];
  usage: Usage;
  system_fingerprint?: string | null;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: {
    index: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      tool_calls?: ToolCallDelta[];
      refusal?: string | null;
    };
    finish_reason: FinishReason | null;
    logprobs?: null;
  }[];
  usage?: Usage | null;
}

/** Error codes of the gateway, in the OpenAI error shape `{ error: { message, type, code } }`. */
export const GATEWAY_ERROR_CODES = {
  invalid_request: { status: 400, type: 'invalid_request_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  permission_denied: { status: 403, type: 'permission_error' },
  model_not_allowed: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'not_found_error' },
  budget_exceeded: { status: 402, type: 'insufficient_quota' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  provider_unavailable: { status: 502, type: 'api_error' },
  service_unavailable: { status: 503, type: 'api_error' },
  internal_error: { status: 500, type: 'api_error' },
} as const;
export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_CODES;

export interface GatewayErrorBody {
  error: {
    message: string;
    type: string;
    code: GatewayErrorCode;
    param?: string | null;
    request_id: string;
  };
}

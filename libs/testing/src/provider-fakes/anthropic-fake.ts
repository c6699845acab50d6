import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  estimateFakeUsage,
  fakeDelay,
  FakeScript,
  splitText,
  toolArguments,
  type FakeOkStep,
  type FakeRequest,
  type FakeScriptEntry,
  type FakeStatusStep,
  type FakeStep,
  type FakeToolCall,
  type FakeUsage,
} from './fake-script';
import { readFakeRequest, sendFakeJson } from './fake-http';

/**
 * A local Anthropic Messages API (`POST /v1/messages`, JSON and SSE with the real event names),
 * so the official SDK runs unmodified against it, with scripted answers and injected faults.
 *
 * Step mapping: `finishReason` stop/length/tool_calls/content_filter become
 * end_turn/max_tokens/tool_use/refusal (any other value is sent verbatim, null sends no stop
 * reason and, when streaming, no message_delta nor message_stop). `usage.inputTokens` is the
 * whole prompt: `cachedInputTokens` of it are reported as cache reads and
 * `cacheCreationInputTokens` (AnthropicFakeUsage) as cache writes. `cut` and `malformed` count
 * SSE events (message_start, ping... included).
 */

export interface AnthropicFakeUsage extends FakeUsage {
  /** Part of inputTokens reported as `cache_creation_input_tokens`. */
  cacheCreationInputTokens?: number;
}

export interface AnthropicFakeOptions {
  /**
   * When set, requests without the key get a 401 authentication_error. The key is read from
   * `x-api-key` or `Authorization: Bearer` (how the SDK sends it since API version 2026-10-21).
   */
  apiKey?: string;
  /** What every request gets once the script queue is empty (default: a plain `ok`). */
  fallback?: FakeScriptEntry;
}

export interface AnthropicFake {
  /** Base URL for the SDK's `baseURL`, e.g. `http://127.0.0.1:40123` (paths start at /v1). */
  url: string;
  /** Every request received, in order. */
  requests: FakeRequest[];
  /** Appends one-shot steps (or responder functions), one per messages request. */
  script(...entries: FakeScriptEntry[]): void;
  setFallback(entry: FakeScriptEntry): void;
  /** Clears the script queue, the fallback and the recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_CONTENT = 'Hello from the Anthropic fake.';
const LONG_CONTENT =
  'This answer from the Anthropic fake is long enough to be split into many stream events, ' +
  'so that a fault can be injected somewhere in the middle of it.';

type Json = Record<string, unknown>;

export async function startAnthropicFake(
  options: AnthropicFakeOptions = {},
): Promise<AnthropicFake> {
  const script = new FakeScript(options.fallback);
  const requests: FakeRequest[] = [];
  let sequence = 0;

  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    void readFakeRequest(req).then(async (request) => {
      requests.push(request);
      sequence += 1;
      const requestId = `req_fake${sequence}`;
      res.setHeader('request-id', requestId);
      const path = request.path.split('?')[0] ?? '';
      if (options.apiKey !== undefined && apiKeyOf(request) !== options.apiKey) {
        sendFakeJson(res, 401, errorBody('authentication_error', 'invalid x-api-key', requestId));
      } else if (req.method === 'POST' && path === '/v1/messages') {
        await answer(res, request, script.next(request), `msg_fake${sequence}`, requestId);
      } else {
        const message = `Unknown route ${req.method ?? ''} ${path}`;
        sendFakeJson(res, 404, errorBody('not_found_error', message, requestId));
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...entries) => script.push(...entries),
    setFallback: (entry) => script.setFallback(entry),
    reset: () => {
      script.reset();
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(
  res: ServerResponse,
  request: FakeRequest,
  step: FakeStep,
  id: string,
  requestId: string,
): Promise<void> {
  const body = (
    typeof request.body === 'object' && request.body !== null ? request.body : {}
  ) as Json;
  const streaming = body.stream === true;
  const model = typeof body.model === 'string' ? body.model : 'claude-fake';

  switch (step.kind) {
    case 'timeout':
      return; // Never answer: the socket stays open until the client gives up or close().
    case 'status':
      return sendStatus(res, step, requestId);
    case 'ok': {
      await fakeDelay(step.delayMs);
      if (!streaming) return sendFakeJson(res, 200, messageBody(id, model, step, request.rawBody));
      return writeEvents(res, streamEvents(id, model, step, request.rawBody), step.chunkDelayMs);
    }
    case 'cut':
    case 'malformed': {
      const okStep: FakeOkStep = { kind: 'ok', content: step.content ?? LONG_CONTENT };
      if (!streaming) {
        const text = JSON.stringify(messageBody(id, model, okStep, request.rawBody));
        const partial = text.slice(0, Math.floor(text.length / 2));
        if (step.kind === 'malformed') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(partial);
        } else {
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(text)),
          });
          res.write(partial, () => res.destroy());
        }
        return;
      }
      const events = streamEvents(id, model, okStep, request.rawBody).slice(
        0,
        Math.max(0, step.afterChunks),
      );
      return writeEvents(res, events, step.chunkDelayMs, step.kind);
    }
  }
}

function apiKeyOf(request: FakeRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header;
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
  return bearer?.[1];
}

function sendStatus(res: ServerResponse, step: FakeStatusStep, requestId: string): Promise<void> {
  return fakeDelay(step.delayMs).then(() => {
    const headers: Record<string, string> = {};
    if (step.retryAfter !== undefined) headers['retry-after'] = String(step.retryAfter);
    if (step.retryAfterMs !== undefined) headers['retry-after-ms'] = String(step.retryAfterMs);
    if (typeof step.body === 'string') {
      res.writeHead(step.status, { ...headers, 'content-type': 'text/plain' });
      res.end(step.body);
      return;
    }
    const message = `Injected HTTP ${step.status} from the Anthropic fake.`;
    const body = step.body ?? errorBody(errorType(step.status), message, requestId);
    sendFakeJson(res, step.status, body, headers);
  });
}

/** The Anthropic error type the API uses for a status. */
function errorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

function errorBody(type: string, message: string, requestId: string): Json {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

function contentOf(step: FakeOkStep): string {
  if (step.content !== undefined) return step.content;
  return step.toolCalls?.length ? '' : DEFAULT_CONTENT;
}

function stopReasonOf(step: FakeOkStep): string | null {
  const finish =
    step.finishReason !== undefined
      ? step.finishReason
      : step.toolCalls?.length
        ? 'tool_calls'
        : 'stop';
  switch (finish) {
    case 'stop':
      return 'end_turn';
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return finish;
  }
}

function usageOf(step: FakeOkStep, rawRequest: string): Json | null {
  if (step.usage === null) return null;
  const answer =
    contentOf(step) +
    (step.toolCalls ?? []).map((call) => call.name + toolArguments(call)).join('');
  const usage: AnthropicFakeUsage = step.usage ?? estimateFakeUsage(rawRequest, answer);
  const cacheRead = usage.cachedInputTokens ?? 0;
  const cacheWrite = usage.cacheCreationInputTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.inputTokens - cacheRead - cacheWrite),
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    output_tokens: usage.outputTokens,
    service_tier: 'standard',
  };
}

function toolId(call: FakeToolCall, index: number): string {
  return call.id ?? `toolu_fake${index + 1}`;
}

function toolInput(call: FakeToolCall): unknown {
  if (typeof call.arguments !== 'string') return call.arguments;
  try {
    return JSON.parse(call.arguments) as unknown;
  } catch {
    return {};
  }
}

function messageBody(id: string, model: string, step: FakeOkStep, rawRequest: string): Json {
  const content: Json[] = [];
  const text = contentOf(step);
  if (text !== '') content.push({ type: 'text', text, citations: null });
  (step.toolCalls ?? []).forEach((call, index) => {
    content.push({
      type: 'tool_use',
      id: toolId(call, index),
      name: call.name,
      input: toolInput(call),
      caller: { type: 'direct' },
    });
  });
  const body: Json = {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    container: null,
    stop_reason: stopReasonOf(step),
    stop_sequence: null,
    stop_details: null,
  };
  const usage = usageOf(step, rawRequest);
  if (usage) body.usage = usage;
  return body;
}

interface SseEvent {
  event: string;
  data: Json;
}

function streamEvents(id: string, model: string, step: FakeOkStep, rawRequest: string): SseEvent[] {
  const usage = usageOf(step, rawRequest);
  const event = (type: string, data: Json): SseEvent => ({ event: type, data: { type, ...data } });
  const startUsage = usage ? { ...usage, output_tokens: 1 } : undefined;
  const events: SseEvent[] = [
    event('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        container: null,
        stop_reason: null,
        stop_sequence: null,
        stop_details: null,
        ...(startUsage ? { usage: startUsage } : {}),
      },
    }),
  ];
  let index = 0;
  const text = contentOf(step);
  if (text !== '') {
    events.push(
      event('content_block_start', { index, content_block: { type: 'text', text: '' } }),
      event('ping', {}),
    );
    for (const piece of splitText(text, step.chunkChars)) {
      events.push(
        event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }),
      );
    }
    events.push(event('content_block_stop', { index }));
    index += 1;
  }
  (step.toolCalls ?? []).forEach((call, position) => {
    const block = { type: 'tool_use', id: toolId(call, position), name: call.name, input: {} };
    events.push(event('content_block_start', { index, content_block: block }));
    for (const piece of splitText(toolArguments(call), 8)) {
      const delta = { type: 'input_json_delta', partial_json: piece };
      events.push(event('content_block_delta', { index, delta }));
    }
    events.push(event('content_block_stop', { index }));
    index += 1;
  });
  const stopReason = stopReasonOf(step);
  if (stopReason === null) return events;
  events.push(
    event('message_delta', {
      delta: { stop_reason: stopReason, stop_sequence: null, stop_details: null, container: null },
      ...(usage ? { usage } : {}),
    }),
    event('message_stop', {}),
  );
  return events;
}

async function writeEvents(
  res: ServerResponse,
  events: SseEvent[],
  chunkDelayMs: number | undefined,
  ending: 'end' | 'cut' | 'malformed' = 'end',
): Promise<void> {
  if (res.destroyed) return;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  for (const [index, item] of events.entries()) {
    if (index > 0) await fakeDelay(chunkDelayMs);
    if (res.destroyed) return;
    res.write(`event: ${item.event}\ndata: ${JSON.stringify(item.data)}\n\n`);
  }
  if (ending === 'cut') {
    await fakeDelay(chunkDelayMs);
    // Let the written events reach the client, then drop the connection without finishing.
    res.write('', () => res.socket?.destroy());
    return;
  }
  if (ending === 'malformed') {
    res.write('event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0,\n\n');
  }
  res.end();
}

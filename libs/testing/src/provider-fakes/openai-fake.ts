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
  type FakeUsage,
} from './fake-script';
import { readFakeRequest, sendFakeJson } from './fake-http';

/**
 * A local OpenAI Chat Completions server speaking the real wire format (JSON and SSE), so the
 * official SDK runs unmodified against it, with scripted answers and injected faults.
 */

export interface OpenAiFakeOptions {
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401. */
  apiKey?: string;
  /** Ids listed by `GET /v1/models`. */
  models?: string[];
  /** What every chat request gets once the script queue is empty (default: a plain `ok`). */
  fallback?: FakeScriptEntry;
}

export interface OpenAiFake {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:40123/v1`. */
  url: string;
  /** Every request received, in order (chat completions and model listings). */
  requests: FakeRequest[];
  /** Appends one-shot steps (or responder functions), one per chat completion request. */
  script(...entries: FakeScriptEntry[]): void;
  /** Sets what chat requests get once the queue is empty. */
  setFallback(entry: FakeScriptEntry): void;
  /** Clears the script queue, the fallback and the recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_CONTENT = 'Hello from the OpenAI fake.';
const LONG_CONTENT =
  'This answer from the OpenAI fake is long enough to be split into many stream chunks, ' +
  'so that a fault can be injected somewhere in the middle of it.';

type Json = Record<string, unknown>;

export async function startOpenAiFake(options: OpenAiFakeOptions = {}): Promise<OpenAiFake> {
  const script = new FakeScript(options.fallback);
  const requests: FakeRequest[] = [];
  const models = options.models ?? ['gpt-4o-mini', 'gpt-4o'];
  let sequence = 0;

  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    void readFakeRequest(req).then(async (request) => {
      requests.push(request);
      const path = request.path.split('?')[0] ?? '';
      if (
        options.apiKey !== undefined &&
        req.headers.authorization !== `Bearer ${options.apiKey}`
      ) {
        sendFakeJson(
          res,
          401,
          errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'),
        );
      } else if (req.method === 'GET' && path === '/v1/models') {
        const data = models.map((id) => ({
          id,
          object: 'model',
          created: 1_700_000_000,
          owned_by: 'openai-fake',
        }));
        sendFakeJson(res, 200, { object: 'list', data });
      } else if (req.method === 'POST' && path === '/v1/chat/completions') {
        sequence += 1;
        await answerChat(res, request, script.next(request), `chatcmpl-fake${sequence}`);
      } else {
        sendFakeJson(
          res,
          404,
          errorBody(
            `Unknown route ${req.method ?? ''} ${path}`,
            'invalid_request_error',
            'unknown_url',
          ),
        );
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
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

async function answerChat(
  res: ServerResponse,
  request: FakeRequest,
  step: FakeStep,
  id: string,
): Promise<void> {
  const body = (
    typeof request.body === 'object' && request.body !== null ? request.body : {}
  ) as Json;
  const streaming = body.stream === true;
  const includeUsage =
    typeof body.stream_options === 'object' &&
    body.stream_options !== null &&
    (body.stream_options as Json).include_usage === true;
  const frame = {
    id,
    created: Math.floor(Date.now() / 1000),
    model: typeof body.model === 'string' ? body.model : 'gpt-fake',
  };

  switch (step.kind) {
    case 'timeout':
      return; // Never answer: the socket stays open until the client gives up or close().
    case 'status':
      return sendStatus(res, step);
    case 'ok': {
      await fakeDelay(step.delayMs);
      if (!streaming) return sendFakeJson(res, 200, completionBody(frame, step, request.rawBody));
      const chunks = streamChunks(frame, step, request.rawBody, includeUsage);
      return writeStream(res, chunks, step.chunkDelayMs, 'done');
    }
    case 'cut':
    case 'malformed': {
      const okStep: FakeOkStep = { kind: 'ok', content: step.content ?? LONG_CONTENT };
      if (!streaming) {
        const text = JSON.stringify(completionBody(frame, okStep, request.rawBody));
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
      const chunks = streamChunks(frame, okStep, request.rawBody, includeUsage).slice(
        0,
        Math.max(0, step.afterChunks),
      );
      return writeStream(res, chunks, step.chunkDelayMs, step.kind === 'cut' ? 'cut' : 'malformed');
    }
  }
}

function sendStatus(res: ServerResponse, step: FakeStatusStep): Promise<void> {
  return fakeDelay(step.delayMs).then(() => {
    const headers: Record<string, string> = { 'x-request-id': `req_fake_${step.status}` };
    if (step.retryAfter !== undefined) headers['retry-after'] = String(step.retryAfter);
    if (step.retryAfterMs !== undefined) headers['retry-after-ms'] = String(step.retryAfterMs);
    if (typeof step.body === 'string') {
      res.writeHead(step.status, { ...headers, 'content-type': 'text/plain' });
      res.end(step.body);
      return;
    }
    const body =
      step.body ??
      errorBody(`Injected HTTP ${step.status} from the OpenAI fake.`, errorType(step.status), null);
    sendFakeJson(res, step.status, body, headers);
  });
}

function errorType(status: number): string {
  if (status === 429) return 'rate_limit_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function errorBody(message: string, type: string, code: string | null): Json {
  return { error: { message, type, param: null, code } };
}

function contentOf(step: FakeOkStep): string | null {
  if (step.content !== undefined) return step.content;
  return step.toolCalls?.length ? null : DEFAULT_CONTENT;
}

function finishOf(step: FakeOkStep): string | null {
  if (step.finishReason !== undefined) return step.finishReason;
  return step.toolCalls?.length ? 'tool_calls' : 'stop';
}

function usageOf(step: FakeOkStep, rawRequest: string): Json | null {
  if (step.usage === null) return null;
  const answer =
    (contentOf(step) ?? '') +
    (step.toolCalls ?? []).map((call) => call.name + toolArguments(call)).join('');
  const usage: FakeUsage = step.usage ?? estimateFakeUsage(rawRequest, answer);
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function toolCallsOf(step: FakeOkStep): Json[] {
  return (step.toolCalls ?? []).map((call, index) => ({
    id: call.id ?? `call_fake${index + 1}`,
    type: 'function',
    function: { name: call.name, arguments: toolArguments(call) },
  }));
}

interface Frame {
  id: string;
  created: number;
  model: string;
}

function completionBody(frame: Frame, step: FakeOkStep, rawRequest: string): Json {
  const message: Json = {
    role: 'assistant',
    content: contentOf(step),
    refusal: null,
    annotations: [],
  };
  const toolCalls = toolCallsOf(step);
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const body: Json = {
    ...frame,
    object: 'chat.completion',
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishOf(step) }],
    service_tier: 'default',
    system_fingerprint: 'fp_openai_fake',
  };
  const usage = usageOf(step, rawRequest);
  if (usage) body.usage = usage;
  return body;
}

function streamChunks(
  frame: Frame,
  step: FakeOkStep,
  rawRequest: string,
  includeUsage: boolean,
): Json[] {
  const base = {
    ...frame,
    object: 'chat.completion.chunk',
    service_tier: 'default',
    system_fingerprint: 'fp_openai_fake',
  };
  const chunk = (delta: Json, finishReason: string | null = null): Json => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const chunks: Json[] = [
    chunk({
      role: 'assistant',
      content: step.toolCalls?.length && step.content === undefined ? null : '',
      refusal: null,
    }),
  ];
  for (const piece of splitText(contentOf(step) ?? '', step.chunkChars))
    chunks.push(chunk({ content: piece }));
  toolCallsOf(step).forEach((call, index) => {
    const fn = call.function as { name: string; arguments: string };
    chunks.push(
      chunk({
        tool_calls: [
          { index, id: call.id, type: 'function', function: { name: fn.name, arguments: '' } },
        ],
      }),
    );
    for (const piece of splitText(fn.arguments, 8)) {
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  const finish = finishOf(step);
  if (finish !== null) chunks.push(chunk({}, finish));
  const usage = usageOf(step, rawRequest);
  if (includeUsage && usage) chunks.push({ ...base, choices: [], usage });
  return chunks;
}

async function writeStream(
  res: ServerResponse,
  chunks: Json[],
  chunkDelayMs: number | undefined,
  ending: 'done' | 'cut' | 'malformed',
): Promise<void> {
  if (res.destroyed) return;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  for (const [index, chunk] of chunks.entries()) {
    if (index > 0) await fakeDelay(chunkDelayMs);
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  if (ending === 'cut') {
    await fakeDelay(chunkDelayMs);
    // Let the written chunks reach the client, then drop the connection without finishing.
    res.write('', () => res.socket?.destroy());
    return;
  }
  if (ending === 'malformed') res.write('data: {"id": "chatcmpl-broken", "choices": [\n\n');
  res.end('data: [DONE]\n\n');
}

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
 * A local Gemini API (`POST /v1beta/models/{model}:generateContent` and
 * `:streamGenerateContent?alt=sse`) speaking the real wire format, so the official
 * @google/genai SDK runs unmodified against it, with scripted answers and injected faults.
 *
 * Step mapping: `finishReason` stop/tool_calls → STOP, length → MAX_TOKENS, content_filter →
 * SAFETY (any other value is sent verbatim, null sends none). Function calls are sent whole in
 * one chunk, with an `id` only when the step gives one. `usage.inputTokens` is the whole prompt
 * (`cachedInputTokens` of it as cachedContentTokenCount) and `outputTokens` the whole
 * completion (`thoughtsTokens`, GeminiFakeUsage, of it as thoughtsTokenCount). A 429 step with
 * `retryAfter` carries both a `Retry-After` header and a google.rpc.RetryInfo detail. With the
 * `apiKey` option, a wrong key gets Gemini's 400 INVALID_ARGUMENT / API_KEY_INVALID.
 */

export interface GeminiFakeUsage extends FakeUsage {
  /** Part of outputTokens reported as `thoughtsTokenCount`. */
  thoughtsTokens?: number;
}

export interface GeminiFakeOptions {
  /** When set, requests without `x-goog-api-key: <apiKey>` (or `?key=`) are refused. */
  apiKey?: string;
  /** What every request gets once the script queue is empty (default: a plain `ok`). */
  fallback?: FakeScriptEntry;
}

export interface GeminiFake {
  /** Base URL for the SDK's `httpOptions.baseUrl`, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Every request received, in order. */
  requests: FakeRequest[];
  /** Appends one-shot steps (or responder functions), one per generate request. */
  script(...entries: FakeScriptEntry[]): void;
  setFallback(entry: FakeScriptEntry): void;
  /** Clears the script queue, the fallback and the recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_CONTENT = 'Hello from the Gemini fake.';
const LONG_CONTENT =
  'This answer from the Gemini fake is long enough to be split into many stream chunks, ' +
  'so that a fault can be injected somewhere in the middle of it.';
const ROUTE = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

type Json = Record<string, unknown>;

export async function startGeminiFake(options: GeminiFakeOptions = {}): Promise<GeminiFake> {
  const script = new FakeScript(options.fallback);
  const requests: FakeRequest[] = [];
  let sequence = 0;

  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    void readFakeRequest(req).then(async (request) => {
      requests.push(request);
      const url = new URL(request.path, 'http://fake');
      const route = ROUTE.exec(url.pathname);
      const key = req.headers['x-goog-api-key'] ?? url.searchParams.get('key');
      if (options.apiKey !== undefined && key !== options.apiKey) {
        sendGeminiJson(res, 400, apiKeyInvalidBody());
      } else if (req.method === 'POST' && route) {
        sequence += 1;
        const streaming = route[3] === 'streamGenerateContent';
        const frame: Frame = { model: route[2] ?? 'gemini-fake', responseId: `fake${sequence}` };
        await answer(res, request, script.next(request), frame, streaming);
      } else {
        const message = `Unknown route ${req.method ?? ''} ${url.pathname}`;
        sendGeminiJson(res, 404, errorBody(404, message));
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

interface Frame {
  model: string;
  responseId: string;
}

async function answer(
  res: ServerResponse,
  request: FakeRequest,
  step: FakeStep,
  frame: Frame,
  streaming: boolean,
): Promise<void> {
  switch (step.kind) {
    case 'timeout':
      return; // Never answer: the socket stays open until the client gives up or close().
    case 'status':
      return sendStatus(res, step);
    case 'ok': {
      await fakeDelay(step.delayMs);
      if (!streaming) return sendGeminiJson(res, 200, responseBody(frame, step, request.rawBody));
      return writeStream(res, streamChunks(frame, step, request.rawBody), step.chunkDelayMs);
    }
    case 'cut':
    case 'malformed': {
      const okStep: FakeOkStep = { kind: 'ok', content: step.content ?? LONG_CONTENT };
      if (!streaming) {
        const text = JSON.stringify(responseBody(frame, okStep, request.rawBody));
        const partial = text.slice(0, Math.floor(text.length / 2));
        if (step.kind === 'malformed') {
          res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
          res.end(partial);
        } else {
          res.writeHead(200, {
            'content-type': 'application/json; charset=UTF-8',
            'content-length': String(Buffer.byteLength(text)),
          });
          res.write(partial, () => res.destroy());
        }
        return;
      }
      const chunks = streamChunks(frame, okStep, request.rawBody).slice(
        0,
        Math.max(0, step.afterChunks),
      );
      return writeStream(res, chunks, step.chunkDelayMs, step.kind);
    }
  }
}

function sendStatus(res: ServerResponse, step: FakeStatusStep): Promise<void> {
  return fakeDelay(step.delayMs).then(() => {
    const headers: Record<string, string> = {};
    if (step.retryAfter !== undefined) headers['retry-after'] = String(step.retryAfter);
    if (typeof step.body === 'string') {
      res.writeHead(step.status, { ...headers, 'content-type': 'text/plain' });
      res.end(step.body);
      return;
    }
    const message = `Injected HTTP ${step.status} from the Gemini fake.`;
    const details =
      step.retryAfter !== undefined
        ? [
            {
              '@type': 'type.googleapis.com/google.rpc.RetryInfo',
              retryDelay: `${step.retryAfter}s`,
            },
          ]
        : undefined;
    sendGeminiJson(
      res,
      step.status,
      step.body ?? errorBody(step.status, message, details),
      headers,
    );
  });
}

function errorBody(code: number, message: string, details?: Json[]): Json {
  const status = STATUS_NAMES[code] ?? (code >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

function apiKeyInvalidBody(): Json {
  return errorBody(400, 'API key not valid. Please pass a valid API key.', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'API_KEY_INVALID',
      domain: 'googleapis.com',
    },
  ]);
}

function contentOf(step: FakeOkStep): string {
  if (step.content !== undefined) return step.content;
  return step.toolCalls?.length ? '' : DEFAULT_CONTENT;
}

function finishReasonOf(step: FakeOkStep): string | null {
  const finish = step.finishReason !== undefined ? step.finishReason : 'stop';
  switch (finish) {
    case 'stop':
    case 'tool_calls':
      return 'STOP';
    case 'length':
      return 'MAX_TOKENS';
    case 'content_filter':
      return 'SAFETY';
    default:
      return finish;
  }
}

function usageOf(step: FakeOkStep, rawRequest: string): Json | null {
  if (step.usage === null) return null;
  const answer =
    contentOf(step) +
    (step.toolCalls ?? []).map((call) => call.name + toolArguments(call)).join('');
  const usage: GeminiFakeUsage = step.usage ?? estimateFakeUsage(rawRequest, answer);
  const thoughts = usage.thoughtsTokens ?? 0;
  const metadata: Json = {
    promptTokenCount: usage.inputTokens,
    candidatesTokenCount: Math.max(0, usage.outputTokens - thoughts),
    totalTokenCount: usage.inputTokens + usage.outputTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: usage.inputTokens }],
  };
  if (usage.cachedInputTokens) metadata.cachedContentTokenCount = usage.cachedInputTokens;
  if (thoughts) metadata.thoughtsTokenCount = thoughts;
  return metadata;
}

function functionCallPart(call: FakeToolCall): Json {
  let args: unknown = call.arguments;
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args) as unknown;
    } catch {
      args = {};
    }
  }
  const functionCall: Json = { name: call.name, args };
  if (call.id !== undefined) functionCall.id = call.id;
  return { functionCall };
}

function candidate(parts: Json[], finishReason: string | null): Json {
  const out: Json = { content: { parts, role: 'model' }, index: 0 };
  if (finishReason !== null) out.finishReason = finishReason;
  return out;
}

function responseBody(frame: Frame, step: FakeOkStep, rawRequest: string): Json {
  const parts: Json[] = [];
  const text = contentOf(step);
  if (text !== '') parts.push({ text });
  for (const call of step.toolCalls ?? []) parts.push(functionCallPart(call));
  const body: Json = {
    candidates: [candidate(parts, finishReasonOf(step))],
    modelVersion: frame.model,
    responseId: frame.responseId,
  };
  const usage = usageOf(step, rawRequest);
  if (usage) body.usageMetadata = usage;
  return body;
}

/** One GenerateContentResponse per text piece; calls whole; the last chunk has finish+usage. */
function streamChunks(frame: Frame, step: FakeOkStep, rawRequest: string): Json[] {
  const usage = usageOf(step, rawRequest);
  const partial =
    usage && typeof usage.promptTokenCount === 'number'
      ? { promptTokenCount: usage.promptTokenCount, totalTokenCount: usage.promptTokenCount }
      : undefined;
  const pieces: Json[][] = splitText(contentOf(step), step.chunkChars).map((text) => [{ text }]);
  const calls = (step.toolCalls ?? []).map(functionCallPart);
  if (calls.length > 0) pieces.push(calls);
  if (pieces.length === 0) pieces.push([{ text: '' }]);
  return pieces.map((parts, index) => {
    const last = index === pieces.length - 1;
    const chunk: Json = {
      candidates: [candidate(parts, last ? finishReasonOf(step) : null)],
      modelVersion: frame.model,
      responseId: frame.responseId,
    };
    const metadata = last ? usage : partial;
    if (metadata) chunk.usageMetadata = metadata;
    return chunk;
  });
}

async function writeStream(
  res: ServerResponse,
  chunks: Json[],
  chunkDelayMs: number | undefined,
  ending: 'end' | 'cut' | 'malformed' = 'end',
): Promise<void> {
  if (res.destroyed) return;
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  for (const [index, chunk] of chunks.entries()) {
    if (index > 0) await fakeDelay(chunkDelayMs);
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
  }
  if (ending === 'cut') {
    await fakeDelay(chunkDelayMs);
    // Let the written chunks reach the client, then drop the connection without finishing.
    res.write('', () => res.socket?.destroy());
    return;
  }
  if (ending === 'malformed') res.write('data: {"candidates": [{"content": \r\n\r\n');
  res.end();
}

function sendGeminiJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendFakeJson(res, status, body, headers, 'application/json; charset=UTF-8');
}

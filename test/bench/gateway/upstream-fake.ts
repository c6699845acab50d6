// A deliberately lean OpenAI Chat Completions upstream for the gateway benchmark, run as its own
// process (`node dist/test/bench/gateway/upstream-fake.js`) so it never shares an event loop
// with the load generator. Every chat request gets the same precomputed answer: a fixed JSON
// completion, or a fixed SSE stream (role chunk, 8 content chunks, finish chunk, a usage chunk
// when `stream_options.include_usage` is asked for, `[DONE]`). The artificial upstream delay
// (time to response headers and first token) is switched at run time with
// `POST /__delay/<ms>`, so every system under test talks to the same upstream at the same delay.
// On start it prints `{"port":<n>}` on stdout.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const CREATED = 1_700_000_000;
const ID = 'chatcmpl-benchfake';
const WORDS = ['Hello', '!', ' How', ' can', ' I', ' help', ' you', ' today?'];
const CONTENT = WORDS.join('');
const USAGE = {
  prompt_tokens: 12,
  completion_tokens: WORDS.length,
  total_tokens: 12 + WORDS.length,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
};

function completion(model: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: ID,
      object: 'chat.completion',
      created: CREATED,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: CONTENT, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: USAGE,
      service_tier: 'default',
      system_fingerprint: 'fp_bench_fake',
    }),
  );
}

/** The SSE frames of the fixed stream, one Buffer per frame (written one by one). */
function streamFrames(model: string, includeUsage: boolean): Buffer[] {
  const base = {
    id: ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    service_tier: 'default',
    system_fingerprint: 'fp_bench_fake',
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const chunks: unknown[] = [
    chunk({ role: 'assistant', content: '', refusal: null }),
    ...WORDS.map((word) => chunk({ content: word })),
    chunk({}, 'stop'),
  ];
  if (includeUsage) chunks.push({ ...base, choices: [], usage: USAGE });
  return [
    ...chunks.map((c) => Buffer.from(`data: ${JSON.stringify(c)}\n\n`)),
    Buffer.from('data: [DONE]\n\n'),
  ];
}

// The answers do not depend on the request beyond these three facts, so they are built once.
const MODEL = 'gpt-4o-mini';
const JSON_BODY = completion(MODEL);
const JSON_HEADERS = {
  'content-type': 'application/json',
  'content-length': String(JSON_BODY.length),
  'openai-processing-ms': '1',
  'x-request-id': 'req_benchfake',
};
const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-request-id': 'req_benchfake',
};
const FRAMES = { plain: streamFrames(MODEL, false), withUsage: streamFrames(MODEL, true) };
const STREAM_FLAG = /"stream"\s*:\s*true/;
const USAGE_FLAG = /"include_usage"\s*:\s*true/;

let delayMs = 0;
let served = 0;

function answer(res: ServerResponse, body: string): void {
  served += 1;
  if (!STREAM_FLAG.test(body)) {
    res.writeHead(200, JSON_HEADERS);
    res.end(JSON_BODY);
    return;
  }
  res.writeHead(200, STREAM_HEADERS);
  const frames = USAGE_FLAG.test(body) ? FRAMES.withUsage : FRAMES.plain;
  for (let i = 0; i < frames.length - 1; i++) res.write(frames[i]);
  res.end(frames[frames.length - 1]);
}

function onChat(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (part: string) => (body += part));
  req.on('end', () => {
    if (delayMs > 0) setTimeout(answer, delayMs, res, body);
    else answer(res, body);
  });
}

const server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  res.on('error', () => undefined);
  const url = req.url ?? '/';
  if (req.method === 'POST' && url.endsWith('/chat/completions')) return onChat(req, res);
  req.resume();
  if (req.method === 'POST' && url.startsWith('/__delay/')) {
    delayMs = Math.max(0, Number(url.slice('/__delay/'.length)) || 0);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ delayMs }));
  } else if (req.method === 'GET' && url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ delayMs, served }));
  } else {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
  }
});
server.headersTimeout = 0;
server.requestTimeout = 0;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});

import type { ChatCompletion, ChatCompletionChunk, GatewayErrorBody } from '@gnomon/contracts';
import type { FastifyReply } from 'fastify';

/** Starts an SSE response on the raw socket (Fastify's reply is bypassed for streaming). */
export function startEventStream(reply: FastifyReply, headers: Record<string, string>): void {
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    trailer: 'x-gnomon-cost-micros',
    ...headers,
  });
}

/**
 * Chunks that arrive together (one upstream read often holds several SSE frames) leave in one
 * socket write: the response is corked until the current tick ends. Socket writes were the
 * gateway's largest self-time item under load (docs/benchmarks.md).
 */
export function writeChunk(reply: FastifyReply, chunk: ChatCompletionChunk): void {
  const raw = reply.raw;
  if (raw.writableCorked === 0) {
    raw.cork();
    process.nextTick(() => {
      if (raw.writableCorked > 0) raw.uncork();
    });
  }
  raw.write(`data: ${JSON.stringify(chunk)}\n\n`);
}

/** Uncorks what writeChunk corked, before the response ends (end() must not meet a cork). */
function flush(reply: FastifyReply): void {
  while (reply.raw.writableCorked > 0) reply.raw.uncork();
}

/** A clean end: the cost as a trailer (and an SSE comment), then the OpenAI terminator. */
export function endEventStream(reply: FastifyReply, costMicros: number): void {
  flush(reply);
  reply.raw.write(`: gnomon cost_micros=${costMicros}\n\ndata: [DONE]\n\n`);
  reply.raw.addTrailers({ 'x-gnomon-cost-micros': String(costMicros) });
  reply.raw.end();
}

/**
 * A failure after streaming began: an explicit error event and no `[DONE]`, so no client can
 * mistake a truncated answer for a complete one.
 */
export function failEventStream(
  reply: FastifyReply,
  body: GatewayErrorBody,
  costMicros: number,
): void {
  if (reply.raw.writableEnded) return;
  flush(reply);
  reply.raw.write(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
  reply.raw.addTrailers({ 'x-gnomon-cost-micros': String(costMicros) });
  reply.raw.end();
}

/** Replays a stored completion (Idempotency-Key repeat) as a stream. */
export function replayAsStream(
  reply: FastifyReply,
  headers: Record<string, string>,
  completion: ChatCompletion,
  includeUsage: boolean,
): void {
  startEventStream(reply, headers);
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk' as const,
    created: completion.created,
    model: completion.model,
  };
  const choice = completion.choices[0];
  writeChunk(reply, {
    ...base,
    choices: [
      {
        index: 0,
        delta: {
          role: 'assistant',
          content: choice.message.content,
          ...(choice.message.tool_calls
            ? { tool_calls: choice.message.tool_calls.map((call, index) => ({ index, ...call })) }
            : {}),
        },
        finish_reason: choice.finish_reason,
      },
    ],
  });
  if (includeUsage) writeChunk(reply, { ...base, choices: [], usage: completion.usage });
  endEventStream(reply, Number(headers['x-gnomon-cost-micros'] ?? 0));
}

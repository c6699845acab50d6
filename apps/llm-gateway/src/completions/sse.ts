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

export function writeChunk(reply: FastifyReply, chunk: ChatCompletionChunk): void {
  reply.raw.write(`data: ${JSON.stringify(chunk)}\n\n`);
}

/** A clean end: the cost as a trailer (and an SSE comment), then the OpenAI terminator. */
export function endEventStream(reply: FastifyReply, costMicros: number): void {
  reply.raw.write(`: gnomon cost_micros=${costMicros}\n\n`);
  reply.raw.write('data: [DONE]\n\n');
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

import { Injectable } from '@nestjs/common';
import type { ChatCompletion, ChatCompletionChunk, ToolCall, Usage } from '@gnomon/contracts';
import { costOf } from '@gnomon/llm';
import type { FastifyReply } from 'fastify';
import { GatewayError } from '../platform/gateway-error';
import type { UsageEvent } from '../usage/usage-event';
import { UsageRecorder } from '../usage/usage-recorder';
import type { AdmittedCall } from './admission';
import { CallExecutor, triedProvider, type AttemptCount, type OpenedStream } from './call-executor';
import { billedUsage, responseHeaders } from './billing';
import { errorCodeOf, toGatewayError } from './provider-failure';
import { endEventStream, failEventStream, startEventStream, writeChunk } from './sse';

/** Accumulates what a stream produced, to bill it and to store it for idempotent replays. */
class StreamTally {
  content = '';
  finishReason: ChatCompletion['choices'][0]['finish_reason'] = 'stop';
  usage: Usage | null = null;
  readonly toolCalls = new Map<number, ToolCall>();
  id = '';
  created = 0;
  model = '';

  add(chunk: ChatCompletionChunk): void {
    this.id ||= chunk.id;
    this.created ||= chunk.created;
    this.model ||= chunk.model;
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices) {
      if (choice.delta.content) this.content += choice.delta.content;
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
      for (const delta of choice.delta.tool_calls ?? []) {
        const call = this.toolCalls.get(delta.index) ?? {
          id: '',
          type: 'function' as const,
          function: { name: '', arguments: '' },
        };
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.function.name += delta.function.name;
        if (delta.function?.arguments) call.function.arguments += delta.function.arguments;
        this.toolCalls.set(delta.index, call);
      }
    }
  }

  /** Output tokens so far when the provider never reported usage (≈4 characters a token). */
  estimatedOutputTokens(): number {
    let chars = this.content.length;
    for (const call of this.toolCalls.values())
      chars += call.function.name.length + call.function.arguments.length;
    return Math.ceil(chars / 4);
  }

  completion(usage: Usage): ChatCompletion {
    const toolCalls = [...this.toolCalls.values()];
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: this.content || null,
            ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: this.finishReason,
          logprobs: null,
        },
      ],
      usage,
    };
  }
}

/**
 * The streaming path. Failover happens only until the first token; after it, a failure ends the
 * stream with an explicit error event. A client that disconnects aborts the upstream call and is
 * billed for what was generated so far.
 */
@Injectable()
export class CompletionStreamer {
  constructor(
    private readonly executor: CallExecutor,
    private readonly usage: UsageRecorder,
  ) {}

  /** Returns what to store for idempotent replays when the stream completed cleanly. */
  async stream(
    call: AdmittedCall,
    reply: FastifyReply,
    clientGone: AbortSignal,
  ): Promise<{ completion: ChatCompletion; headers: Record<string, string> } | null> {
    const event: UsageEvent = { ...call.event };
    let opened: OpenedStream;
    const count: AttemptCount = { attempts: 0 };
    try {
      opened = await this.executor.openStream(call, clientGone, count);
    } catch (error) {
      Object.assign(event, {
        ...triedProvider(count),
        status: clientGone.aborted ? 'ABORTED' : 'FAILED',
        errorCode: clientGone.aborted ? 'client_disconnected' : errorCodeOf(error),
        attempts: count.attempts,
        latencyMs: Date.now() - call.startedAt,
      });
      await this.usage.settle(call.reservationId, event);
      throw toGatewayError(error); // nothing sent yet: a normal JSON error response
    }
    const { target } = opened;
    Object.assign(event, {
      provider: target.provider,
      providerModel: target.model,
      simulated: target.provider === 'simulated',
      attempts: opened.attempts,
      ttftMs: opened.ttftMs,
    });
    const includeUsage = call.request.stream_options?.include_usage === true;
    const tally = new StreamTally();
    const headers = {
      ...call.rateLimitHeaders,
      ...responseHeaders(call.event.requestId, target, call.plan.reserveMicros),
    };
    delete headers['x-gnomon-cost-micros']; // known only at the end: sent as a trailer
    startEventStream(reply, {
      ...headers,
      'x-gnomon-cost-reserved-micros': String(call.plan.reserveMicros),
    });
    const forward = (chunk: ChatCompletionChunk) => {
      tally.add(chunk);
      const usageOnly = chunk.choices.length === 0 && chunk.usage;
      if (usageOnly && !includeUsage) return;
      writeChunk(reply, includeUsage || !chunk.usage ? chunk : { ...chunk, usage: undefined });
    };
    try {
      for (const chunk of opened.head) forward(chunk);
      for (;;) {
        const next = await opened.rest.next();
        if (next.done) break;
        forward(next.value);
      }
      opened.end();
      const usage = tally.usage ?? this.estimate(call, tally);
      const billed = billedUsage(target, usage);
      Object.assign(event, billed, { status: 'SUCCEEDED', latencyMs: Date.now() - call.startedAt });
      await this.usage.settle(call.reservationId, event);
      endEventStream(reply, billed.costMicros);
      return {
        completion: tally.completion(usage),
        headers: { ...headers, 'x-gnomon-cost-micros': String(billed.costMicros) },
      };
    } catch (error) {
      opened.abort();
      // The breaker counts the provider's faults, not the client leaving.
      opened.end(clientGone.aborted ? undefined : error);
      // Bill what was generated: the provider's usage if it got that far, else an estimate.
      const usage = tally.usage ?? this.estimate(call, tally);
      const costMicros = costOf(target.entry, {
        ...usage,
        cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
      });
      Object.assign(event, {
        inputTokens: usage.prompt_tokens,
        outputTokens: usage.completion_tokens,
        costMicros,
        status: clientGone.aborted ? 'ABORTED' : 'FAILED',
        errorCode: clientGone.aborted ? 'client_disconnected' : errorCodeOf(error),
        latencyMs: Date.now() - call.startedAt,
      });
      await this.usage.settle(call.reservationId, event);
      // The stream had started on this provider: no "no provider could serve" wording here.
      const failure = new GatewayError(
        'provider_unavailable',
        `the ${target.provider} stream failed after it started: ${error instanceof Error ? error.message : String(error)}`,
      );
      failEventStream(reply, failure.body(call.event.requestId), costMicros);
      return null;
    }
  }

  private estimate(call: AdmittedCall, tally: StreamTally): Usage {
    const completion = tally.estimatedOutputTokens();
    return {
      prompt_tokens: call.plan.promptTokens,
      completion_tokens: completion,
      total_tokens: call.plan.promptTokens + completion,
    };
  }
}

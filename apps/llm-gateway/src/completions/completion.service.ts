import { Injectable } from '@nestjs/common';
import type { ChatCompletion, ChatCompletionRequest } from '@gnomon/contracts';
import type { FastifyReply } from 'fastify';
import type { GatewayCaller } from '../auth/gateway-auth';
import { GatewayError } from '../platform/gateway-error';
import type { UsageEvent } from '../usage/usage-event';
import { UsageRecorder } from '../usage/usage-recorder';
import { Admission, type AdmittedCall } from './admission';
import { billedUsage, responseHeaders } from './billing';
import { CallExecutor } from './call-executor';
import { CompletionStreamer } from './completion-streamer';
import { IdempotencyStore } from './idempotency.store';
import { errorCodeOf, toGatewayError } from './provider-failure';
import { replayAsStream } from './sse';

export interface CallMeta {
  requestId: string;
  idempotencyKey: string | null;
}

/**
 * POST /v1/chat/completions: idempotency, admission (limits + budget reservation), the call
 * with failover, and the settlement that bills what was really used.
 */
@Injectable()
export class CompletionService {
  constructor(
    private readonly admission: Admission,
    private readonly executor: CallExecutor,
    private readonly streamer: CompletionStreamer,
    private readonly usage: UsageRecorder,
    private readonly idempotency: IdempotencyStore,
  ) {}

  async handle(
    caller: GatewayCaller,
    request: ChatCompletionRequest,
    meta: CallMeta,
    reply: FastifyReply,
  ): Promise<void> {
    const claim = meta.idempotencyKey
      ? await this.idempotency.claim(caller.tenant.tenantId, meta.idempotencyKey, request)
      : null;
    if (claim?.kind === 'replay') {
      const headers = {
        ...claim.result.headers,
        'x-request-id': meta.requestId,
        'x-gnomon-idempotent-replay': 'true',
      };
      if (request.stream)
        replayAsStream(
          reply,
          headers,
          claim.result.completion,
          request.stream_options?.include_usage === true,
        );
      else await reply.status(200).headers(headers).send(claim.result.completion);
      return;
    }
    if (claim?.kind === 'in_progress')
      throw new GatewayError(
        'invalid_request',
        'a request with this Idempotency-Key is still in progress',
        { 'retry-after': '1' },
        'Idempotency-Key',
      );
    if (claim?.kind === 'mismatch')
      throw new GatewayError(
        'invalid_request',
        'this Idempotency-Key was used with a different request',
        {},
        'Idempotency-Key',
      );

    const clientGone = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) clientGone.abort();
    });
    let call: AdmittedCall;
    try {
      call = await this.admission.admit(caller, request, meta);
    } catch (error) {
      if (claim?.kind === 'claimed') await claim.release();
      throw error;
    }
    if (request.stream) {
      const result = await this.streamer.stream(call, reply, clientGone.signal);
      if (claim?.kind === 'claimed') {
        if (result) await claim.complete(result);
        else await claim.release();
      }
      return;
    }
    const outcome = await this.completeOnce(call, clientGone.signal);
    if (claim?.kind === 'claimed') {
      if ('completion' in outcome)
        await claim.complete({ completion: outcome.completion, headers: outcome.headers });
      else await claim.release();
    }
    if ('error' in outcome) throw outcome.error;
    await reply.status(200).headers(outcome.headers).send(outcome.completion);
  }

  private async completeOnce(
    call: AdmittedCall,
    signal: AbortSignal,
  ): Promise<
    { completion: ChatCompletion; headers: Record<string, string> } | { error: GatewayError }
  > {
    const event: UsageEvent = { ...call.event };
    try {
      const done = await this.executor.complete(call, signal);
      const billed = billedUsage(done.target, done.completion.usage);
      Object.assign(event, billed, {
        status: 'SUCCEEDED',
        provider: done.target.provider,
        providerModel: done.target.model,
        simulated: done.target.provider === 'simulated',
        attempts: done.attempts,
        latencyMs: Date.now() - call.startedAt,
      });
      await this.usage.settle(call.reservationId, event);
      return {
        completion: done.completion,
        headers: {
          ...call.rateLimitHeaders,
          ...responseHeaders(call.event.requestId, done.target, billed.costMicros),
        },
      };
    } catch (error) {
      const aborted = signal.aborted;
      Object.assign(event, {
        status: aborted ? 'ABORTED' : 'FAILED',
        errorCode: aborted ? 'client_disconnected' : errorCodeOf(error),
        latencyMs: Date.now() - call.startedAt,
      });
      await this.usage.settle(call.reservationId, event);
      return { error: toGatewayError(error) };
    }
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { ChatCompletion, ChatCompletionRequest } from '@gnomon/contracts';
import type { Logger } from '@gnomon/observability';
import type { FastifyReply } from 'fastify';
import type { GatewayCaller } from '../auth/gateway-auth';
import { GatewayError } from '../platform/gateway-error';
import { LOGGER } from '../platform/tokens';
import type { UsageEvent } from '../usage/usage-event';
import { UsageRecorder } from '../usage/usage-recorder';
import { Admission, type AdmittedCall } from './admission';
import { billedUsage, responseHeaders } from './billing';
import { CallExecutor, triedProvider, type AttemptCount } from './call-executor';
import { CompletionStreamer } from './completion-streamer';
import { IdempotencyStore, type Claim, type StoredResult } from './idempotency.store';
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
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(
    caller: GatewayCaller,
    request: ChatCompletionRequest,
    meta: CallMeta,
    reply: FastifyReply,
  ): Promise<void> {
    const claim = meta.idempotencyKey
      ? await this.claim(caller.tenant.tenantId, meta.idempotencyKey, request)
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
      if (claim?.kind === 'claimed') await this.finish(claim, null);
      throw error;
    }
    if (request.stream) {
      let result: Awaited<ReturnType<CompletionStreamer['stream']>> = null;
      try {
        result = await this.streamer.stream(call, reply, clientGone.signal);
      } finally {
        // Also when no provider could open the stream (it throws): a retry must run again.
        if (claim?.kind === 'claimed') await this.finish(claim, result);
      }
      return;
    }
    const outcome = await this.completeOnce(call, clientGone.signal);
    if (claim?.kind === 'claimed')
      await this.finish(claim, 'completion' in outcome ? outcome : null);
    if ('error' in outcome) throw outcome.error;
    await reply.status(200).headers(outcome.headers).send(outcome.completion);
  }

  /**
   * Idempotency records are hot-path state like the budgets: when their store fails (Redis
   * unreachable), calls with a key are refused as unavailable, never run unprotected.
   */
  private async claim(tenantId: string, key: string, request: ChatCompletionRequest) {
    try {
      return await this.idempotency.claim(tenantId, key, request);
    } catch (error) {
      this.logger.warn({ err: error, tenantId }, 'idempotency store unavailable');
      throw new GatewayError(
        'service_unavailable',
        'the Idempotency-Key store is unavailable; retry shortly',
        { 'retry-after': '1' },
      );
    }
  }

  /**
   * Stores the result for repeats (or frees the key after a failure). Best effort: the call
   * has run and been billed, so a store failure must not turn its answer into an error (which
   * would invite a retry, billed again); the unfinished claim lapses on its own.
   */
  private async finish(
    claim: Extract<Claim, { kind: 'claimed' }>,
    result: Omit<StoredResult, 'requestHash'> | null,
  ): Promise<void> {
    try {
      if (result) await claim.complete({ completion: result.completion, headers: result.headers });
      else await claim.release();
    } catch (error) {
      this.logger.error({ err: error }, 'could not record an idempotent result');
    }
  }

  private async completeOnce(
    call: AdmittedCall,
    signal: AbortSignal,
  ): Promise<
    { completion: ChatCompletion; headers: Record<string, string> } | { error: GatewayError }
  > {
    const event: UsageEvent = { ...call.event };
    const count: AttemptCount = { attempts: 0 };
    try {
      const done = await this.executor.complete(call, signal, count);
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
        ...triedProvider(count),
        status: aborted ? 'ABORTED' : 'FAILED',
        errorCode: aborted ? 'client_disconnected' : errorCodeOf(error),
        attempts: count.attempts,
        latencyMs: Date.now() - call.startedAt,
      });
      await this.usage.settle(call.reservationId, event);
      return { error: toGatewayError(error) };
    }
  }
}

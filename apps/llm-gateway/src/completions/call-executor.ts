import { Inject, Injectable } from '@nestjs/common';
import type { ChatCompletion, ChatCompletionChunk } from '@gnomon/contracts';
import { ProviderBreakers, runWithFailover } from '@gnomon/governance';
import { ProviderError, type ProviderAdapter, type RouteTarget } from '@gnomon/llm';
import type { GatewayConfig } from '../config/gateway.config';
import { GATEWAY_CONFIG, PROVIDERS } from '../platform/tokens';
import type { AdmittedCall } from './admission';
import { providerRequest } from './call-plan';

export interface CompletedCall {
  completion: ChatCompletion;
  target: RouteTarget;
  attempts: number;
}

/** A stream that has produced its first token: failover is over from here on. */
export interface OpenedStream {
  target: RouteTarget;
  attempts: number;
  ttftMs: number;
  /** Chunks read while waiting for the first token. */
  head: ChatCompletionChunk[];
  rest: AsyncIterator<ChatCompletionChunk>;
  /** Aborts the upstream call (client gone, deadline). */
  abort(): void;
}

function hasToken(chunk: ChatCompletionChunk): boolean {
  return chunk.choices.some(
    (choice) =>
      Boolean(choice.delta.content) ||
      Boolean(choice.delta.tool_calls?.length) ||
      choice.finish_reason !== null,
  );
}

/**
 * Runs an admitted call against its provider chain: retries with backoff, failover, breakers.
 * For streams, all of that only covers the time before the first token.
 */
@Injectable()
export class CallExecutor {
  constructor(
    @Inject(PROVIDERS) private readonly adapters: Map<string, ProviderAdapter>,
    private readonly breakers: ProviderBreakers,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async complete(call: AdmittedCall, clientSignal: AbortSignal): Promise<CompletedCall> {
    const signal = AbortSignal.any([
      clientSignal,
      AbortSignal.timeout(call.plan.route.requestTimeoutMs),
    ]);
    let attempts = 0;
    return this.failover(
      call,
      async (target) => {
        attempts += 1;
        const completion = await this.adapter(target).complete(
          providerRequest(call.request, target, call.plan),
          { signal },
        );
        return { completion, target, attempts };
      },
      clientSignal,
    );
  }

  async openStream(call: AdmittedCall, clientSignal: AbortSignal): Promise<OpenedStream> {
    const started = Date.now();
    let attempts = 0;
    return this.failover(
      call,
      async (target) => {
        attempts += 1;
        const upstream = new AbortController();
        const signal = AbortSignal.any([
          clientSignal,
          upstream.signal,
          AbortSignal.timeout(call.plan.route.requestTimeoutMs),
        ]);
        const iterator = this.adapter(target)
          .stream(providerRequest(call.request, target, call.plan), { signal })
          [Symbol.asyncIterator]();
        const head: ChatCompletionChunk[] = [];
        const firstTokenTimer = setTimeout(
          () => upstream.abort(),
          call.plan.route.firstTokenTimeoutMs,
        );
        try {
          for (;;) {
            const next = await iterator.next();
            if (next.done) break;
            head.push(next.value);
            if (hasToken(next.value)) break;
          }
        } catch (error) {
          if (upstream.signal.aborted && !clientSignal.aborted) {
            throw new ProviderError(
              target.provider,
              'timeout',
              `no first token within ${call.plan.route.firstTokenTimeoutMs} ms`,
            );
          }
          throw error;
        } finally {
          clearTimeout(firstTokenTimer);
        }
        return {
          target,
          attempts,
          ttftMs: Date.now() - started,
          head,
          rest: iterator,
          abort: () => upstream.abort(),
        };
      },
      clientSignal,
    );
  }

  private adapter(target: RouteTarget): ProviderAdapter {
    const adapter = this.adapters.get(target.provider);
    if (!adapter) throw new ProviderError(target.provider, 'connection', 'provider not configured');
    return adapter;
  }

  /** A fault after the first token: no failover any more, but the breaker should know. */
  recordMidStreamFault(provider: string, error: unknown): void {
    this.breakers.recordFault(provider, error);
  }

  private failover<T>(
    call: AdmittedCall,
    attempt: (target: RouteTarget) => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    const byProvider = new Map(call.plan.route.targets.map((target) => [target.provider, target]));
    const env = this.config.env;
    return runWithFailover(
      call.plan.route.targets.map((target) => target.provider),
      (provider) => attempt(byProvider.get(provider)!),
      {
        maxAttemptsPerProvider: env.GNOMON_MAX_ATTEMPTS_PER_PROVIDER,
        baseDelayMs: env.GNOMON_RETRY_BASE_MS,
        maxDelayMs: env.GNOMON_RETRY_MAX_MS,
        breakers: this.breakers,
        isRetryable: (error) => error instanceof ProviderError && error.retryable,
        canFailOver: (error) => error instanceof ProviderError && error.canFailOver,
        signal,
      },
    );
  }
}

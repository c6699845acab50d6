import { Inject, Injectable } from '@nestjs/common';
import type { ChatCompletion, ChatCompletionChunk } from '@gnomon/contracts';
import { ProviderBreakers, runWithFailover, type BreakerPort } from '@gnomon/governance';
import { ProviderError, type ProviderAdapter, type RouteTarget } from '@gnomon/llm';
import type { GatewayConfig } from '../config/gateway.config';
import { GATEWAY_CONFIG } from '../platform/tokens';
import type { AdmittedCall } from './admission';
import { callDeadline } from './call-deadline';
import { providerRequest } from './call-plan';

export interface CompletedCall {
  completion: ChatCompletion;
  target: RouteTarget;
  attempts: number;
}

/** Upstream calls made so far (retries and failover included), filled in by the executor. */
export interface AttemptCount {
  attempts: number;
  /** The provider tried last: what a failed call's usage event names. */
  lastTarget?: RouteTarget;
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
  /**
   * Must be called once the stream is over: without an error when it completed (or the client
   * left), with the error when the provider failed. Until then the breaker holds the call.
   */
  end(error?: unknown): void;
  /** Settles when end() is called (rejects with its error). */
  ended: Promise<void>;
}

/** The usage-event fields naming the provider a failed call reached last (none: still null). */
export function triedProvider(count: AttemptCount) {
  const target = count.lastTarget;
  return target
    ? {
        provider: target.provider,
        providerModel: target.model,
        simulated: target.provider === 'simulated',
      }
    : {};
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
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
    private readonly breakers: ProviderBreakers,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** `count` tells the caller how many upstream calls were made, also when all of them failed. */
  async complete(
    call: AdmittedCall,
    clientSignal: AbortSignal,
    count: AttemptCount = { attempts: 0 },
  ): Promise<CompletedCall> {
    const deadline = callDeadline(clientSignal, call.plan.route.requestTimeoutMs);
    try {
      return await this.failover(
        call,
        async (target) => {
          count.attempts += 1;
          count.lastTarget = target;
          const completion = await this.adapter(call, target).complete(
            providerRequest(call.request, target, call.plan),
            { signal: deadline.signal },
          );
          return { completion, target, attempts: count.attempts };
        },
        clientSignal,
      );
    } finally {
      deadline.dispose();
    }
  }

  async openStream(
    call: AdmittedCall,
    clientSignal: AbortSignal,
    count: AttemptCount = { attempts: 0 },
  ): Promise<OpenedStream> {
    const started = Date.now();
    // One request timeout for the whole call: retries and failover share it (as for JSON calls).
    const deadlineAt = started + call.plan.route.requestTimeoutMs;
    return this.failover(
      call,
      async (target) => {
        count.attempts += 1;
        count.lastTarget = target;
        const upstream = callDeadline(clientSignal, Math.max(0, deadlineAt - Date.now()));
        const iterator = this.adapter(call, target)
          .stream(providerRequest(call.request, target, call.plan), { signal: upstream.signal })
          [Symbol.asyncIterator]();
        const head: ChatCompletionChunk[] = [];
        let firstTokenMissed = false;
        const firstTokenTimer = setTimeout(() => {
          firstTokenMissed = true;
          upstream.abort();
        }, call.plan.route.firstTokenTimeoutMs);
        try {
          for (;;) {
            const next = await iterator.next();
            if (next.done) break;
            head.push(next.value);
            if (hasToken(next.value)) break;
          }
        } catch (error) {
          upstream.dispose();
          if (firstTokenMissed && !clientSignal.aborted) {
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
        let end!: (error?: unknown) => void;
        const ended = new Promise<void>((resolve, reject) => {
          end = (error) => {
            upstream.dispose();
            if (error === undefined) resolve();
            else reject(asError(error));
          };
        });
        ended.catch(() => undefined); // awaited by the breaker; never an unhandled rejection
        return {
          target,
          attempts: count.attempts,
          ttftMs: Date.now() - started,
          head,
          rest: iterator,
          abort: () => upstream.abort(),
          end,
          ended,
        };
      },
      clientSignal,
      this.streamBreakers(),
    );
  }

  /**
   * The breakers as failover sees them for a stream: a breaker's call lasts until the stream has
   * ended, not just until its first token. So a stream cut after its first token counts as one
   * failure (not as a success plus a failure, which never exceeds a 50 % threshold), and a
   * half-open probe is judged on the whole stream.
   */
  private streamBreakers(): BreakerPort {
    const { breakers } = this;
    return {
      isAvailable: (provider) => breakers.isAvailable(provider),
      state: (provider) => breakers.state(provider),
      run: <T>(provider: string, open: () => Promise<T>) =>
        new Promise<T>((resolve, reject) => {
          let opened = false;
          breakers
            .run(provider, async () => {
              const stream = await open();
              opened = true;
              resolve(stream);
              await (stream as OpenedStream).ended;
            })
            .catch((error: unknown) => {
              // Before the first token: failover's business. After it: the breaker's only.
              if (!opened) reject(asError(error));
            });
        }),
    };
  }

  private adapter(call: AdmittedCall, target: RouteTarget): ProviderAdapter {
    const adapter = call.providers.adapter(target.provider);
    if (!adapter) throw new ProviderError(target.provider, 'connection', 'provider not configured');
    return adapter;
  }

  private failover<T>(
    call: AdmittedCall,
    attempt: (target: RouteTarget) => Promise<T>,
    signal: AbortSignal,
    breakers: BreakerPort = this.breakers,
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
        breakers,
        isRetryable: (error) => error instanceof ProviderError && error.retryable,
        canFailOver: (error) => error instanceof ProviderError && error.canFailOver,
        signal,
      },
    );
  }
}

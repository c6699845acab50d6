import { retryAfterMsOf } from './circuit-breakers';
import { CircuitOpenError, NoProviderAvailableError } from './governance.errors';

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** The provider's Retry-After: the delay is never shorter than it. */
  retryAfterMs?: number;
  /** [0, 1) source, for tests. Default Math.random. */
  random?: () => number;
}

/**
 * Delay before retry number `attempt` (1 = the first retry): exponential backoff with full
 * jitter, uniform in [0, min(maxMs, baseMs·2^(attempt−1))), but never shorter than the
 * provider's Retry-After (which may exceed maxMs).
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(exponent, 52));
  const jittered = Math.floor((options.random ?? Math.random)() * ceiling);
  return Math.max(jittered, Math.ceil(options.retryAfterMs ?? 0));
}

/** The part of ProviderBreakers failover uses. */
export interface BreakerPort {
  isAvailable(provider: string): boolean;
  state(provider: string): string;
  run<T>(provider: string, fn: () => Promise<T>): Promise<T>;
}

export interface AttemptReport {
  provider: string;
  attemptNo: number;
  /** success; retry (same provider after delayMs); failed (moving on or giving up); skipped. */
  outcome: 'success' | 'retry' | 'failed' | 'skipped';
  error?: unknown;
  delayMs?: number;
}

export interface FailoverOptions {
  maxAttemptsPerProvider: number;
  breakers: BreakerPort;
  /** May the same request be sent again (same provider, after a backoff)? */
  isRetryable(error: unknown): boolean;
  /** May the next provider of the chain be tried after this error? */
  canFailOver(error: unknown): boolean;
  /** Backoff base. Default 250 ms. */
  baseDelayMs?: number;
  /** Backoff ceiling (Retry-After may exceed it). Default 4 s. */
  maxDelayMs?: number;
  /** Retry-After of an error. Default: `details.retryAfterMs` or `retryAfterMs`. */
  retryAfterMs?: (error: unknown) => number | undefined;
  /** Stops waiting and trying when aborted (client gone). */
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onAttempt?: (report: AttemptReport) => void;
}

/**
 * Tries the chain in order: providers whose breaker is open or cooling down are skipped;
 * retryable errors are retried on the same provider with backoff (up to
 * maxAttemptsPerProvider, and only while it stays available); then the next provider is tried
 * if canFailOver allows. Errors that are neither are thrown at once. At the end the last
 * error is rethrown, or NoProviderAvailableError if no provider was called at all.
 *
 * Streaming: this covers only the part before the first token. `attempt` should resolve as
 * soon as the stream has produced its first token (and fail if it cannot); what happens
 * after that is the caller's: tokens already sent cannot be taken back, so a later failure
 * is reported to the client, not retried elsewhere (count it with breakers.recordFault).
 */
export async function runWithFailover<T>(
  chain: readonly string[],
  attempt: (provider: string, attemptNo: number) => Promise<T>,
  options: FailoverOptions,
): Promise<T> {
  const { breakers, signal, onAttempt } = options;
  const maxAttempts = Math.max(1, Math.floor(options.maxAttemptsPerProvider));
  const retryAfterOf = options.retryAfterMs ?? retryAfterMsOf;
  const sleep = options.sleep ?? abortableSleep;
  const skipped: Array<{ provider: string; state: string }> = [];
  let called = false;
  let lastError: unknown;

  for (const provider of chain) {
    for (let attemptNo = 1; attemptNo <= maxAttempts; attemptNo += 1) {
      signal?.throwIfAborted();
      if (!breakers.isAvailable(provider)) {
        if (attemptNo === 1) {
          skipped.push({ provider, state: breakers.state(provider) });
          onAttempt?.({ provider, attemptNo, outcome: 'skipped' });
        }
        break;
      }
      let invoked = false;
      try {
        const result = await breakers.run(provider, () => {
          invoked = true;
          return attempt(provider, attemptNo);
        });
        onAttempt?.({ provider, attemptNo, outcome: 'success' });
        return result;
      } catch (error) {
        if (!invoked) {
          // Refused by the breaker (it opened, or another call holds the half-open probe).
          if (attemptNo === 1) skipped.push({ provider, state: stateOf(error) });
          onAttempt?.({ provider, attemptNo, outcome: 'skipped', error });
          break;
        }
        called = true;
        lastError = error;
        const more = attemptNo < maxAttempts && breakers.isAvailable(provider);
        if (more && options.isRetryable(error) && !signal?.aborted) {
          const delayMs = backoffDelay(attemptNo, {
            baseMs: options.baseDelayMs ?? 250,
            maxMs: options.maxDelayMs ?? 4_000,
            retryAfterMs: retryAfterOf(error),
          });
          onAttempt?.({ provider, attemptNo, outcome: 'retry', error, delayMs });
          await sleep(delayMs, signal);
          continue;
        }
        onAttempt?.({ provider, attemptNo, outcome: 'failed', error });
        if (!options.canFailOver(error) || signal?.aborted) throw error;
        break;
      }
    }
  }
  if (!called) throw new NoProviderAvailableError(chain, skipped);
  throw lastError;
}

function stateOf(error: unknown): string {
  return error instanceof CircuitOpenError ? error.state : 'unavailable';
}

/** setTimeout as a promise that rejects with the signal's reason when aborted. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

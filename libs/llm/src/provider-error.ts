/**
 * Why an upstream call failed, in the terms the gateway's policies need:
 * - `rate_limited`: the provider said 429 (cool it down for `retryAfterMs`, try the next one);
 * - `server`, `timeout`, `connection`, `malformed`: provider faults (count against its breaker,
 *   retryable, fail over);
 * - `bad_request`: the request itself is wrong for this provider (not retryable, no failover);
 * - `auth`: the provider rejected our credential (not the client's fault: fail over, no retry);
 * - `aborted`: the caller gave up (client disconnected).
 */
export type ProviderFault =
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'connection'
  | 'malformed'
  | 'bad_request'
  | 'auth'
  | 'aborted';

export class ProviderError extends Error {
  constructor(
    readonly provider: string,
    readonly fault: ProviderFault,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(`${provider}: ${message}`);
    this.name = 'ProviderError';
  }

  /** Faults of the provider itself (what a circuit breaker counts). */
  get isProviderFault(): boolean {
    return ['server', 'timeout', 'connection', 'malformed'].includes(this.fault);
  }

  /** Whether the same request may be tried again (here or on the next provider). */
  get retryable(): boolean {
    return this.isProviderFault || this.fault === 'rate_limited';
  }

  /** Whether the next provider in the chain may be tried. */
  get canFailOver(): boolean {
    return this.retryable || this.fault === 'auth';
  }
}

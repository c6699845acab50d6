import CircuitBreaker from 'opossum';
import { CircuitOpenError } from './governance.errors';

export type BreakerState = 'closed' | 'open' | 'half_open' | 'cooling_down';

export interface ProviderBreakerOptions {
  /** Percent of failed calls in the rolling window that opens the breaker. Default 50. */
  errorThresholdPercentage?: number;
  /** Calls in the rolling window before the percentage is considered. Default 5. */
  volumeThreshold?: number;
  /** Time an open breaker waits before letting one probe through (half-open). Default 30 s. */
  resetTimeout?: number;
  /** Length of the rolling statistics window. Default 10 s. */
  rollingCountTimeout?: number;
  /**
   * Whether an error is the provider's fault (counts against its breaker). Default: the
   * error's `isProviderFault === true` (ProviderError from @gnomon/llm: 5xx, timeouts,
   * connection failures, malformed answers). Other errors count as answered calls.
   */
  isProviderFault?: (error: unknown) => boolean;
  /**
   * How long an error asks the provider to be left alone (a 429 with Retry-After). Default:
   * `details.retryAfterMs` of errors with `fault === 'rate_limited'` or status 429.
   */
  coolDownMs?: (error: unknown) => number | undefined;
  /** Upper bound of a cool-down, whatever the provider asks. Default 5 min. */
  maxCoolDownMs?: number;
  /** Breaker transitions, for logs and metrics. */
  onStateChange?: (provider: string, state: BreakerState) => void;
}

export interface ProviderBreakerSnapshot {
  provider: string;
  state: BreakerState;
  /** ISO-8601, while cooling down after a 429. */
  coolingDownUntil: string | null;
  /** Rolling-window counts. */
  stats: { fires: number; successes: number; failures: number; rejects: number };
}

type Action = () => Promise<unknown>;
export type BreakerListener = (provider: string, state: BreakerState) => void;
type Breaker = CircuitBreaker<[Action], unknown>;

/**
 * One circuit breaker per provider (opossum), in this process. Only provider faults count;
 * a provider's 429 with Retry-After puts it in a cool-down (skipped by failover, not counted
 * as a fault). An open breaker lets one probe through after `resetTimeout` (half-open): it
 * closes on an answer and opens again on a fault.
 */
export class ProviderBreakers {
  private readonly breakers = new Map<string, Breaker>();
  private readonly coolingUntil = new Map<string, number>();
  private readonly listeners = new Set<BreakerListener>();
  private readonly isProviderFault: (error: unknown) => boolean;
  private readonly coolDownOf: (error: unknown) => number | undefined;
  private readonly maxCoolDownMs: number;

  constructor(private readonly options: ProviderBreakerOptions = {}) {
    this.isProviderFault = options.isProviderFault ?? defaultIsProviderFault;
    this.coolDownOf = options.coolDownMs ?? defaultCoolDownMs;
    this.maxCoolDownMs = options.maxCoolDownMs ?? 5 * 60_000;
  }

  /** Whether a call may go to this provider now (closed, or half-open with its probe free). */
  isAvailable(provider: string): boolean {
    const state = this.state(provider);
    if (state === 'closed') return true;
    return state === 'half_open' && this.breakers.get(provider)?.pendingClose === true;
  }

  state(provider: string): BreakerState {
    const breaker = this.breakers.get(provider);
    if (breaker?.opened) return 'open';
    if (this.isCooling(provider)) return 'cooling_down';
    if (breaker?.halfOpen) return 'half_open';
    return 'closed';
  }

  /**
   * Runs one call through the provider's breaker. Throws CircuitOpenError without calling
   * `fn` when the provider is open, cooling down, or half-open with its probe under way.
   */
  async run<T>(provider: string, fn: () => Promise<T>): Promise<T> {
    if (this.isCooling(provider)) throw new CircuitOpenError(provider, 'cooling_down');
    const breaker = this.breaker(provider);
    try {
      return (await breaker.fire(fn)) as T;
    } catch (error) {
      if (error instanceof Error && CircuitBreaker.isOurError(error)) {
        throw new CircuitOpenError(provider, breaker.halfOpen ? 'half_open' : 'open');
      }
      const coolDownMs = this.coolDownOf(error);
      if (coolDownMs !== undefined && coolDownMs > 0) this.coolDown(provider, coolDownMs);
      throw error;
    }
  }

  /**
   * Counts a fault that happened outside run(), e.g. a stream cut after its first token
   * (run() resolved when the stream opened). Non-faults are ignored.
   */
  recordFault(provider: string, error: unknown): void {
    if (!this.isProviderFault(error)) return;
    this.breaker(provider)
      // The reason reaches errorFilter unchanged, whatever its type.
      .fire(() => Promise.reject(error as Error))
      .catch(() => undefined);
  }

  /** Leaves the provider alone for `ms` (bounded by maxCoolDownMs); never shortens one. */
  coolDown(provider: string, ms: number): void {
    const until = Date.now() + Math.min(ms, this.maxCoolDownMs);
    if (until <= (this.coolingUntil.get(provider) ?? 0)) return;
    this.coolingUntil.set(provider, until);
    this.notify(provider, this.state(provider));
  }

  /**
   * Also tells `listener` of every transition (besides `onStateChange`), e.g. to publish the
   * states to other processes. Returns the unsubscribe function.
   */
  subscribe(listener: BreakerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): ProviderBreakerSnapshot[] {
    const providers = new Set([...this.breakers.keys(), ...this.coolingUntil.keys()]);
    return [...providers].sort().map((provider) => {
      const stats = this.breakers.get(provider)?.stats;
      const until = this.isCooling(provider) ? this.coolingUntil.get(provider) : undefined;
      return {
        provider,
        state: this.state(provider),
        coolingDownUntil: until === undefined ? null : new Date(until).toISOString(),
        stats: {
          fires: stats?.fires ?? 0,
          successes: stats?.successes ?? 0,
          failures: stats?.failures ?? 0,
          rejects: stats?.rejects ?? 0,
        },
      };
    });
  }

  /** Stops every breaker's timers (graceful shutdown, tests). */
  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
    this.coolingUntil.clear();
  }

  private notify(provider: string, state: BreakerState): void {
    this.options.onStateChange?.(provider, state);
    for (const listener of this.listeners) listener(provider, state);
  }

  private isCooling(provider: string): boolean {
    const until = this.coolingUntil.get(provider);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.coolingUntil.delete(provider);
    return false;
  }

  private breaker(provider: string): Breaker {
    let breaker = this.breakers.get(provider);
    if (breaker) return breaker;
    const { options } = this;
    breaker = new CircuitBreaker((fn: Action) => fn(), {
      name: provider,
      // Provider adapters enforce their own deadlines; a stream must not be cut by the breaker.
      timeout: false,
      errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
      volumeThreshold: options.volumeThreshold ?? 5,
      resetTimeout: options.resetTimeout ?? 30_000,
      rollingCountTimeout: options.rollingCountTimeout ?? 10_000,
      enableSnapshots: false,
      // opossum counts filtered errors as successes: the provider did answer.
      errorFilter: (error: unknown) => !this.isProviderFault(error),
    });
    const notify = (state: BreakerState) => () => this.notify(provider, state);
    breaker.on('open', notify('open'));
    breaker.on('halfOpen', notify('half_open'));
    breaker.on('close', notify('closed'));
    this.breakers.set(provider, breaker);
    return breaker;
  }
}

function defaultIsProviderFault(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { isProviderFault?: unknown }).isProviderFault === true
  );
}

interface RateLimitedShape {
  fault?: unknown;
  status?: unknown;
  retryAfterMs?: unknown;
  details?: { status?: unknown; retryAfterMs?: unknown };
}

function defaultCoolDownMs(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as RateLimitedShape;
  const is429 = e.fault === 'rate_limited' || e.status === 429 || e.details?.status === 429;
  return is429 ? retryAfterMsOf(error) : undefined;
}

/** `details.retryAfterMs` (ProviderError) or `retryAfterMs`, when a positive number. */
export function retryAfterMsOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as RateLimitedShape;
  const value = e.details?.retryAfterMs ?? e.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * The budget and rate-limit store (Redis) could not answer, or the spend source could not
 * rebuild lost counters. The gateway fails closed: it answers 503 instead of letting calls
 * through unmetered.
 */
export class GovernanceUnavailableError extends Error {
  readonly code = 'governance_unavailable';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GovernanceUnavailableError';
  }
}

/** Every provider of the chain was skipped (breaker open or cooling down); none was called. */
export class NoProviderAvailableError extends Error {
  readonly code = 'no_provider_available';

  constructor(
    readonly chain: readonly string[],
    readonly skipped: ReadonlyArray<{ provider: string; state: string }>,
  ) {
    super(
      `no provider available in chain [${chain.join(', ')}]: ` +
        skipped.map((s) => `${s.provider} ${s.state}`).join(', '),
    );
    this.name = 'NoProviderAvailableError';
  }
}

/** A call refused by a provider's breaker without reaching the provider. */
export class CircuitOpenError extends Error {
  readonly code = 'circuit_open';

  constructor(
    readonly provider: string,
    readonly state: 'open' | 'half_open' | 'cooling_down',
  ) {
    super(`provider ${provider} is unavailable (${state})`);
    this.name = 'CircuitOpenError';
  }
}

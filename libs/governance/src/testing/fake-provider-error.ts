// The shape of @gnomon/llm's ProviderError, duck-typed (governance does not import the llm lib).
export type FakeFault = 'rate_limited' | 'server' | 'timeout' | 'bad_request' | 'auth';

export class FakeProviderError extends Error {
  constructor(
    readonly provider: string,
    readonly fault: FakeFault,
    readonly details: { status?: number; retryAfterMs?: number } = {},
  ) {
    super(`${provider}: ${fault}`);
  }

  get isProviderFault(): boolean {
    return this.fault === 'server' || this.fault === 'timeout';
  }

  get retryable(): boolean {
    return this.isProviderFault || this.fault === 'rate_limited';
  }

  get canFailOver(): boolean {
    return this.retryable || this.fault === 'auth';
  }
}

export const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

import { ProviderBreakers } from './circuit-breakers';
import { NoProviderAvailableError } from './governance.errors';
import {
  backoffDelay,
  runWithFailover,
  type AttemptReport,
  type FailoverOptions,
} from './retry-policy';
import { FakeProviderError } from './testing/fake-provider-error';

describe('backoffDelay', () => {
  it('stays within [0, min(max, base·2^(attempt−1))) with full jitter', () => {
    for (let attempt = 1; attempt <= 12; attempt += 1) {
      const ceiling = Math.min(2_000, 100 * 2 ** (attempt - 1));
      for (let i = 0; i < 200; i += 1) {
        const delay = backoffDelay(attempt, { baseMs: 100, maxMs: 2_000 });
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
      expect(backoffDelay(attempt, { baseMs: 100, maxMs: 2_000, random: () => 0 })).toBe(0);
      expect(backoffDelay(attempt, { baseMs: 100, maxMs: 2_000, random: () => 0.9999 })).toBe(
        Math.floor(0.9999 * ceiling),
      );
    }
    expect(backoffDelay(10_000, { baseMs: 100, maxMs: 2_000, random: () => 0.5 })).toBe(1_000);
  });

  it('is never shorter than Retry-After, even above the ceiling', () => {
    for (let i = 0; i < 100; i += 1) {
      expect(
        backoffDelay(3, { baseMs: 100, maxMs: 2_000, retryAfterMs: 150 }),
      ).toBeGreaterThanOrEqual(150);
    }
    expect(backoffDelay(1, { baseMs: 100, maxMs: 2_000, retryAfterMs: 5_000 })).toBe(5_000);
    expect(
      backoffDelay(1, { baseMs: 100, maxMs: 2_000, retryAfterMs: 10.2, random: () => 0 }),
    ).toBe(11);
  });
});

describe('runWithFailover', () => {
  let breakers: ProviderBreakers;
  let delays: number[];
  let reports: AttemptReport[];

  const options = (overrides: Partial<FailoverOptions> = {}): FailoverOptions => ({
    maxAttemptsPerProvider: 2,
    breakers,
    isRetryable: (e) => e instanceof FakeProviderError && e.retryable,
    canFailOver: (e) => e instanceof FakeProviderError && e.canFailOver,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    onAttempt: (report) => reports.push(report),
    ...overrides,
  });
  const trail = () => reports.map((r) => `${r.provider}#${r.attemptNo}:${r.outcome}`);

  beforeEach(() => {
    breakers = new ProviderBreakers({ volumeThreshold: 100 });
    delays = [];
    reports = [];
  });

  afterEach(() => breakers.shutdown());

  it('retries retryable errors with backoff, then fails over in chain order', async () => {
    const calls: string[] = [];
    const result = await runWithFailover(
      ['openai', 'anthropic', 'gemini'],
      (provider, attemptNo) => {
        calls.push(`${provider}#${attemptNo}`);
        if (provider === 'openai') return Promise.reject(new FakeProviderError(provider, 'server'));
        return Promise.resolve(`answer from ${provider}`);
      },
      options(),
    );
    expect(result).toBe('answer from anthropic');
    expect(calls).toEqual(['openai#1', 'openai#2', 'anthropic#1']);
    expect(trail()).toEqual(['openai#1:retry', 'openai#2:failed', 'anthropic#1:success']);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeLessThan(100);
  });

  it('honours Retry-After before retrying the same provider', async () => {
    let first = true;
    const result = await runWithFailover(
      ['openai'],
      () => {
        if (!first) return Promise.resolve('ok');
        first = false;
        return Promise.reject(
          new FakeProviderError('openai', 'server', { status: 503, retryAfterMs: 1_500 }),
        );
      },
      options(),
    );
    expect(result).toBe('ok');
    expect(delays).toEqual([1_500]);
  });

  it('skips providers whose breaker is open or cooling down', async () => {
    breakers.coolDown('openai', 60_000);
    const strict = new ProviderBreakers({ volumeThreshold: 1 });
    await strict
      .run('anthropic', () => Promise.reject(new FakeProviderError('anthropic', 'server')))
      .catch(() => undefined);
    strict.coolDown('openai', 60_000);
    const called: string[] = [];
    const result = await runWithFailover(
      ['openai', 'anthropic', 'gemini'],
      (provider) => {
        called.push(provider);
        return Promise.resolve(provider);
      },
      options({ breakers: strict }),
    );
    expect(result).toBe('gemini');
    expect(called).toEqual(['gemini']);
    expect(trail()).toEqual(['openai#1:skipped', 'anthropic#1:skipped', 'gemini#1:success']);
    strict.shutdown();
  });

  it('moves on without waiting when a 429 puts the provider in a cool-down', async () => {
    const called: string[] = [];
    const result = await runWithFailover(
      ['openai', 'anthropic'],
      (provider) => {
        called.push(provider);
        if (provider === 'openai') {
          return Promise.reject(
            new FakeProviderError(provider, 'rate_limited', { status: 429, retryAfterMs: 20_000 }),
          );
        }
        return Promise.resolve('fallback');
      },
      options(),
    );
    expect(result).toBe('fallback');
    expect(called).toEqual(['openai', 'anthropic']);
    expect(delays).toEqual([]);
    expect(breakers.state('openai')).toBe('cooling_down');
  });

  it('stops at once on an error that is neither retryable nor allowed to fail over', async () => {
    const attempt = jest.fn((provider: string) =>
      Promise.reject(new FakeProviderError(provider, 'bad_request')),
    );
    await expect(
      runWithFailover(['openai', 'anthropic'], attempt, options()),
    ).rejects.toMatchObject({
      fault: 'bad_request',
      provider: 'openai',
    });
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(delays).toEqual([]);
  });

  it('fails over without retrying an error that only allows failover', async () => {
    const called: string[] = [];
    await runWithFailover(
      ['openai', 'anthropic'],
      (provider) => {
        called.push(provider);
        return provider === 'openai'
          ? Promise.reject(new FakeProviderError(provider, 'auth'))
          : Promise.resolve('ok');
      },
      options(),
    );
    expect(called).toEqual(['openai', 'anthropic']);
  });

  it('rethrows the last error when every provider failed', async () => {
    await expect(
      runWithFailover(
        ['openai', 'anthropic'],
        (provider) => Promise.reject(new FakeProviderError(provider, 'timeout')),
        options({ maxAttemptsPerProvider: 3 }),
      ),
    ).rejects.toMatchObject({ provider: 'anthropic', fault: 'timeout' });
    expect(reports).toHaveLength(6);
    expect(delays).toHaveLength(4);
  });

  it('throws NoProviderAvailableError when every provider was skipped', async () => {
    breakers.coolDown('openai', 60_000);
    breakers.coolDown('anthropic', 60_000);
    const attempt = jest.fn(() => Promise.resolve('never'));
    const error = await runWithFailover(['openai', 'anthropic'], attempt, options()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NoProviderAvailableError);
    expect(error).toMatchObject({
      chain: ['openai', 'anthropic'],
      skipped: [
        { provider: 'openai', state: 'cooling_down' },
        { provider: 'anthropic', state: 'cooling_down' },
      ],
    });
    expect(attempt).not.toHaveBeenCalled();
  });

  it('stops waiting when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = runWithFailover(
      ['openai', 'anthropic'],
      (provider) =>
        Promise.reject(new FakeProviderError(provider, 'server', { retryAfterMs: 10_000 })),
      options({ sleep: undefined, signal: controller.signal }),
    );
    setTimeout(() => controller.abort(new Error('client gone')), 5);
    await expect(pending).rejects.toThrow('client gone');
  });
});

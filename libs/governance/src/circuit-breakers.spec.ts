import { ProviderBreakers, type BreakerState } from './circuit-breakers';
import { CircuitOpenError } from './governance.errors';
import { FakeProviderError, wait } from './testing/fake-provider-error';

describe('ProviderBreakers', () => {
  let breakers: ProviderBreakers;
  let transitions: Array<[string, BreakerState]>;

  const fail = (provider: string, error: Error) =>
    breakers.run(provider, () => Promise.reject(error)).catch((e: unknown) => e);

  beforeEach(() => {
    transitions = [];
    breakers = new ProviderBreakers({
      volumeThreshold: 2,
      errorThresholdPercentage: 50,
      resetTimeout: 40,
      onStateChange: (provider, state) => transitions.push([provider, state]),
    });
  });

  afterEach(() => breakers.shutdown());

  it('opens after provider faults and then refuses calls without making them', async () => {
    expect(breakers.state('openai')).toBe('closed');
    await fail('openai', new FakeProviderError('openai', 'server'));
    await fail('openai', new FakeProviderError('openai', 'timeout'));
    expect(breakers.state('openai')).toBe('open');
    expect(breakers.isAvailable('openai')).toBe(false);

    const fn = jest.fn(() => Promise.resolve('never'));
    const refused = await breakers.run('openai', fn).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(refused).toMatchObject({ provider: 'openai', state: 'open' });
    expect(fn).not.toHaveBeenCalled();
    expect(breakers.state('anthropic')).toBe('closed');
    expect(transitions).toEqual([['openai', 'open']]);
  });

  it('does not count errors that are not provider faults', async () => {
    for (let i = 0; i < 10; i += 1) {
      const error = await fail(
        'openai',
        new FakeProviderError('openai', 'bad_request', { status: 400 }),
      );
      expect(error).toBeInstanceOf(FakeProviderError);
    }
    await fail('openai', new Error('plain'));
    expect(breakers.state('openai')).toBe('closed');
    expect(breakers.snapshot()[0]?.stats.failures).toBe(0);
  });

  it('goes half-open after the reset timeout, lets one probe through, and closes on success', async () => {
    await fail('openai', new FakeProviderError('openai', 'server'));
    await fail('openai', new FakeProviderError('openai', 'server'));
    expect(breakers.state('openai')).toBe('open');
    await wait(60);
    expect(breakers.state('openai')).toBe('half_open');
    expect(breakers.isAvailable('openai')).toBe(true);

    let finishProbe: (value: string) => void = () => undefined;
    const probe = breakers.run(
      'openai',
      () => new Promise<string>((resolve) => (finishProbe = resolve)),
    );
    expect(breakers.isAvailable('openai')).toBe(false);
    await expect(breakers.run('openai', () => Promise.resolve('second'))).rejects.toMatchObject({
      state: 'half_open',
    });
    finishProbe('ok');
    await expect(probe).resolves.toBe('ok');
    expect(breakers.state('openai')).toBe('closed');
    expect(breakers.isAvailable('openai')).toBe(true);
    expect(transitions.map(([, state]) => state)).toEqual(['open', 'half_open', 'closed']);
  });

  it('opens again when the half-open probe fails', async () => {
    await fail('openai', new FakeProviderError('openai', 'server'));
    await fail('openai', new FakeProviderError('openai', 'server'));
    await wait(60);
    await fail('openai', new FakeProviderError('openai', 'server'));
    expect(breakers.state('openai')).toBe('open');
  });

  it('cools a provider down after a 429 with Retry-After, without counting a fault', async () => {
    const limited = new FakeProviderError('openai', 'rate_limited', {
      status: 429,
      retryAfterMs: 60,
    });
    expect(await fail('openai', limited)).toBe(limited);
    expect(breakers.state('openai')).toBe('cooling_down');
    expect(breakers.isAvailable('openai')).toBe(false);
    const fn = jest.fn(() => Promise.resolve('never'));
    await expect(breakers.run('openai', fn)).rejects.toMatchObject({ state: 'cooling_down' });
    expect(fn).not.toHaveBeenCalled();
    const [snapshot] = breakers.snapshot();
    expect(snapshot).toMatchObject({
      provider: 'openai',
      state: 'cooling_down',
      stats: { failures: 0 },
    });
    expect(snapshot?.coolingDownUntil).toEqual(expect.any(String));

    await wait(80);
    expect(breakers.state('openai')).toBe('closed');
    await expect(breakers.run('openai', () => Promise.resolve('back'))).resolves.toBe('back');
  });

  it('does not cool down on a 429 without Retry-After, and bounds long ones', async () => {
    await fail('openai', new FakeProviderError('openai', 'rate_limited', { status: 429 }));
    expect(breakers.state('openai')).toBe('closed');

    const bounded = new ProviderBreakers({ maxCoolDownMs: 30 });
    await bounded
      .run('gemini', () =>
        Promise.reject(
          new FakeProviderError('gemini', 'rate_limited', { retryAfterMs: 3_600_000 }),
        ),
      )
      .catch(() => undefined);
    expect(bounded.state('gemini')).toBe('cooling_down');
    await wait(50);
    expect(bounded.state('gemini')).toBe('closed');
    bounded.shutdown();
  });

  it('counts faults reported outside run() (a stream cut after its first token)', async () => {
    breakers.recordFault('openai', new FakeProviderError('openai', 'bad_request'));
    await wait(0);
    expect(breakers.state('openai')).toBe('closed');
    breakers.recordFault('openai', new FakeProviderError('openai', 'server'));
    breakers.recordFault('openai', new FakeProviderError('openai', 'timeout'));
    await wait(0);
    expect(breakers.state('openai')).toBe('open');
  });

  it('accepts a custom fault predicate', async () => {
    const custom = new ProviderBreakers({
      volumeThreshold: 1,
      errorThresholdPercentage: 10,
      isProviderFault: (error) => error instanceof Error && error.message === 'boom',
    });
    await custom.run('x', () => Promise.reject(new Error('fine'))).catch(() => undefined);
    expect(custom.state('x')).toBe('closed');
    await custom.run('x', () => Promise.reject(new Error('boom'))).catch(() => undefined);
    expect(custom.state('x')).toBe('open');
    custom.shutdown();
  });

  it('tells subscribers of every transition, cool-downs included, until they unsubscribe', async () => {
    const seen: Array<[string, BreakerState]> = [];
    const unsubscribe = breakers.subscribe((provider, state) => seen.push([provider, state]));
    await fail('openai', new FakeProviderError('openai', 'server'));
    await fail('openai', new FakeProviderError('openai', 'server'));
    breakers.coolDown('anthropic', 1_000);
    expect(seen).toEqual([
      ['openai', 'open'],
      ['anthropic', 'cooling_down'],
    ]);
    expect(transitions).toEqual(seen); // onStateChange still hears the same
    unsubscribe();
    breakers.coolDown('gemini', 1_000);
    expect(seen).toHaveLength(2);
    expect(transitions).toHaveLength(3);
  });
});

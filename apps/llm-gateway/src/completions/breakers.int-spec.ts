import OpenAI from 'openai';
import { GatewayHarness, type TestTenant } from '../testing/gateway-harness';
import {
  breakerStates,
  createPlatformAdminKey,
  resetBreakers,
  routedTenant,
  settledEvents,
  startFakeProviders,
  waitFor,
  type FakeProviders,
} from '../testing/provider-fakes-fixture';

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Ping?' }];

/** Reads an SDK stream to its end; rejects with the stream's error. */
async function readToEnd(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

describe('provider circuit breakers (volume 2, 50 %, reset 300 ms)', () => {
  let h: GatewayHarness;
  let fakes: FakeProviders;
  let adminKey: string;
  let tenant: TestTenant;

  beforeAll(async () => {
    fakes = await startFakeProviders();
    h = await GatewayHarness.start({
      ...fakes.env,
      GNOMON_MAX_ATTEMPTS_PER_PROVIDER: '2',
      GNOMON_BREAKER_VOLUME: '2',
      GNOMON_BREAKER_ERROR_PERCENT: '50',
      GNOMON_BREAKER_RESET_MS: '300',
    });
    adminKey = await createPlatformAdminKey(h);
    tenant = await routedTenant(h);
  });
  afterEach(() => {
    fakes.reset();
    resetBreakers(h);
  });
  afterAll(async () => {
    await h.close();
    await fakes.close();
  });

  /** One non-streaming call through `main`; returns the provider that served it. */
  async function call(key = tenant.key): Promise<string | null> {
    const { response } = await h
      .client(key)
      .chat.completions.create({ model: 'main', messages })
      .withResponse();
    return response.headers.get('x-gnomon-provider');
  }

  async function openaiState(): Promise<string | undefined> {
    return (await breakerStates(h, adminKey)).openai?.state;
  }

  /** The breaker state gauge from /metrics: provider → the state whose value is 1. */
  async function metricStates(): Promise<Record<string, string>> {
    const text = await (await fetch(`${h.url()}/metrics`)).text();
    const states: Record<string, string> = {};
    for (const match of text.matchAll(/^gnomon_provider_breaker_state\{([^}]*)\} 1$/gm)) {
      const labels = Object.fromEntries(
        [...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
      );
      states[labels.provider] = labels.state;
    }
    return states;
  }

  /** Two 500s (both attempts of one call) open OpenAI's breaker; Anthropic serves that call. */
  async function openOpenAi(): Promise<void> {
    fakes.openai.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    expect(await call()).toBe('anthropic');
    expect(fakes.openai.requests).toHaveLength(2);
    expect(await openaiState()).toBe('open');
  }

  function waitForHalfOpen(): Promise<true> {
    return waitFor(
      async () => ((await openaiState()) === 'half_open' ? true : undefined),
      'the OpenAI breaker to turn half-open',
    );
  }

  it('opens on repeated 5xx, skips OpenAI while open, probes it half-open and closes on success', async () => {
    expect(await metricStates()).toMatchObject({
      openai: 'closed',
      anthropic: 'closed',
      gemini: 'closed',
    });
    await openOpenAi();
    const open = (await breakerStates(h, adminKey)).openai;
    expect(open.stats).toMatchObject({ failures: 2 });
    expect((await metricStates()).openai).toBe('open');

    // Open: straight to Anthropic, OpenAI not called at all.
    expect(await call()).toBe('anthropic');
    expect(await call()).toBe('anthropic');
    expect(fakes.openai.requests).toHaveLength(2);
    expect(fakes.anthropic.requests).toHaveLength(3);

    // After the reset timeout one probe may go through; OpenAI has recovered.
    await waitForHalfOpen();
    expect((await metricStates()).openai).toBe('half_open');
    expect(await call()).toBe('openai');
    expect(fakes.openai.requests).toHaveLength(3);
    expect(await openaiState()).toBe('closed');
    expect((await metricStates()).openai).toBe('closed');
    expect(await call()).toBe('openai');

    const events = await settledEvents(h, tenant.tenantId, 5);
    expect(events.slice(-5).map((e) => [e.provider, e.attempts])).toEqual([
      ['anthropic', 3],
      ['anthropic', 1],
      ['anthropic', 1],
      ['openai', 1],
      ['openai', 1],
    ]);
  });

  it('opens again when the half-open probe fails, without retrying it', async () => {
    await openOpenAi();
    await waitForHalfOpen();
    fakes.openai.script({ kind: 'status', status: 502 });
    expect(await call()).toBe('anthropic');
    // One probe only: the breaker re-opened, so no second attempt against OpenAI.
    expect(fakes.openai.requests).toHaveLength(3);
    expect(await openaiState()).toBe('open');
    expect(await call()).toBe('anthropic');
    expect(fakes.openai.requests).toHaveLength(3);
  });

  it('lets exactly one probe through while half-open', async () => {
    await openOpenAi();
    await waitForHalfOpen();
    // The probe is slow, so the second call arrives while it is still under way.
    fakes.openai.script({ kind: 'ok', delayMs: 150 });
    const served = await Promise.all([call(), call()]);
    expect(served.sort()).toEqual(['anthropic', 'openai']);
    expect(fakes.openai.requests).toHaveLength(3);
    expect(await openaiState()).toBe('closed');
  });

  it('judges a streaming half-open probe on the whole stream: a cut after its first token re-opens', async () => {
    await openOpenAi();
    await waitForHalfOpen();
    fakes.openai.script({ kind: 'cut', afterChunks: 3 });
    const stream = await h
      .client(tenant.key)
      .chat.completions.create({ model: 'main', messages, stream: true });
    await expect(readToEnd(stream)).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(fakes.openai.requests).toHaveLength(3);
    expect(await openaiState()).toBe('open');
  });

  it('answers 502 at once when every provider of the route is open', async () => {
    const solo = await h.createTenant();
    await h.setRoutes(solo.tenantId, {
      allowedModels: null,
      routes: { main: { chain: ['openai/gpt-4o-mini'] } },
    });
    fakes.openai.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    await expect(call(solo.key)).rejects.toMatchObject({
      status: 502,
      code: 'provider_unavailable',
    });
    expect(await openaiState()).toBe('open');

    await expect(call(solo.key)).rejects.toMatchObject({
      status: 502,
      code: 'provider_unavailable',
      message: expect.stringContaining('circuit open'),
    });
    expect(fakes.openai.requests).toHaveLength(2);
    const events = await settledEvents(h, solo.tenantId, 2);
    expect(events.map((e) => [e.status, e.error_code, e.attempts, Number(e.cost_micros)])).toEqual([
      ['FAILED', 'provider_unavailable', 2, 0],
      ['FAILED', 'provider_unavailable', 0, 0],
    ]);
  });

  // Before the fix in CallExecutor.streamBreakers, each cut stream counted as one success (its
  // opening) plus one failure: exactly 50 %, never above the threshold, so never opened.
  it('counts faults after the first token: two cut streams open the breaker', async () => {
    fakes.openai.script({ kind: 'cut', afterChunks: 3 }, { kind: 'cut', afterChunks: 3 });
    const client = h.client(tenant.key);
    for (let i = 0; i < 2; i += 1) {
      const stream = await client.chat.completions.create({
        model: 'main',
        messages,
        stream: true,
      });
      await expect(readToEnd(stream)).rejects.toMatchObject({ code: 'provider_unavailable' });
    }
    expect(fakes.anthropic.requests).toHaveLength(0);
    expect(await openaiState()).toBe('open');

    // The next stream goes straight to Anthropic.
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'main', messages, stream: true })
      .withResponse();
    expect(response.headers.get('x-gnomon-provider')).toBe('anthropic');
    expect(await readToEnd(stream)).toBe('Hello from the Anthropic fake.');
    expect(fakes.openai.requests).toHaveLength(2);
  });
});

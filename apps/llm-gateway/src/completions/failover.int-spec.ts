import type { FakeStep } from '@gnomon/testing';
import OpenAI from 'openai';
import { GatewayHarness } from '../testing/gateway-harness';
import {
  breakerStates,
  createPlatformAdminKey,
  rawCompletion,
  resetBreakers,
  routedTenant,
  settledEvents,
  sseFrames,
  startFakeProviders,
  type FakeProviders,
} from '../testing/provider-fakes-fixture';

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'user', content: 'What is the weather like in Paris?' },
];

const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string' } },
      required: ['city'],
    },
  },
};

/** Reads an SDK stream to its end: text, tool calls, finish reason, and the error if any. */
async function drain(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  let text = '';
  let finishReason: string | null = null;
  const toolCalls = new Map<number, { id: string; name: string; arguments: string }>();
  let error: unknown;
  try {
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        if (choice.finish_reason) finishReason = choice.finish_reason;
        for (const delta of choice.delta.tool_calls ?? []) {
          const call = toolCalls.get(delta.index) ?? { id: '', name: '', arguments: '' };
          call.id += delta.id ?? '';
          call.name += delta.function?.name ?? '';
          call.arguments += delta.function?.arguments ?? '';
          toolCalls.set(delta.index, call);
        }
      }
    }
  } catch (caught) {
    error = caught;
  }
  return { text, finishReason, toolCalls: [...toolCalls.values()], error };
}

describe('failover across OpenAI, Anthropic and Gemini (official SDKs against the fakes)', () => {
  let h: GatewayHarness;
  let fakes: FakeProviders;
  let adminKey: string;

  beforeAll(async () => {
    fakes = await startFakeProviders();
    // Two attempts per provider (the default, spelled out: the tests count requests).
    h = await GatewayHarness.start({ ...fakes.env, GNOMON_MAX_ATTEMPTS_PER_PROVIDER: '2' });
    adminKey = await createPlatformAdminKey(h);
  });
  afterEach(() => {
    fakes.reset();
    resetBreakers(h);
  });
  afterAll(async () => {
    await h.close();
    await fakes.close();
  });

  it('answers from Anthropic in the OpenAI format once OpenAI has failed twice with a 500', async () => {
    const tenant = await routedTenant(h);
    fakes.openai.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    fakes.anthropic.script({
      kind: 'ok',
      content: 'Sunny, 21 °C.',
      usage: { inputTokens: 14, outputTokens: 6 },
    });

    const { data, response } = await h
      .client(tenant.key)
      .chat.completions.create({ model: 'main', messages })
      .withResponse();

    expect(data).toMatchObject({
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Sunny, 21 °C.' },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 14, completion_tokens: 6, total_tokens: 20 },
    });
    expect(data.id).toBeTruthy();
    expect(response.headers.get('x-gnomon-provider')).toBe('anthropic');
    expect(response.headers.get('x-gnomon-model')).toBe('anthropic/claude-haiku-4-5');
    const cost = Number(response.headers.get('x-gnomon-cost-micros'));
    expect(cost).toBeGreaterThan(0);
    // Retries exhausted on OpenAI, then one Anthropic call; Gemini never reached.
    expect(fakes.openai.requests).toHaveLength(2);
    expect(fakes.anthropic.requests).toHaveLength(1);
    expect(fakes.anthropic.requests[0].body).toMatchObject({ model: 'claude-haiku-4-5' });
    expect(fakes.gemini.requests).toHaveLength(0);

    const events = await settledEvents(h, tenant.tenantId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      status: 'SUCCEEDED',
      provider: 'anthropic',
      provider_model: 'claude-haiku-4-5',
      model: 'main',
      attempts: 3,
      input_tokens: 14,
      output_tokens: 6,
      error_code: null,
    });
    expect(Number(events[0].cost_micros)).toBe(cost);
  });

  it('fails over at once on a 429 with Retry-After and leaves OpenAI cooling down', async () => {
    const tenant = await routedTenant(h);
    fakes.openai.script({ kind: 'status', status: 429, retryAfter: 30 });
    const client = h.client(tenant.key);

    const first = await client.chat.completions.create({ model: 'main', messages }).withResponse();
    expect(first.response.headers.get('x-gnomon-provider')).toBe('anthropic');
    expect(first.data.choices[0].message.content).toBe('Hello from the Anthropic fake.');
    // No retry against a provider that asked to be left alone.
    expect(fakes.openai.requests).toHaveLength(1);

    const states = await breakerStates(h, adminKey);
    expect(states.openai).toMatchObject({ state: 'cooling_down' });
    const until = Date.parse(states.openai.coolingDownUntil ?? '');
    expect(until).toBeGreaterThan(Date.now() + 20_000);
    // A 429 is not a fault of the provider: its breaker does not count it.
    expect(states.openai.stats.failures).toBe(0);
    expect(states.anthropic).toMatchObject({ state: 'closed' });

    // While it cools down, OpenAI is skipped without being called.
    const second = await client.chat.completions.create({ model: 'main', messages }).withResponse();
    expect(second.response.headers.get('x-gnomon-provider')).toBe('anthropic');
    expect(fakes.openai.requests).toHaveLength(1);
    expect(fakes.anthropic.requests).toHaveLength(2);

    const events = await settledEvents(h, tenant.tenantId, 2);
    expect(events.map((e) => [e.status, e.provider, e.attempts])).toEqual([
      ['SUCCEEDED', 'anthropic', 2],
      ['SUCCEEDED', 'anthropic', 1],
    ]);
  });

  describe('streaming, OpenAI failing before its first token', () => {
    const failures: [string, FakeStep][] = [
      ['an HTTP 500', { kind: 'status', status: 500 }],
      ['no answer at all (first-token timeout)', { kind: 'timeout' }],
      ['a role chunk, then silence (first-token timeout)', { kind: 'ok', chunkDelayMs: 500 }],
      ['a connection cut before any chunk', { kind: 'cut', afterChunks: 0 }],
    ];

    it.each(failures)('serves the Anthropic stream after %s', async (_label, step) => {
      const tenant = await routedTenant(h, { firstTokenTimeoutMs: 150 });
      fakes.openai.script(step, step);
      fakes.anthropic.script({ kind: 'ok', content: 'Streamed by Claude, cleanly.' });

      const { data: stream, response } = await h
        .client(tenant.key)
        .chat.completions.create({
          model: 'main',
          messages,
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      expect(response.headers.get('x-gnomon-provider')).toBe('anthropic');
      const result = await drain(stream);
      expect(result.error).toBeUndefined();
      expect(result.text).toBe('Streamed by Claude, cleanly.');
      expect(result.finishReason).toBe('stop');
      expect(fakes.openai.requests).toHaveLength(2);
      expect(fakes.anthropic.requests).toHaveLength(1);

      const [event] = await settledEvents(h, tenant.tenantId);
      expect(event).toMatchObject({
        status: 'SUCCEEDED',
        stream: true,
        provider: 'anthropic',
        attempts: 3,
      });
      expect(event.ttft_ms).not.toBeNull();
      expect(Number(event.cost_micros)).toBeGreaterThan(0);
    });

    it('sends nothing of the failed attempts: the raw stream is clean and terminated', async () => {
      const tenant = await routedTenant(h, { firstTokenTimeoutMs: 150 });
      fakes.openai.script({ kind: 'cut', afterChunks: 0 }, { kind: 'status', status: 503 });
      fakes.anthropic.script({ kind: 'ok', content: 'Only Claude speaks here.' });

      const raw = await rawCompletion(h, tenant.key, { model: 'main', messages, stream: true });
      expect(raw.status).toBe(200);
      expect(raw.headers.get('content-type')).toContain('text/event-stream');
      expect(raw.headers.get('x-gnomon-provider')).toBe('anthropic');
      const frames = sseFrames(raw.text);
      expect(frames.some((f) => f.event === 'error')).toBe(false);
      expect(frames.at(-1)).toEqual({ event: null, data: '[DONE]' });
      const chunks = frames
        .slice(0, -1)
        .map((f) => JSON.parse(f.data) as OpenAI.ChatCompletionChunk);
      expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
        'Only Claude speaks here.',
      );
    });
  });

  describe('streaming, a fault after the first token', () => {
    const faults: [string, FakeStep][] = [
      ['a connection cut', { kind: 'cut', afterChunks: 4 }],
      ['a malformed chunk', { kind: 'malformed', afterChunks: 4 }],
    ];

    it.each(faults)(
      'ends the stream with an error after %s, without failover, billing the partial answer',
      async (_label, step) => {
        const tenant = await routedTenant(h);
        fakes.openai.script(step);

        const stream = await h.client(tenant.key).chat.completions.create({
          model: 'main',
          messages,
          stream: true,
        });
        const result = await drain(stream);
        // The role chunk and three words went out before the fault.
        expect(result.text).toBe('This answer from ');
        expect(result.finishReason).toBeNull();
        // The SDK turns our `event: error` frame into an APIError (no HTTP status mid-stream).
        expect(result.error).toBeInstanceOf(OpenAI.APIError);
        expect(result.error).toMatchObject({
          status: undefined,
          code: 'provider_unavailable',
          type: 'api_error',
        });
        // Tokens already sent cannot be taken back: nothing else is tried.
        expect(fakes.openai.requests).toHaveLength(1);
        expect(fakes.anthropic.requests).toHaveLength(0);
        expect(fakes.gemini.requests).toHaveLength(0);

        const [event] = await settledEvents(h, tenant.tenantId);
        expect(event).toMatchObject({
          status: 'FAILED',
          stream: true,
          provider: 'openai',
          error_code: 'provider_unavailable',
          attempts: 1,
        });
        expect(event.output_tokens).toBeGreaterThan(0);
        expect(event.input_tokens).toBeGreaterThan(0);
        expect(Number(event.cost_micros)).toBeGreaterThan(0);
        // The breaker learnt about the mid-stream fault.
        expect((await breakerStates(h, adminKey)).openai.stats.failures).toBe(1);
      },
    );

    it.each(faults)(
      'on the wire after %s: an `event: error` frame and no [DONE]',
      async (_label, step) => {
        const tenant = await routedTenant(h);
        fakes.openai.script(step);

        const raw = await rawCompletion(h, tenant.key, { model: 'main', messages, stream: true });
        expect(raw.status).toBe(200);
        expect(raw.headers.get('x-gnomon-provider')).toBe('openai');
        expect(raw.text).toContain('event: error');
        expect(raw.text).not.toContain('data: [DONE]');
        const frames = sseFrames(raw.text);
        const last = frames.at(-1)!;
        expect(last.event).toBe('error');
        expect(JSON.parse(last.data)).toMatchObject({
          error: { code: 'provider_unavailable', type: 'api_error' },
        });
        const text = frames
          .filter((f) => f.event === null)
          .map((f) => (JSON.parse(f.data) as OpenAI.ChatCompletionChunk).choices[0]?.delta)
          .map((delta) => delta?.content ?? '')
          .join('');
        expect(text).toBe('This answer from ');
        expect(fakes.anthropic.requests).toHaveLength(0);
      },
    );
  });

  describe('Gemini serving a tool call', () => {
    beforeEach(() => {
      fakes.openai.script({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });
      fakes.anthropic.script({ kind: 'status', status: 529 }, { kind: 'status', status: 529 });
      fakes.gemini.script({
        kind: 'ok',
        toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } }],
        usage: { inputTokens: 30, outputTokens: 9 },
      });
    });

    afterEach(() => {
      const body = fakes.gemini.requests[0]?.body as any;
      expect(JSON.stringify(body?.tools)).toContain('get_weather');
    });

    it('normalizes a non-streaming answer to OpenAI tool_calls', async () => {
      const tenant = await routedTenant(h);
      const { data, response } = await h
        .client(tenant.key)
        .chat.completions.create({ model: 'main', messages, tools: [weatherTool] })
        .withResponse();

      expect(response.headers.get('x-gnomon-provider')).toBe('gemini');
      const [choice] = data.choices;
      expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.role).toBe('assistant');
      expect(choice.message.tool_calls).toHaveLength(1);
      const call = choice.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect(call.type).toBe('function');
      expect(call.id).toMatch(/\S/);
      expect(call.function.name).toBe('get_weather');
      expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris', unit: 'celsius' });
      expect(data.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 9 });
      expect(fakes.openai.requests).toHaveLength(2);
      expect(fakes.anthropic.requests).toHaveLength(2);

      const [event] = await settledEvents(h, tenant.tenantId);
      expect(event).toMatchObject({ status: 'SUCCEEDED', provider: 'gemini', attempts: 5 });
    });

    it('normalizes a streamed answer to OpenAI tool_call deltas', async () => {
      const tenant = await routedTenant(h);
      const { data: stream, response } = await h
        .client(tenant.key)
        .chat.completions.create({
          model: 'main',
          messages,
          tools: [weatherTool],
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      expect(response.headers.get('x-gnomon-provider')).toBe('gemini');

      const result = await drain(stream);
      expect(result.error).toBeUndefined();
      expect(result.finishReason).toBe('tool_calls');
      expect(result.text).toBe('');
      expect(result.toolCalls).toHaveLength(1);
      expect(result.toolCalls[0].id).toMatch(/\S/);
      expect(result.toolCalls[0].name).toBe('get_weather');
      expect(JSON.parse(result.toolCalls[0].arguments)).toEqual({ city: 'Paris', unit: 'celsius' });

      const [event] = await settledEvents(h, tenant.tenantId);
      expect(event).toMatchObject({
        status: 'SUCCEEDED',
        provider: 'gemini',
        stream: true,
        attempts: 5,
        input_tokens: 30,
        output_tokens: 9,
      });
    });
  });

  it('gives a stream one request timeout for all its attempts, not one per attempt', async () => {
    // OpenAI never answers; Anthropic would. The route allows 1 s for the whole call, so once
    // OpenAI has used it up nothing else may start (a fresh second per attempt would let
    // Anthropic answer after 3 s).
    const tenant = await routedTenant(h, { requestTimeoutMs: 1_000, firstTokenTimeoutMs: 5_000 });
    fakes.openai.script({ kind: 'timeout' }, { kind: 'timeout' });
    fakes.anthropic.script({ kind: 'ok', content: 'Too late to be asked.' });
    const raw = await rawCompletion(h, tenant.key, { model: 'main', messages, stream: true });
    expect(raw.status).toBeGreaterThanOrEqual(500);
    expect(JSON.parse(raw.text)).toMatchObject({ error: { code: 'provider_unavailable' } });
    expect(fakes.anthropic.requests.length).toBeLessThanOrEqual(1);
    const [event] = await settledEvents(h, tenant.tenantId);
    expect(event).toMatchObject({ status: 'FAILED', stream: true, provider: expect.any(String) });
  });

  describe('every provider down', () => {
    beforeEach(() => {
      fakes.openai.setFallback({ kind: 'status', status: 500 });
      fakes.anthropic.setFallback({ kind: 'status', status: 503 });
      fakes.gemini.setFallback({ kind: 'status', status: 500 });
    });

    it('answers 502 provider_unavailable and records a FAILED call that costs nothing', async () => {
      const tenant = await routedTenant(h);
      await h.setBudget(tenant.tenantId, 5_000_000);
      await expect(
        h.client(tenant.key).chat.completions.create({ model: 'main', messages }),
      ).rejects.toMatchObject({ status: 502, code: 'provider_unavailable', type: 'api_error' });
      expect(fakes.openai.requests).toHaveLength(2);
      expect(fakes.anthropic.requests).toHaveLength(2);
      expect(fakes.gemini.requests).toHaveLength(2);

      const [event] = await settledEvents(h, tenant.tenantId);
      expect(event).toMatchObject({
        status: 'FAILED',
        error_code: 'provider_unavailable',
        input_tokens: 0,
        output_tokens: 0,
        attempts: 6,
        // The provider tried last (the chain ends with Gemini), not null.
        provider: 'gemini',
      });
      expect(Number(event.cost_micros)).toBe(0);
    });

    it('answers a stream request with a plain 502 before any byte of stream', async () => {
      const tenant = await routedTenant(h);
      const raw = await rawCompletion(h, tenant.key, { model: 'main', messages, stream: true });
      expect(raw.status).toBe(502);
      expect(raw.headers.get('content-type')).toContain('application/json');
      expect(JSON.parse(raw.text)).toMatchObject({ error: { code: 'provider_unavailable' } });

      const [event] = await settledEvents(h, tenant.tenantId);
      expect(event).toMatchObject({
        status: 'FAILED',
        stream: true,
        error_code: 'provider_unavailable',
        attempts: 6,
        provider: 'gemini',
      });
      expect(Number(event.cost_micros)).toBe(0);
    });

    it('releases the Idempotency-Key of a failed stream so that a retry runs again', async () => {
      const tenant = await routedTenant(h);
      const client = h.client(tenant.key);
      const body = { model: 'main', messages, stream: true as const };
      // The openai SDK sends no Idempotency-Key of its own (its idempotencyKey option is inert).
      const options = { headers: { 'Idempotency-Key': `retry-${tenant.tenantId}` } };
      await expect(client.chat.completions.create(body, options)).rejects.toMatchObject({
        status: 502,
        code: 'provider_unavailable',
      });

      fakes.reset(); // the providers are back
      resetBreakers(h);
      const retried = await client.chat.completions.create(body, options);
      const result = await drain(retried);
      expect(result.error).toBeUndefined();
      expect(result.text).toBe('Hello from the OpenAI fake.');
    });
  });
});

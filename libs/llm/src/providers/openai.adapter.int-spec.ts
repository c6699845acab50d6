import type { ChatCompletionChunk } from '@gnomon/contracts';
import { startOpenAiFake, type OpenAiFake } from '@gnomon/testing';
import type { ProviderRequest } from '../provider-adapter';
import { ProviderError, type ProviderFault } from '../provider-error';
import { OpenAiAdapter } from './openai.adapter';

const API_KEY = 'sk-test-openai-fake';

function request(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello.' },
    ],
    max_completion_tokens: 256,
    ...overrides,
  };
}

function call(): { signal: AbortSignal } {
  return { signal: new AbortController().signal };
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** Runs `run` and returns the ProviderError it throws. */
async function failure(run: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError');
}

function text(chunks: ChatCompletionChunk[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
}

describe('OpenAiAdapter against the OpenAI fake', () => {
  let fake: OpenAiFake;
  let adapter: OpenAiAdapter;

  beforeAll(async () => {
    fake = await startOpenAiFake({ apiKey: API_KEY });
    adapter = new OpenAiAdapter({
      name: 'openai',
      apiKey: API_KEY,
      baseURL: fake.url,
      timeoutMs: 2_000,
    });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  describe('complete()', () => {
    it('returns the completion with usage and sends the request the OpenAI way', async () => {
      fake.script({
        kind: 'ok',
        content: 'Hello!',
        usage: { inputTokens: 12, outputTokens: 3, cachedInputTokens: 4 },
      });
      const completion = await adapter.complete(
        request({ max_tokens: 999, metadata: { tenant: 't1' }, temperature: 0.2 }),
        call(),
      );

      expect(completion).toMatchObject({
        object: 'chat.completion',
        model: 'gpt-4o-mini',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' },
        ],
        usage: {
          prompt_tokens: 12,
          completion_tokens: 3,
          total_tokens: 15,
          prompt_tokens_details: { cached_tokens: 4 },
        },
      });
      expect(completion.id).toMatch(/^chatcmpl-/);
      const sent = fake.requests[0];
      expect(sent?.path).toBe('/v1/chat/completions');
      expect(sent?.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(sent?.body).toEqual({
        model: 'gpt-4o-mini',
        messages: request().messages,
        max_completion_tokens: 256,
        temperature: 0.2,
        stream: false,
      });
    });

    it('returns tool calls with finish_reason tool_calls', async () => {
      fake.script({
        kind: 'ok',
        toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }],
      });
      const completion = await adapter.complete(
        request({
          tools: [
            { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } },
          ],
        }),
        call(),
      );
      expect(completion.choices[0]).toMatchObject({
        message: {
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        finish_reason: 'tool_calls',
      });
    });

    it('estimates usage when the server reports none', async () => {
      fake.script({ kind: 'ok', content: 'An answer of some length.', usage: null });
      const completion = await adapter.complete(request(), call());
      expect(completion.usage.prompt_tokens).toBeGreaterThan(0);
      expect(completion.usage.completion_tokens).toBeGreaterThan(0);
      expect(completion.usage.total_tokens).toBe(
        completion.usage.prompt_tokens + completion.usage.completion_tokens,
      );
    });
  });

  describe('stream()', () => {
    it('streams text deltas as they arrive and ends with the usage chunk', async () => {
      fake.script({
        kind: 'ok',
        content: 'One two three four five.',
        usage: { inputTokens: 9, outputTokens: 6 },
      });
      const chunks = await collect(adapter.stream(request(), call()));

      expect(text(chunks)).toBe('One two three four five.');
      expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBe(5);
      expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toBe(true);
      expect(chunks.at(-1)?.usage).toEqual({
        prompt_tokens: 9,
        completion_tokens: 6,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 0 },
      });
      expect(fake.requests[0]?.body).toMatchObject({
        stream: true,
        stream_options: { include_usage: true },
        max_completion_tokens: 256,
      });
    });

    it('passes tool-call argument deltas through', async () => {
      const args = JSON.stringify({ city: 'Paris', unit: 'celsius', days: 3 });
      fake.script({
        kind: 'ok',
        toolCalls: [{ id: 'call_7', name: 'get_weather', arguments: args }],
      });
      const chunks = await collect(adapter.stream(request(), call()));

      const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
      expect(deltas[0]).toEqual({
        index: 0,
        id: 'call_7',
        type: 'function',
        function: { name: 'get_weather', arguments: '' },
      });
      const argumentDeltas = deltas.map((delta) => delta.function?.arguments ?? '');
      expect(argumentDeltas.filter((piece) => piece !== '').length).toBeGreaterThan(3);
      expect(argumentDeltas.join('')).toBe(args);
      expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'tool_calls')).toBe(true);
      expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
    });

    it('yields chunks before the stream has finished', async () => {
      fake.script({ kind: 'ok', content: 'slow stream of words', chunkDelayMs: 150 });
      const started = Date.now();
      const iterator = adapter.stream(request(), call())[Symbol.asyncIterator]();
      await iterator.next();
      expect(Date.now() - started).toBeLessThan(400);
      await iterator.return?.(undefined);
    });

    it('does not time out while the consumer is slow', async () => {
      const quick = new OpenAiAdapter({
        name: 'openai',
        apiKey: API_KEY,
        baseURL: fake.url,
        timeoutMs: 150,
      });
      fake.script({ kind: 'ok', content: 'a b' });
      const received: ChatCompletionChunk[] = [];
      for await (const chunk of quick.stream(request(), call())) {
        received.push(chunk);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(text(received)).toBe('a b');
    });

    it('synthesizes the usage chunk when the server sends none', async () => {
      fake.script({ kind: 'ok', content: 'No usage here.', usage: null });
      const chunks = await collect(adapter.stream(request(), call()));
      const last = chunks.at(-1);
      expect(last?.choices).toEqual([]);
      expect(last?.usage?.prompt_tokens).toBeGreaterThan(0);
      expect(last?.usage?.completion_tokens).toBe(Math.ceil('No usage here.'.length / 4));
    });

    it('fails with connection when the stream ends without a finish_reason', async () => {
      fake.script({ kind: 'ok', content: 'unfinished', finishReason: null, usage: null });
      const error = await failure(() => collect(adapter.stream(request(), call())));
      expect(error.fault).toBe('connection');
    });
  });

  describe('faults', () => {
    it.each<[number, ProviderFault]>([
      [500, 'server'],
      [503, 'server'],
      [400, 'bad_request'],
      [404, 'bad_request'],
      [422, 'bad_request'],
      [401, 'auth'],
      [403, 'auth'],
    ])('classifies HTTP %i as %s (complete and stream)', async (status, fault) => {
      fake.script({ kind: 'status', status }, { kind: 'status', status });
      const completeError = await failure(() => adapter.complete(request(), call()));
      const streamError = await failure(() => collect(adapter.stream(request(), call())));
      for (const error of [completeError, streamError]) {
        expect(error.fault).toBe(fault);
        expect(error.details.status).toBe(status);
        expect(error.provider).toBe('openai');
      }
      expect(fake.requests).toHaveLength(2); // maxRetries: 0
    });

    it('classifies 429 as rate_limited with Retry-After in milliseconds', async () => {
      fake.script(
        { kind: 'status', status: 429, retryAfter: 7 },
        { kind: 'status', status: 429, retryAfterMs: 1500, retryAfter: 2 },
      );
      const seconds = await failure(() => adapter.complete(request(), call()));
      expect(seconds).toMatchObject({
        fault: 'rate_limited',
        details: { status: 429, retryAfterMs: 7000 },
      });
      const millis = await failure(() => collect(adapter.stream(request(), call())));
      expect(millis).toMatchObject({
        fault: 'rate_limited',
        details: { status: 429, retryAfterMs: 1500 },
      });
      expect(seconds.retryable && seconds.canFailOver).toBe(true);
    });

    it('classifies a server that never answers as timeout', async () => {
      const quick = new OpenAiAdapter({
        name: 'openai',
        apiKey: API_KEY,
        baseURL: fake.url,
        timeoutMs: 200,
      });
      fake.script({ kind: 'timeout' }, { kind: 'timeout' });
      expect((await failure(() => quick.complete(request(), call()))).fault).toBe('timeout');
      expect((await failure(() => collect(quick.stream(request(), call())))).fault).toBe('timeout');
    });

    it('classifies a stream that goes silent as timeout', async () => {
      const quick = new OpenAiAdapter({
        name: 'openai',
        apiKey: API_KEY,
        baseURL: fake.url,
        timeoutMs: 200,
      });
      fake.script({ kind: 'ok', content: 'a b c', chunkDelayMs: 1_000 });
      expect((await failure(() => collect(quick.stream(request(), call())))).fault).toBe('timeout');
    });

    it('classifies a cut connection as connection, after passing through the chunks received', async () => {
      fake.script({ kind: 'cut', afterChunks: 3 });
      const received: ChatCompletionChunk[] = [];
      const error = await failure(async () => {
        for await (const chunk of adapter.stream(request(), call())) received.push(chunk);
      });
      expect(error.fault).toBe('connection');
      expect(received).toHaveLength(3);

      fake.script({ kind: 'cut', afterChunks: 0 });
      expect((await failure(() => adapter.complete(request(), call()))).fault).toBe('connection');
    });

    it('accepts a stream cut after its finish_reason and usage (only [DONE] lost)', async () => {
      fake.script({ kind: 'cut', afterChunks: 1_000, content: 'complete answer' });
      const chunks = await collect(adapter.stream(request(), call()));
      expect(text(chunks)).toBe('complete answer');
      expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
    });

    it('classifies invalid JSON as malformed', async () => {
      fake.script({ kind: 'malformed', afterChunks: 2 }, { kind: 'malformed', afterChunks: 0 });
      expect((await failure(() => collect(adapter.stream(request(), call())))).fault).toBe(
        'malformed',
      );
      expect((await failure(() => adapter.complete(request(), call()))).fault).toBe('malformed');
    });

    it('rejects images outside user messages as bad_request without calling upstream', async () => {
      const bad = request({
        messages: [
          {
            role: 'system',
            content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }],
          },
          { role: 'user', content: 'hi' },
        ],
      });
      expect((await failure(() => adapter.complete(bad, call()))).fault).toBe('bad_request');
      expect(fake.requests).toHaveLength(0);
    });

    it('classifies an unreachable server as connection', async () => {
      const other = await startOpenAiFake();
      const url = other.url;
      await other.close();
      const down = new OpenAiAdapter({ name: 'openai', apiKey: API_KEY, baseURL: url });
      expect((await failure(() => down.complete(request(), call()))).fault).toBe('connection');
      expect((await failure(() => collect(down.stream(request(), call())))).fault).toBe(
        'connection',
      );
    });

    it('classifies the caller aborting as aborted, before and during the stream', async () => {
      const waiting = new AbortController();
      fake.script({ kind: 'timeout' });
      const pending = failure(() => adapter.complete(request(), { signal: waiting.signal }));
      setTimeout(() => waiting.abort(), 50);
      expect((await pending).fault).toBe('aborted');

      const streaming = new AbortController();
      fake.script({ kind: 'ok', content: 'many words in a slow stream', chunkDelayMs: 100 });
      const received: ChatCompletionChunk[] = [];
      const error = await failure(async () => {
        for await (const chunk of adapter.stream(request(), { signal: streaming.signal })) {
          received.push(chunk);
          if (received.length === 2) streaming.abort();
        }
      });
      expect(error.fault).toBe('aborted');
      expect(received).toHaveLength(2);

      const already = AbortSignal.abort();
      expect((await failure(() => adapter.complete(request(), { signal: already }))).fault).toBe(
        'aborted',
      );
    });
  });

  it('serves an OpenAI-compatible server under a custom name and base URL', async () => {
    const selfHosted = await startOpenAiFake({ models: ['llama-3.1-8b'] });
    try {
      const custom = new OpenAiAdapter({
        name: 'local-llama',
        apiKey: 'none',
        baseURL: selfHosted.url,
      });
      expect(custom.name).toBe('local-llama');
      expect(custom.kind).toBe('openai');
      selfHosted.script({ kind: 'ok', content: 'from llama' }, { kind: 'status', status: 503 });
      const completion = await custom.complete(request({ model: 'llama-3.1-8b' }), call());
      expect(completion.choices[0]?.message.content).toBe('from llama');
      expect(selfHosted.requests[0]?.body).toMatchObject({ model: 'llama-3.1-8b' });
      expect(selfHosted.requests[0]?.headers.authorization).toBe('Bearer none');
      const error = await failure(() =>
        custom.complete(request({ model: 'llama-3.1-8b' }), call()),
      );
      expect(error).toMatchObject({ provider: 'local-llama', fault: 'server' });
      expect(error.message).toMatch(/^local-llama: /);
      expect(fake.requests).toHaveLength(0);
    } finally {
      await selfHosted.close();
    }
  });
});

import type { ChatCompletionChunk } from '@gnomon/contracts';
import { startAnthropicFake, type AnthropicFake, type AnthropicFakeUsage } from '@gnomon/testing';
import type { ProviderRequest } from '../provider-adapter';
import { ProviderError } from '../provider-error';
import { AnthropicAdapter } from './anthropic.adapter';

const API_KEY = 'sk-ant-test-key';
const PNG_DATA =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

let fake: AnthropicFake;
let adapter: AnthropicAdapter;
/** Short timeouts, for the timeout faults. */
let impatient: AnthropicAdapter;

beforeAll(async () => {
  fake = await startAnthropicFake({ apiKey: API_KEY });
  adapter = new AnthropicAdapter({ apiKey: API_KEY, baseURL: fake.url, timeoutMs: 5_000 });
  impatient = new AnthropicAdapter({ apiKey: API_KEY, baseURL: fake.url, timeoutMs: 300 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function request(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    model: 'claude-test-1',
    messages: [{ role: 'user', content: 'Hello?' }],
    max_completion_tokens: 256,
    ...overrides,
  };
}

const options = () => ({ signal: new AbortController().signal });

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError');
}

function sentBody(index = 0): any {
  return fake.requests[index]?.body;
}

describe('AnthropicAdapter request translation', () => {
  it('sends system, images, tool calls, merged tool results and tools in the Messages format', async () => {
    await adapter.complete(
      request({
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is on these pictures?' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_DATA}` } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            ],
          },
          {
            role: 'assistant',
            content: 'Let me look that up.',
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'lookup', arguments: '{"q":"cat"}' },
              },
              {
                id: 'call_2',
                type: 'function',
                function: { name: 'lookup', arguments: 'not json' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
          { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'a dog' }] },
          { role: 'user', content: 'Thanks, summarize.' },
        ],
        tools: [
          {
            type: 'function',
            function: {
              name: 'lookup',
              description: 'Looks things up',
              parameters: {
                type: 'object',
                properties: { q: { type: 'string' } },
                required: ['q'],
              },
            },
          },
          { type: 'function', function: { name: 'now' } },
        ],
        tool_choice: 'required',
        parallel_tool_calls: false,
        stop: 'END',
        user: 'user-42',
        temperature: 0.2,
      }),
      options(),
    );

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent.headers['anthropic-version']).toBeDefined();
    const body = sentBody();
    expect(body.model).toBe('claude-test-1');
    expect(body.max_tokens).toBe(256);
    expect(body.system).toBe('You are terse.\n\nAnswer in English.');
    expect(body.stop_sequences).toEqual(['END']);
    expect(body.metadata).toEqual({ user_id: 'user-42' });
    expect(body.temperature).toBeUndefined(); // not part of this Messages API version
    expect(body.stream).toBe(false);
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is on these pictures?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_DATA } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me look that up.' },
          { type: 'tool_use', id: 'call_1', name: 'lookup', input: { q: 'cat' } },
          { type: 'tool_use', id: 'call_2', name: 'lookup', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: 'a cat' },
          {
            type: 'tool_result',
            tool_use_id: 'call_2',
            content: [{ type: 'text', text: 'a dog' }],
          },
          { type: 'text', text: 'Thanks, summarize.' },
        ],
      },
    ]);
    expect(body.tools).toEqual([
      {
        name: 'lookup',
        description: 'Looks things up',
        input_schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      },
      { name: 'now', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(body.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
  });

  it.each([
    ['auto', { type: 'auto' }],
    ['none', { type: 'none' }],
    ['required', { type: 'any' }],
    [
      { type: 'function', function: { name: 'lookup' } },
      { type: 'tool', name: 'lookup' },
    ],
  ] as const)('maps tool_choice %j', async (choice, expected) => {
    await adapter.complete(
      request({
        tools: [{ type: 'function', function: { name: 'lookup' } }],
        tool_choice: choice as ProviderRequest['tool_choice'],
      }),
      options(),
    );
    expect(sentBody().tool_choice).toEqual(expected);
  });

  it('asks for JSON with an instruction, and for a schema with native structured output', async () => {
    await adapter.complete(request({ response_format: { type: 'json_object' } }), options());
    expect(sentBody(0).system).toMatch(/JSON/);
    expect(sentBody(0).output_config).toBeUndefined();

    const schema = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] };
    await adapter.complete(
      request({
        messages: [
          { role: 'system', content: 'Count.' },
          { role: 'user', content: 'How many?' },
        ],
        response_format: { type: 'json_schema', json_schema: { name: 'count', schema } },
      }),
      options(),
    );
    expect(sentBody(1).system).toMatch(/^Count\.\n\n.*JSON/);
    expect(sentBody(1).output_config).toEqual({ format: { type: 'json_schema', schema } });
  });

  it('refuses images it cannot send, without calling the provider', async () => {
    const error = await failure(
      adapter.complete(
        request({
          messages: [
            {
              role: 'user',
              content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }],
            },
          ],
        }),
        options(),
      ),
    );
    expect(error.fault).toBe('bad_request');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('AnthropicAdapter responses', () => {
  const usage: AnthropicFakeUsage = {
    inputTokens: 120,
    cachedInputTokens: 80,
    cacheCreationInputTokens: 10,
    outputTokens: 17,
  };

  it('normalizes a text answer with usage including cache reads and writes', async () => {
    fake.script({ kind: 'ok', content: 'Hi there.', usage });
    const completion = await adapter.complete(request(), options());
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('claude-test-1');
    expect(completion.choices).toEqual([
      {
        index: 0,
        message: { role: 'assistant', content: 'Hi there.', refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      },
    ]);
    expect(completion.usage).toEqual({
      prompt_tokens: 120,
      completion_tokens: 17,
      total_tokens: 137,
      prompt_tokens_details: { cached_tokens: 80 },
    });
  });

  it('normalizes tool calls', async () => {
    fake.script({
      kind: 'ok',
      toolCalls: [
        { id: 'toolu_a', name: 'lookup', arguments: { q: 'cat' } },
        { id: 'toolu_b', name: 'now', arguments: {} },
      ],
    });
    const completion = await adapter.complete(request(), options());
    const choice = completion.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([
      { id: 'toolu_a', type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } },
      { id: 'toolu_b', type: 'function', function: { name: 'now', arguments: '{}' } },
    ]);
  });

  it.each([
    ['length', 'length'],
    ['content_filter', 'content_filter'],
    ['stop_sequence', 'stop'],
    ['model_context_window_exceeded', 'length'],
  ])('maps the stop reason of finish %s to %s', async (finishReason, expected) => {
    fake.script({ kind: 'ok', content: 'x', finishReason });
    const completion = await adapter.complete(request(), options());
    expect(completion.choices[0].finish_reason).toBe(expected);
  });

  it('estimates usage when the provider reports none', async () => {
    fake.script({ kind: 'ok', content: 'Some answer text.', usage: null });
    const completion = await adapter.complete(request(), options());
    expect(completion.usage.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage.completion_tokens).toBeGreaterThan(0);

    fake.script({ kind: 'ok', content: 'Some answer text.', usage: null });
    const chunks = await collect(adapter.stream(request(), options()));
    expect(chunks.at(-1)?.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('streams text deltas, a finish chunk, then a usage chunk', async () => {
    fake.script({ kind: 'ok', content: 'One two three four.', usage });
    const chunks = await collect(adapter.stream(request(), options()));
    expect(sentBody().stream).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('One two three four.');
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBe(4);
    const finish = chunks.at(-2)!;
    expect(finish.choices[0].finish_reason).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({
      prompt_tokens: 120,
      completion_tokens: 17,
      total_tokens: 137,
      prompt_tokens_details: { cached_tokens: 80 },
    });
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  });

  it('streams tool-call argument deltas with stable indexes, ids and names first', async () => {
    fake.script({
      kind: 'ok',
      content: 'Checking.',
      toolCalls: [
        { id: 'toolu_a', name: 'lookup', arguments: { query: 'the weather in Paris' } },
        { id: 'toolu_b', name: 'now', arguments: '' },
      ],
    });
    const chunks = await collect(adapter.stream(request(), options()));
    const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toEqual({
      index: 0,
      id: 'toolu_a',
      type: 'function',
      function: { name: 'lookup', arguments: '' },
    });
    const argsOf = (index: number) =>
      deltas
        .filter((delta) => delta.index === index)
        .map((delta) => delta.function?.arguments ?? '')
        .join('');
    expect(deltas.filter((delta) => delta.index === 0).length).toBeGreaterThan(2);
    expect(JSON.parse(argsOf(0))).toEqual({ query: 'the weather in Paris' });
    expect(deltas.find((delta) => delta.index === 1)).toMatchObject({ id: 'toolu_b' });
    expect(argsOf(1)).toBe('{}');
    expect(deltas.filter((delta) => delta.id !== undefined).map((delta) => delta.index)).toEqual([
      0, 1,
    ]);
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('tool_calls');
  });
});

describe('AnthropicAdapter faults', () => {
  it.each([
    [500, 'server'],
    [503, 'server'],
    [529, 'server'],
    [400, 'bad_request'],
    [404, 'bad_request'],
    [413, 'bad_request'],
    [422, 'bad_request'],
    [403, 'auth'],
  ] as const)('classifies HTTP %i as %s, without SDK retries', async (status, fault) => {
    fake.script({ kind: 'status', status });
    const error = await failure(adapter.complete(request(), options()));
    expect(error.fault).toBe(fault);
    expect(error.details.status).toBe(status);
    expect(fake.requests).toHaveLength(1);
  });

  it('classifies 429 as rate_limited with Retry-After', async () => {
    fake.script({ kind: 'status', status: 429, retryAfter: 7 });
    const error = await failure(adapter.complete(request(), options()));
    expect(error.fault).toBe('rate_limited');
    expect(error.details).toMatchObject({ status: 429, retryAfterMs: 7000 });
    expect(error.retryable).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  it('classifies 429 on a stream as rate_limited', async () => {
    fake.script({ kind: 'status', status: 429, retryAfter: 2 });
    const error = await failure(collect(adapter.stream(request(), options())));
    expect(error.fault).toBe('rate_limited');
    expect(error.details.retryAfterMs).toBe(2000);
  });

  it('classifies a rejected API key as auth', async () => {
    const wrongKey = new AnthropicAdapter({ apiKey: 'wrong', baseURL: fake.url });
    const error = await failure(wrongKey.complete(request(), options()));
    expect(error.fault).toBe('auth');
    expect(error.details.status).toBe(401);
    expect(error.canFailOver).toBe(true);
  });

  it('times out when no response comes', async () => {
    fake.script({ kind: 'timeout' });
    const error = await failure(impatient.complete(request(), options()));
    expect(error.fault).toBe('timeout');
    fake.script({ kind: 'timeout' });
    const streamError = await failure(collect(impatient.stream(request(), options())));
    expect(streamError.fault).toBe('timeout');
  });

  it('does not time out while the consumer is slow', async () => {
    fake.script({ kind: 'ok', content: 'a b c' });
    let count = 0;
    for await (const chunk of impatient.stream(request(), options())) {
      if (chunk.choices[0]?.delta.content) await new Promise((resolve) => setTimeout(resolve, 400));
      count += 1;
    }
    expect(count).toBeGreaterThan(3);
  });

  it('times out when a stream goes silent', async () => {
    fake.script({ kind: 'ok', content: 'slow words here', chunkDelayMs: 1_000 });
    const chunks: ChatCompletionChunk[] = [];
    const error = await failure(
      (async () => {
        for await (const chunk of impatient.stream(request(), options())) chunks.push(chunk);
      })(),
    );
    expect(error.fault).toBe('timeout');
    expect(chunks.length).toBeGreaterThan(0);
  });

  it('classifies a cut stream as connection', async () => {
    fake.script({ kind: 'cut', afterChunks: 4 });
    const chunks: ChatCompletionChunk[] = [];
    const error = await failure(
      (async () => {
        for await (const chunk of adapter.stream(request(), options())) chunks.push(chunk);
      })(),
    );
    expect(error.fault).toBe('connection');
    expect(chunks.some((chunk) => chunk.choices[0]?.delta.content)).toBe(true);
  });

  it('classifies a cut response body as connection', async () => {
    fake.script({ kind: 'cut', afterChunks: 0 });
    const error = await failure(adapter.complete(request(), options()));
    expect(error.fault).toBe('connection');
  });

  it('classifies a stream without message_stop as connection', async () => {
    fake.script({ kind: 'ok', content: 'unfinished', finishReason: null });
    const error = await failure(collect(adapter.stream(request(), options())));
    expect(error.fault).toBe('connection');
    expect(error.message).toMatch(/message_stop/);
  });

  it('classifies malformed stream events and bodies as malformed', async () => {
    fake.script({ kind: 'malformed', afterChunks: 3 });
    const error = await failure(collect(adapter.stream(request(), options())));
    expect(error.fault).toBe('malformed');

    fake.script({ kind: 'malformed', afterChunks: 0 });
    const bodyError = await failure(adapter.complete(request(), options()));
    expect(bodyError.fault).toBe('malformed');
  });

  it('reports a caller abort as aborted', async () => {
    fake.script({ kind: 'timeout' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(adapter.complete(request(), { signal: controller.signal }));
    expect(error.fault).toBe('aborted');

    fake.script({ kind: 'ok', content: 'a b c d e f g h', chunkDelayMs: 100 });
    const streamController = new AbortController();
    const chunks: ChatCompletionChunk[] = [];
    const streamError = await failure(
      (async () => {
        for await (const chunk of adapter.stream(request(), { signal: streamController.signal })) {
          chunks.push(chunk);
          if (chunks.length === 2) streamController.abort();
        }
      })(),
    );
    expect(streamError.fault).toBe('aborted');

    const aborted = new AbortController();
    aborted.abort();
    const early = await failure(collect(adapter.stream(request(), { signal: aborted.signal })));
    expect(early.fault).toBe('aborted');
  });
});

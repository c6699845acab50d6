import type { ChatCompletionChunk } from '@gnomon/contracts';
import { startGeminiFake, type GeminiFake, type GeminiFakeUsage } from '@gnomon/testing';
import type { ProviderRequest } from '../provider-adapter';
import { ProviderError } from '../provider-error';
import { GeminiAdapter } from './gemini.adapter';
import { SKIP_THOUGHT_SIGNATURE } from './gemini-format';

const API_KEY = 'gemini-test-key';
const PNG_DATA =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

let fake: GeminiFake;
let adapter: GeminiAdapter;
/** Short timeouts, for the timeout faults. */
let impatient: GeminiAdapter;

beforeAll(async () => {
  fake = await startGeminiFake({ apiKey: API_KEY });
  adapter = new GeminiAdapter({ apiKey: API_KEY, baseUrl: fake.url, timeoutMs: 5_000 });
  impatient = new GeminiAdapter({ apiKey: API_KEY, baseUrl: fake.url, timeoutMs: 300 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function request(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    model: 'gemini-test-flash',
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

describe('GeminiAdapter request translation', () => {
  it('sends systemInstruction, images, function calls and responses, tools and config', async () => {
    await adapter.complete(
      request({
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'developer', content: 'Answer in English.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is on these pictures?' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_DATA}` } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.webp' } },
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
              { id: 'call_2', type: 'function', function: { name: 'now', arguments: '{}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '{"answer":"a cat"}' },
          { role: 'tool', tool_call_id: 'call_2', content: 'noon' },
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
        tool_choice: { type: 'function', function: { name: 'lookup' } },
        temperature: 0.2,
        top_p: 0.9,
        stop: ['END', 'STOP'],
        seed: 7,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'summary', schema: { type: 'object' } },
        },
      }),
      options(),
    );

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent.path).toBe('/v1beta/models/gemini-test-flash:generateContent');
    expect(sent.headers['x-goog-api-key']).toBe(API_KEY);
    const body = sentBody();
    expect(body.systemInstruction).toEqual({
      parts: [{ text: 'You are terse.\n\nAnswer in English.' }],
    });
    expect(body.contents).toEqual([
      {
        role: 'user',
        parts: [
          { text: 'What is on these pictures?' },
          { inlineData: { mimeType: 'image/png', data: PNG_DATA } },
          { fileData: { fileUri: 'https://example.com/cat.webp', mimeType: 'image/webp' } },
        ],
      },
      {
        role: 'model',
        parts: [
          { text: 'Let me look that up.' },
          {
            functionCall: { id: 'call_1', name: 'lookup', args: { q: 'cat' } },
            thoughtSignature: SKIP_THOUGHT_SIGNATURE,
          },
          { functionCall: { id: 'call_2', name: 'now', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { id: 'call_1', name: 'lookup', response: { answer: 'a cat' } } },
          { functionResponse: { id: 'call_2', name: 'now', response: { output: 'noon' } } },
          { text: 'Thanks, summarize.' },
        ],
      },
    ]);
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'lookup',
            description: 'Looks things up',
            parametersJsonSchema: {
              type: 'object',
              properties: { q: { type: 'string' } },
              required: ['q'],
            },
          },
          { name: 'now' },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['lookup'] },
    });
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 256,
      temperature: 0.2,
      topP: 0.9,
      seed: 7,
      stopSequences: ['END', 'STOP'],
      responseMimeType: 'application/json',
      responseJsonSchema: { type: 'object' },
    });
  });

  it.each([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
  ] as const)('maps tool_choice %s', async (choice, expected) => {
    await adapter.complete(
      request({ tools: [{ type: 'function', function: { name: 'now' } }], tool_choice: choice }),
      options(),
    );
    expect(sentBody().toolConfig).toEqual({ functionCallingConfig: expected });
  });

  it('maps json_object to the JSON mime type', async () => {
    await adapter.complete(request({ response_format: { type: 'json_object' } }), options());
    expect(sentBody().generationConfig.responseMimeType).toBe('application/json');
    expect(sentBody().generationConfig.responseJsonSchema).toBeUndefined();
  });

  it('refuses a tool result that answers no tool call, without calling the provider', async () => {
    const error = await failure(
      adapter.complete(
        request({
          messages: [
            { role: 'user', content: 'Hi' },
            { role: 'tool', tool_call_id: 'call_unknown', content: 'x' },
          ],
        }),
        options(),
      ),
    );
    expect(error.fault).toBe('bad_request');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('GeminiAdapter responses', () => {
  const usage: GeminiFakeUsage = {
    inputTokens: 120,
    cachedInputTokens: 80,
    outputTokens: 30,
    thoughtsTokens: 12,
  };
  const expectedUsage = {
    prompt_tokens: 120,
    completion_tokens: 30,
    total_tokens: 150,
    prompt_tokens_details: { cached_tokens: 80 },
  };

  it('normalizes a text answer with usage including cached and thought tokens', async () => {
    fake.script({ kind: 'ok', content: 'Hi there.', usage });
    const completion = await adapter.complete(request(), options());
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gemini-test-flash');
    expect(completion.choices).toEqual([
      {
        index: 0,
        message: { role: 'assistant', content: 'Hi there.', refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      },
    ]);
    expect(completion.usage).toEqual(expectedUsage);
  });

  it('normalizes function calls, generating unique ids when Gemini gives none', async () => {
    fake.script({
      kind: 'ok',
      toolCalls: [
        { name: 'lookup', arguments: { q: 'cat' } },
        { name: 'now', arguments: {} },
      ],
    });
    const completion = await adapter.complete(request(), options());
    const choice = completion.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const calls = choice.message.tool_calls!;
    expect(calls.map((call) => call.function)).toEqual([
      { name: 'lookup', arguments: '{"q":"cat"}' },
      { name: 'now', arguments: '{}' },
    ]);
    expect(calls[0].id).toMatch(/^call_[0-9a-f]+_0$/);
    expect(calls[1].id).toMatch(/^call_[0-9a-f]+_1$/);

    fake.script({ kind: 'ok', toolCalls: [{ id: 'fc-9', name: 'now', arguments: {} }] });
    const withId = await adapter.complete(request(), options());
    expect(withId.choices[0].message.tool_calls![0].id).toBe('fc-9');
  });

  it.each([
    ['length', 'length'],
    ['content_filter', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['OTHER', 'stop'],
  ])('maps the finish reason of finish %s to %s', async (finishReason, expected) => {
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
    expect(fake.requests[0].path).toBe(
      '/v1beta/models/gemini-test-flash:streamGenerateContent?alt=sse',
    );
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('One two three four.');
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBe(4);
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(expectedUsage);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  });

  it('streams each function call as one delta with id, name and full arguments', async () => {
    fake.script({
      kind: 'ok',
      content: 'Checking.',
      toolCalls: [
        { name: 'lookup', arguments: { query: 'the weather in Paris' } },
        { name: 'now', arguments: {} },
      ],
    });
    const chunks = await collect(adapter.stream(request(), options()));
    const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(deltas).toHaveLength(2);
    expect(deltas[0]).toMatchObject({
      index: 0,
      type: 'function',
      function: { name: 'lookup', arguments: '{"query":"the weather in Paris"}' },
    });
    expect(deltas[1]).toMatchObject({ index: 1, function: { name: 'now', arguments: '{}' } });
    expect(deltas[0].id).toMatch(/^call_/);
    expect(deltas[0].id).not.toBe(deltas[1].id);
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('tool_calls');
  });
});

describe('GeminiAdapter faults', () => {
  it.each([
    [500, 'server'],
    [503, 'server'],
    [504, 'server'],
    [400, 'bad_request'],
    [404, 'bad_request'],
    [403, 'auth'],
  ] as const)('classifies HTTP %i as %s, without SDK retries', async (status, fault) => {
    fake.script({ kind: 'status', status });
    const error = await failure(adapter.complete(request(), options()));
    expect(error.fault).toBe(fault);
    expect(error.details.status).toBe(status);
    expect(fake.requests).toHaveLength(1);
  });

  it('classifies 429 as rate_limited with the retry delay', async () => {
    fake.script({ kind: 'status', status: 429, retryAfter: 7 });
    const error = await failure(adapter.complete(request(), options()));
    expect(error.fault).toBe('rate_limited');
    expect(error.details).toMatchObject({ status: 429, retryAfterMs: 7000 });
    expect(fake.requests).toHaveLength(1);

    fake.script({ kind: 'status', status: 429, retryAfter: 2 });
    const streamError = await failure(collect(adapter.stream(request(), options())));
    expect(streamError.fault).toBe('rate_limited');
    expect(streamError.details.retryAfterMs).toBe(2000);
  });

  it('reads the retry delay from a google.rpc.RetryInfo body without Retry-After', async () => {
    fake.script({
      kind: 'status',
      status: 429,
      body: {
        error: {
          code: 429,
          message: 'Resource has been exhausted (e.g. check quota).',
          status: 'RESOURCE_EXHAUSTED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }],
        },
      },
    });
    const error = await failure(adapter.complete(request(), options()));
    expect(error.fault).toBe('rate_limited');
    expect(error.details.retryAfterMs).toBe(1500);
  });

  it("classifies Gemini's 400 API_KEY_INVALID as auth", async () => {
    const wrongKey = new GeminiAdapter({ apiKey: 'wrong', baseUrl: fake.url });
    const error = await failure(wrongKey.complete(request(), options()));
    expect(error.fault).toBe('auth');
    expect(error.details.status).toBe(400);
  });

  it('times out when no response comes', async () => {
    fake.script({ kind: 'timeout' });
    const error = await failure(impatient.complete(request(), options()));
    expect(error.fault).toBe('timeout');
    fake.script({ kind: 'timeout' });
    const streamError = await failure(collect(impatient.stream(request(), options())));
    expect(streamError.fault).toBe('timeout');
  });

  it('times out when a stream goes silent, not while the consumer is slow', async () => {
    fake.script({ kind: 'ok', content: 'slow words here', chunkDelayMs: 1_000 });
    const chunks: ChatCompletionChunk[] = [];
    const error = await failure(
      (async () => {
        for await (const chunk of impatient.stream(request(), options())) chunks.push(chunk);
      })(),
    );
    expect(error.fault).toBe('timeout');
    expect(chunks.length).toBeGreaterThan(0);

    fake.script({ kind: 'ok', content: 'a b c' });
    let slowChunks = 0;
    for await (const chunk of impatient.stream(request(), options())) {
      if (chunk.choices[0]?.delta.content) await new Promise((resolve) => setTimeout(resolve, 400));
      slowChunks += 1;
    }
    expect(slowChunks).toBeGreaterThan(3);
  });

  it('classifies a cut stream and a cut body as connection', async () => {
    fake.script({ kind: 'cut', afterChunks: 3 });
    const chunks: ChatCompletionChunk[] = [];
    const error = await failure(
      (async () => {
        for await (const chunk of adapter.stream(request(), options())) chunks.push(chunk);
      })(),
    );
    expect(error.fault).toBe('connection');
    expect(chunks.some((chunk) => chunk.choices[0]?.delta.content)).toBe(true);
    expect(fake.requests).toHaveLength(1); // no automatic continuation / reconnect

    fake.script({ kind: 'cut', afterChunks: 0 });
    const bodyError = await failure(adapter.complete(request(), options()));
    expect(bodyError.fault).toBe('connection');
  });

  it('classifies a stream that ends without a finishReason as connection', async () => {
    fake.script({ kind: 'ok', content: 'unfinished', finishReason: null });
    const error = await failure(collect(adapter.stream(request(), options())));
    expect(error.fault).toBe('connection');
    expect(fake.requests).toHaveLength(1);
  });

  it('classifies malformed chunks and bodies as malformed', async () => {
    fake.script({ kind: 'malformed', afterChunks: 2 });
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

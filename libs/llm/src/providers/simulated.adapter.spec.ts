import type { ChatCompletionChunk, ToolDefinition } from '@gnomon/contracts';
import type { ProviderRequest } from '../provider-adapter';
import { ProviderError } from '../provider-error';
import { placeholderFor, SimulatedAdapter } from './simulated.adapter';

function request(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    model: 'sim-1',
    messages: [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'What is the capital of France?' },
    ],
    max_completion_tokens: 1_000,
    ...overrides,
  };
}

const call = () => ({ signal: new AbortController().signal });

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const weatherTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        days: { type: 'integer', minimum: 1 },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        detailed: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' } },
        note: { type: 'string' },
      },
      required: ['city', 'days', 'unit', 'detailed', 'tags'],
    },
  },
};
const searchTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'search_docs',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
};

describe('SimulatedAdapter', () => {
  const adapter = new SimulatedAdapter();

  it('is the simulated provider', () => {
    expect(adapter.name).toBe('simulated');
    expect(adapter.kind).toBe('simulated');
  });

  it('answers deterministically, differently for different messages, and says it is simulated', async () => {
    const first = await adapter.complete(request(), call());
    const again = await adapter.complete(request(), call());
    const other = await adapter.complete(
      request({ messages: [{ role: 'user', content: 'Write a haiku about databases.' }] }),
      call(),
    );

    expect(again.choices).toEqual(first.choices);
    expect(again.usage).toEqual(first.usage);
    expect(again.id).toBe(first.id);
    expect(other.choices[0]?.message.content).not.toBe(first.choices[0]?.message.content);
    expect(first).toMatchObject({
      object: 'chat.completion',
      model: 'sim-1',
      system_fingerprint: 'gnomon-simulated',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant' } }],
    });
    const content = first.choices[0]?.message.content ?? '';
    expect(content.toLowerCase()).toContain('simulated');
    expect(content).toContain('capital of France');
  });

  it('reports realistic token counts (about 4 characters per token)', async () => {
    const completion = await adapter.complete(request(), call());
    const content = completion.choices[0]?.message.content ?? '';
    expect(completion.usage.completion_tokens).toBe(Math.ceil(content.length / 4));
    const promptChars = 'You are helpful.'.length + 'What is the capital of France?'.length;
    expect(completion.usage.prompt_tokens).toBeGreaterThanOrEqual(Math.ceil(promptChars / 4));
    expect(completion.usage.prompt_tokens).toBeLessThan(Math.ceil(promptChars / 4) + 16);
    expect(completion.usage.total_tokens).toBe(
      completion.usage.prompt_tokens + completion.usage.completion_tokens,
    );

    const longer = await adapter.complete(
      request({ messages: [{ role: 'user', content: 'x'.repeat(4_000) }] }),
      call(),
    );
    expect(longer.usage.prompt_tokens).toBeGreaterThanOrEqual(1_000);
  });

  it('streams the same text in several chunks, then the finish and the usage', async () => {
    const completion = await adapter.complete(request(), call());
    const chunks = await collect(adapter.stream(request(), call()));
    const deltas = chunks
      .map((chunk) => chunk.choices[0]?.delta.content ?? '')
      .filter((piece) => piece !== '');

    expect(deltas.length).toBeGreaterThanOrEqual(3);
    expect(deltas.join('')).toBe(completion.choices[0]?.message.content);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({
      object: 'chat.completion.chunk',
      choices: [],
      usage: completion.usage,
    });
    expect(new Set(chunks.map((chunk) => chunk.id))).toEqual(new Set([completion.id]));
  });

  describe('tool calls', () => {
    it('calls the offered tool with valid arguments for its schema', async () => {
      const completion = await adapter.complete(request({ tools: [weatherTool] }), call());
      const choice = completion.choices[0];
      expect(choice?.finish_reason).toBe('tool_calls');
      expect(choice?.message.content).toBeNull();
      const toolCall = choice?.message.tool_calls?.[0];
      expect(toolCall).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
      expect(toolCall?.id).toMatch(/^call_sim_/);
      const args = JSON.parse(toolCall?.function.arguments ?? '');
      expect(args).toEqual({
        city: expect.any(String),
        days: 1,
        unit: 'celsius',
        detailed: true,
        tags: [],
      });
      expect(completion.usage.completion_tokens).toBeGreaterThan(0);
    });

    it('prefers the named tool, then a tool the message mentions, then the first one', async () => {
      const named = await adapter.complete(
        request({
          tools: [weatherTool, searchTool],
          tool_choice: { type: 'function', function: { name: 'search_docs' } },
        }),
        call(),
      );
      expect(named.choices[0]?.message.tool_calls?.[0]?.function.name).toBe('search_docs');

      const mentioned = await adapter.complete(
        request({
          tools: [weatherTool, searchTool],
          messages: [{ role: 'user', content: 'Use search_docs for "zod"' }],
        }),
        call(),
      );
      expect(mentioned.choices[0]?.message.tool_calls?.[0]?.function.name).toBe('search_docs');

      const required = await adapter.complete(
        request({ tools: [weatherTool, searchTool], tool_choice: 'required' }),
        call(),
      );
      expect(required.choices[0]?.message.tool_calls?.[0]?.function.name).toBe('get_weather');
    });

    it("answers with text when tool_choice is 'none' or the last message is a tool result", async () => {
      const none = await adapter.complete(
        request({ tools: [weatherTool], tool_choice: 'none' }),
        call(),
      );
      expect(none.choices[0]?.finish_reason).toBe('stop');
      expect(none.choices[0]?.message.tool_calls).toBeUndefined();

      const afterTool = await adapter.complete(
        request({
          tools: [weatherTool],
          messages: [
            { role: 'user', content: 'Weather in Paris?' },
            {
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  id: 'call_1',
                  type: 'function',
                  function: { name: 'get_weather', arguments: '{}' },
                },
              ],
            },
            { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 21}' },
          ],
        }),
        call(),
      );
      expect(afterTool.choices[0]?.finish_reason).toBe('stop');
      expect(afterTool.choices[0]?.message.content).toContain('{"temp": 21}');
    });

    it('streams the tool call as a header delta and argument deltas', async () => {
      const completion = await adapter.complete(request({ tools: [weatherTool] }), call());
      const chunks = await collect(adapter.stream(request({ tools: [weatherTool] }), call()));
      const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
      const expected = completion.choices[0]?.message.tool_calls?.[0];

      expect(deltas[0]).toEqual({
        index: 0,
        id: expected?.id,
        type: 'function',
        function: { name: 'get_weather', arguments: '' },
      });
      expect(deltas.length).toBeGreaterThan(2);
      expect(deltas.map((delta) => delta.function?.arguments ?? '').join('')).toBe(
        expected?.function.arguments,
      );
      expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
      expect(chunks.at(-1)?.usage).toEqual(completion.usage);
    });
  });

  describe('response formats', () => {
    it('returns a JSON object for json_object', async () => {
      const completion = await adapter.complete(
        request({ response_format: { type: 'json_object' } }),
        call(),
      );
      const value = JSON.parse(completion.choices[0]?.message.content ?? '');
      expect(value).toMatchObject({
        simulated: true,
        answer: expect.stringContaining('capital of France'),
      });
    });

    it('returns JSON valid for the json_schema', async () => {
      const completion = await adapter.complete(
        request({
          response_format: {
            type: 'json_schema',
            json_schema: {
              name: 'city_facts',
              strict: true,
              schema: {
                type: 'object',
                properties: {
                  city: { type: 'string' },
                  population: { type: 'number' },
                  landmarks: { type: 'array', items: { type: 'string' }, minItems: 1 },
                  country: {
                    type: 'object',
                    properties: { code: { type: 'string', minLength: 2, maxLength: 2 } },
                    required: ['code'],
                  },
                  founded: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: -500 }] },
                },
                required: ['city', 'population', 'landmarks', 'country', 'founded'],
                additionalProperties: false,
              },
            },
          },
        }),
        call(),
      );
      const value = JSON.parse(completion.choices[0]?.message.content ?? '');
      expect(value).toEqual({
        city: expect.any(String),
        population: 1,
        landmarks: [expect.any(String)],
        country: { code: expect.stringMatching(/^.{2}$/) },
        founded: -500,
      });
    });

    it('fills placeholders for common schema shapes', () => {
      expect(placeholderFor({ type: ['string', 'null'], format: 'date' }, 'd')).toBe('2024-01-01');
      expect(placeholderFor({ const: 'fixed' }, 'c')).toBe('fixed');
      expect(placeholderFor({ type: 'number', exclusiveMinimum: 5 }, 'n')).toBe(6);
      expect(placeholderFor({ properties: { a: { type: 'boolean' } } }, 'o')).toEqual({ a: true });
    });
  });

  it('cuts the answer at max_completion_tokens with finish_reason length', async () => {
    const completion = await adapter.complete(request({ max_completion_tokens: 5 }), call());
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.choices[0]?.message.content).toHaveLength(20);
    expect(completion.usage.completion_tokens).toBe(5);

    const chunks = await collect(adapter.stream(request({ max_completion_tokens: 5 }), call()));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
      completion.choices[0]?.message.content,
    );
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('length');
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(5);

    const tool = await adapter.complete(
      request({ tools: [weatherTool], max_completion_tokens: 3 }),
      call(),
    );
    expect(tool.choices[0]?.finish_reason).toBe('length');
    expect(tool.usage.completion_tokens).toBe(3);
  });

  it('waits for the configured latency and honours abort', async () => {
    const slow = new SimulatedAdapter({ latencyMs: 120 });
    const started = Date.now();
    await slow.complete(request(), call());
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);

    const controller = new AbortController();
    const pending = slow.complete(request(), { signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(pending).rejects.toMatchObject({ fault: 'aborted' });
    await expect(pending).rejects.toBeInstanceOf(ProviderError);

    await expect(
      collect(adapter.stream(request(), { signal: AbortSignal.abort() })),
    ).rejects.toMatchObject({
      fault: 'aborted',
    });
  });
});

import { ModelCatalog, type ModelEntry } from '@gnomon/llm';
import { modelExistsFor } from './task-references';

describe('modelExistsFor', () => {
  const entry = (provider: string, model: string): ModelEntry => ({
    provider,
    model,
    contextWindow: 128_000,
    maxOutputTokens: 4_096,
    inputPerMillion: 1,
    outputPerMillion: 1,
    cachedInputPerMillion: 1,
  });
  const catalog = new ModelCatalog([
    entry('openai', 'gpt-4o-mini'),
    entry('anthropic', 'claude-haiku-4-5'),
  ]);
  const exists = modelExistsFor(catalog, {
    routes: { cheap: { chain: ['openai/gpt-4o-mini'] } },
  });

  it.each([
    ['a catalog model as provider/model', 'openai/gpt-4o-mini'],
    ['a bare catalog model id', 'claude-haiku-4-5'],
    ["one of the tenant's route aliases", 'cheap'],
    ["the gateway's built-in default alias", 'default'],
    ['a model of a provider the catalog does not know (custom)', 'my-vllm/qwen2.5-72b'],
  ])('accepts %s (%s)', (_what, name) => {
    expect(exists(name)).toBe(true);
  });

  it.each([
    ["a catalog provider's unknown model", 'openai/gpt-9'],
    ['a bare id no catalog entry has', 'gpt-9'],
    ["another tenant's alias (not in this routing)", 'fast'],
    ['a malformed provider/model', 'OpenAI/gpt-4o-mini'],
    ['an empty model part', 'openai/'],
    ['a model with a second slash', 'openai/gpt-4o-mini/extra'],
  ])('refuses %s (%s)', (_what, name) => {
    expect(exists(name)).toBe(false);
  });

  it('without stored routing only the default alias is an alias', () => {
    const bare = modelExistsFor(catalog, null);
    expect([bare('default'), bare('cheap')]).toEqual([true, false]);
  });
});

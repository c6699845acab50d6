import type { Usage } from '@gnomon/contracts';
import catalogFile from './models.v1.json';

/** One model a provider serves, with its limits and prices (micro-USD per million tokens). */
export interface ModelEntry {
  provider: string;
  model: string;
  contextWindow: number;
  maxOutputTokens: number;
  inputPerMillion: number;
  outputPerMillion: number;
  cachedInputPerMillion: number;
}

export const CATALOG_VERSION: number = catalogFile.version;

/**
 * The versioned model catalog (`models.v1.json`). A custom OpenAI-compatible provider serves
 * models that are not in the file; they are priced with `fallback` so nothing runs unpriced.
 */
export class ModelCatalog {
  private readonly byKey = new Map<string, ModelEntry>();

  constructor(entries: ModelEntry[] = catalogFile.models) {
    for (const entry of entries) this.byKey.set(`${entry.provider}/${entry.model}`, entry);
  }

  find(provider: string, model: string): ModelEntry | undefined {
    return this.byKey.get(`${provider}/${model}`);
  }

  forProvider(provider: string): ModelEntry[] {
    return [...this.byKey.values()].filter((entry) => entry.provider === provider);
  }

  all(): ModelEntry[] {
    return [...this.byKey.values()];
  }
}

/** Cost in micro-USD, rounded up so spend is never under-counted. */
export function costOf(
  entry: ModelEntry,
  usage: Pick<Usage, 'prompt_tokens' | 'completion_tokens'> & { cached_tokens?: number },
): number {
  const cached = Math.min(usage.cached_tokens ?? 0, usage.prompt_tokens);
  const uncached = usage.prompt_tokens - cached;
  const micro =
    (uncached * entry.inputPerMillion +
      cached * entry.cachedInputPerMillion +
      usage.completion_tokens * entry.outputPerMillion) /
    1_000_000;
  return Math.ceil(micro);
}

/** Worst case before the call: every prompt token uncached, every allowed output token used. */
export function worstCaseCost(
  entry: ModelEntry,
  promptTokens: number,
  maxOutputTokens: number,
): number {
  return costOf(entry, { prompt_tokens: promptTokens, completion_tokens: maxOutputTokens });
}

import {
  AnthropicAdapter,
  GeminiAdapter,
  ModelCatalog,
  OpenAiAdapter,
  SimulatedAdapter,
  type ModelEntry,
  type ProviderAdapter,
} from '@gnomon/llm';
import type { GatewayEnv } from '../config/gateway.config';

/** The providers this gateway offers, and the catalog extended with custom providers' models. */
export interface ProviderRegistry {
  adapters: Map<string, ProviderAdapter>;
  catalog: ModelCatalog;
}

/**
 * Builds the upstream adapters from the environment under the SDKs' usual names. A provider
 * with no credential is simply not offered; the simulated provider only when explicitly enabled.
 */
export function buildProviderRegistry(
  env: GatewayEnv,
  source: NodeJS.ProcessEnv = process.env,
): ProviderRegistry {
  const adapters = new Map<string, ProviderAdapter>();
  const timeoutMs = env.GNOMON_PROVIDER_TIMEOUT_MS;
  if (env.OPENAI_API_KEY) {
    adapters.set(
      'openai',
      new OpenAiAdapter({
        name: 'openai',
        apiKey: env.OPENAI_API_KEY,
        baseURL: env.OPENAI_BASE_URL,
        timeoutMs,
      }),
    );
  }
  if (env.ANTHROPIC_API_KEY) {
    adapters.set(
      'anthropic',
      new AnthropicAdapter({
        name: 'anthropic',
        apiKey: env.ANTHROPIC_API_KEY,
        baseURL: env.ANTHROPIC_BASE_URL,
        timeoutMs,
      }),
    );
  }
  if (env.GEMINI_API_KEY) {
    adapters.set(
      'gemini',
      new GeminiAdapter({
        name: 'gemini',
        apiKey: env.GEMINI_API_KEY,
        baseUrl: env.GEMINI_BASE_URL,
        timeoutMs,
      }),
    );
  }
  if (env.GNOMON_SIMULATED_PROVIDER) {
    adapters.set('simulated', new SimulatedAdapter({ latencyMs: env.GNOMON_SIMULATED_LATENCY_MS }));
  }
  const catalog = new ModelCatalog();
  const extra: ModelEntry[] = [];
  for (const custom of env.GNOMON_OPENAI_COMPATIBLE_PROVIDERS ?? []) {
    if (adapters.has(custom.name))
      throw new Error(`custom provider "${custom.name}" clashes with a built-in provider`);
    const apiKey = custom.apiKeyEnv ? source[custom.apiKeyEnv] : 'none';
    if (!apiKey) continue; // no credential: not offered
    adapters.set(
      custom.name,
      new OpenAiAdapter({ name: custom.name, apiKey, baseURL: custom.baseURL, timeoutMs }),
    );
    for (const model of custom.models) extra.push({ provider: custom.name, ...model });
  }
  return {
    adapters,
    catalog: extra.length > 0 ? new ModelCatalog([...catalog.all(), ...extra]) : catalog,
  };
}

import { Inject, Injectable } from '@nestjs/common';
import { AnthropicAdapter, GeminiAdapter, OpenAiAdapter, type ProviderAdapter } from '@gnomon/llm';
import type { GatewayConfig } from '../config/gateway.config';
import { GATEWAY_CONFIG, PROVIDERS } from './tokens';

/** A tenant's own provider key, decrypted (kept in process memory only). */
export interface TenantCredential {
  id: string;
  provider: string;
  apiKey: string;
  baseUrl: string | null;
}

/** The providers one call may use: the platform's, with the tenant's own keys taking precedence. */
export interface ProviderSet {
  readonly adapter: (provider: string) => ProviderAdapter | undefined;
  readonly offers: (provider: string) => boolean;
}

/**
 * Builds adapters for tenants' own provider keys (bring your own key) and keeps them per
 * credential, so a tenant's key is used for its calls and never for anyone else's.
 */
@Injectable()
export class TenantProviders {
  private readonly byCredential = new Map<string, ProviderAdapter | null>();

  constructor(
    @Inject(PROVIDERS) private readonly platform: Map<string, ProviderAdapter>,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  forTenant(credentials: readonly TenantCredential[]): ProviderSet {
    if (credentials.length === 0) return this.platformSet();
    const own = new Map<string, ProviderAdapter>();
    for (const credential of credentials) {
      const adapter = this.adapterFor(credential);
      if (adapter && !own.has(credential.provider)) own.set(credential.provider, adapter);
    }
    return {
      adapter: (provider) => own.get(provider) ?? this.platform.get(provider),
      offers: (provider) => own.has(provider) || this.platform.has(provider),
    };
  }

  private platformSet(): ProviderSet {
    return {
      adapter: (provider) => this.platform.get(provider),
      offers: (provider) => this.platform.has(provider),
    };
  }

  private adapterFor(credential: TenantCredential): ProviderAdapter | null {
    const cached = this.byCredential.get(credential.id);
    if (cached !== undefined) return cached;
    const env = this.config.env;
    const timeoutMs = env.GNOMON_PROVIDER_TIMEOUT_MS;
    const baseUrl = credential.baseUrl ?? undefined;
    let adapter: ProviderAdapter | null;
    switch (credential.provider) {
      case 'openai':
        adapter = new OpenAiAdapter({
          name: 'openai',
          apiKey: credential.apiKey,
          baseURL: baseUrl ?? env.OPENAI_BASE_URL,
          timeoutMs,
        });
        break;
      case 'anthropic':
        adapter = new AnthropicAdapter({
          name: 'anthropic',
          apiKey: credential.apiKey,
          baseURL: baseUrl ?? env.ANTHROPIC_BASE_URL,
          timeoutMs,
        });
        break;
      case 'gemini':
        adapter = new GeminiAdapter({
          name: 'gemini',
          apiKey: credential.apiKey,
          baseUrl: baseUrl ?? env.GEMINI_BASE_URL,
          timeoutMs,
        });
        break;
      default:
        // Any other name is an OpenAI-compatible endpoint of the tenant's own (needs a base URL).
        adapter = baseUrl
          ? new OpenAiAdapter({
              name: credential.provider,
              apiKey: credential.apiKey,
              baseURL: baseUrl,
              timeoutMs,
            })
          : null;
    }
    if (this.byCredential.size > 10_000) this.byCredential.clear();
    this.byCredential.set(credential.id, adapter);
    return adapter;
  }
}

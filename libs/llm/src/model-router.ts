import type { LlmRoute, LlmRouteConfig } from '@gnomon/contracts';
import type { ModelCatalog, ModelEntry } from './catalog/model-catalog';

/** One step of a resolved chain: a provider and the model id it knows. */
export interface RouteTarget {
  provider: string;
  model: string;
  entry: ModelEntry;
}

export interface ResolvedRoute {
  /** What the client asked for (alias, `provider/model` or a bare model id). */
  requested: string;
  targets: RouteTarget[];
  requestTimeoutMs: number;
  firstTokenTimeoutMs: number;
}

export type RouteResolution =
  | { ok: true; route: ResolvedRoute }
  | { ok: false; reason: 'unknown_model' | 'model_not_allowed' | 'no_provider'; message: string };

export const DEFAULT_ROUTE_ALIAS = 'default';
const DEFAULT_CHAIN = [
  'openai/gpt-4o-mini',
  'anthropic/claude-haiku-4-5',
  'gemini/gemini-2.5-flash',
  'simulated/sim-small',
];
const DEFAULTS = { requestTimeoutMs: 120_000, firstTokenTimeoutMs: 30_000 };

/**
 * Resolves what a client asks for into an ordered chain of (provider, model): a tenant alias
 * (with its fallback chain), an explicit `provider/model`, or a bare catalog model id. Only
 * providers that are configured on this gateway are kept, and only models the tenant allows.
 */
export class ModelRouter {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly offered: (provider: string) => boolean,
  ) {}

  /** `offered` narrows or widens the providers for one tenant (e.g. its own keys). */
  resolve(
    requested: string,
    config: LlmRouteConfig | null,
    offered: (provider: string) => boolean = this.offered,
  ): RouteResolution {
    const route: LlmRoute | undefined =
      config?.routes[requested] ??
      (requested === DEFAULT_ROUTE_ALIAS ? { chain: DEFAULT_CHAIN } : undefined);
    const refs = route ? route.chain : [this.qualify(requested, offered)];
    if (refs[0] === null)
      return { ok: false, reason: 'unknown_model', message: `unknown model "${requested}"` };
    const allowed = config?.allowedModels ? new Set(config.allowedModels) : null;
    const targets: RouteTarget[] = [];
    let disallowed = false;
    for (const ref of refs as string[]) {
      if (allowed && !allowed.has(ref)) {
        disallowed = true;
        continue;
      }
      const [provider, ...rest] = ref.split('/');
      const model = rest.join('/');
      const entry = this.catalog.find(provider, model);
      if (entry && offered(provider)) targets.push({ provider, model, entry });
    }
    if (targets.length === 0) {
      if (disallowed)
        return {
          ok: false,
          reason: 'model_not_allowed',
          message: `model "${requested}" is not allowed for this tenant`,
        };
      return {
        ok: false,
        reason: 'no_provider',
        message: `no configured provider serves "${requested}"`,
      };
    }
    return {
      ok: true,
      route: {
        requested,
        targets,
        requestTimeoutMs: route?.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
        firstTokenTimeoutMs: route?.firstTokenTimeoutMs ?? DEFAULTS.firstTokenTimeoutMs,
      },
    };
  }

  /** Models a tenant may call on this gateway (for GET /v1/models). */
  listAllowed(
    config: LlmRouteConfig | null,
    offered: (provider: string) => boolean = this.offered,
  ): { id: string; owned_by: string }[] {
    const allowed = config?.allowedModels ? new Set(config.allowedModels) : null;
    const models = this.catalog
      .all()
      .filter((entry) => offered(entry.provider))
      .map((entry) => `${entry.provider}/${entry.model}`)
      .filter((ref) => !allowed || allowed.has(ref))
      .map((ref) => ({ id: ref, owned_by: ref.split('/')[0] }));
    const aliases = Object.keys({ [DEFAULT_ROUTE_ALIAS]: true, ...(config?.routes ?? {}) })
      .filter((alias) => this.resolve(alias, config, offered).ok)
      .map((alias) => ({ id: alias, owned_by: 'gnomon' }));
    return [...aliases, ...models];
  }

  /** `provider/model` as is; a bare id → the first offered provider whose catalog has it. */
  private qualify(requested: string, offered: (provider: string) => boolean): string | null {
    if (requested.includes('/')) return requested;
    const entry = this.catalog.all().find((e) => e.model === requested && offered(e.provider));
    return entry ? `${entry.provider}/${entry.model}` : null;
  }
}

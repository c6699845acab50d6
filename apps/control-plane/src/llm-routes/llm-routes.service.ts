import { Injectable } from '@nestjs/common';
import type { LlmRouteConfig, LlmRouteConfigView } from '@gnomon/contracts';
import { TenantDatabase, type TenantScope } from '@gnomon/db';
import { ApiError, issuePath, type TenantCaller } from '@gnomon/http-api';
import { ModelCatalog } from '@gnomon/llm';
import { AuditTrail } from '../audit/audit-trail';
import { LlmRoutesRepository, type StoredRouteConfig } from './llm-routes.repository';

/** What a tenant that never saved its routing gets: every model, no aliases. */
const DEFAULT_VIEW: LlmRouteConfigView = {
  allowedModels: null,
  routes: {},
  version: 0,
  updatedAt: null,
};

function routeConfigView(stored: StoredRouteConfig | null): LlmRouteConfigView {
  if (!stored) return DEFAULT_VIEW;
  // Validated with LlmRouteConfig before it was stored.
  const config = stored.config as unknown as LlmRouteConfig;
  return {
    allowedModels: config.allowedModels,
    routes: config.routes,
    version: stored.version,
    updatedAt: stored.updatedAt.toISOString(),
  };
}

interface Problem {
  path: string;
  message: string;
}

/**
 * Model references the catalog can refute: a provider the catalog knows with a model it does
 * not. Providers absent from the catalog are custom OpenAI-compatible ones configured on the
 * gateway, whose models cannot be checked here. Chain entries must also be allowed models.
 */
export function routeConfigProblems(config: LlmRouteConfig, catalog: ModelCatalog): Problem[] {
  const problems: Problem[] = [];
  const unknown = (ref: string, path: PropertyKey[]) => {
    const [provider, ...rest] = ref.split('/');
    const model = rest.join('/');
    if (catalog.forProvider(provider).length > 0 && !catalog.find(provider, model)) {
      problems.push({ path: `body.${issuePath(path)}`, message: `unknown model "${ref}"` });
      return true;
    }
    return false;
  };
  config.allowedModels?.forEach((ref, i) => unknown(ref, ['allowedModels', i]));
  const allowed = config.allowedModels ? new Set(config.allowedModels) : null;
  for (const [alias, route] of Object.entries(config.routes)) {
    route.chain.forEach((ref, i) => {
      const path: PropertyKey[] = ['routes', alias, 'chain', i];
      if (unknown(ref, path)) return;
      if (allowed && !allowed.has(ref)) {
        problems.push({
          path: `body.${issuePath(path)}`,
          message: `"${ref}" is not in allowedModels`,
        });
      }
    });
  }
  return problems;
}

@Injectable()
export class LlmRoutesService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly routes: LlmRoutesRepository,
    private readonly audit: AuditTrail,
    private readonly catalog: ModelCatalog,
  ) {}

  async get(scope: TenantScope): Promise<LlmRouteConfigView> {
    return routeConfigView(await this.db.inTenant(scope, (t) => this.routes.find(t)));
  }

  /** Replaces the tenant's routing; every save bumps `version`. */
  async replace(caller: TenantCaller, config: LlmRouteConfig): Promise<LlmRouteConfigView> {
    const problems = routeConfigProblems(config, this.catalog);
    if (problems.length > 0) {
      throw new ApiError(
        'validation_failed',
        problems.map((p) => `${p.path}: ${p.message}`).join('; '),
        { errors: problems },
      );
    }
    const document: LlmRouteConfig = { allowedModels: config.allowedModels, routes: config.routes };
    return this.db.inTenant(caller.tenant, async (t) => {
      const principal = caller.principal;
      const saved = await this.routes.save(t, document, `${principal.type}:${principal.id}`);
      await this.audit.record(t, caller, {
        action: 'llm_routes.updated',
        targetType: 'llm_routes',
        targetId: null,
        metadata: {
          version: saved.version,
          allowedModels: document.allowedModels,
          routes: Object.keys(document.routes),
        },
      });
      return routeConfigView(saved);
    });
  }
}

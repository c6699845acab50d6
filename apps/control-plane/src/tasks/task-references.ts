import { Injectable } from '@nestjs/common';
import {
  checkTaskReferences,
  ModelRef,
  toolNamesOf,
  type LlmRouteConfig,
  type TaskDefinition,
} from '@gnomon/contracts';
import type { TenantTx } from '@gnomon/db';
import { issuePath } from '@gnomon/http-api';
import { DEFAULT_ROUTE_ALIAS, ModelCatalog } from '@gnomon/llm';
import { LlmRoutesRepository } from '../llm-routes/llm-routes.repository';
import { ToolRepository } from '../tools/tool.repository';

export interface ReferenceProblem {
  path: string;
  message: string;
}

/**
 * Whether a model name in a task resolves for this tenant, by the rules the rest of the
 * platform uses: a route alias of the tenant (or the gateway's built-in `default`); a
 * well-formed `provider/model` the catalog knows — a provider the catalog does not know is a custom
 * OpenAI-compatible one configured on the gateway, which cannot be refuted here (as on
 * /api/v1/llm-routes); or a bare catalog model id (the gateway qualifies those).
 */
export function modelExistsFor(
  catalog: ModelCatalog,
  routes: Pick<LlmRouteConfig, 'routes'> | null,
): (name: string) => boolean {
  const aliases = new Set([DEFAULT_ROUTE_ALIAS, ...Object.keys(routes?.routes ?? {})]);
  return (name) => {
    if (aliases.has(name)) return true;
    const slash = name.indexOf('/');
    if (slash < 0) return catalog.all().some((entry) => entry.model === name);
    if (!ModelRef.safeParse(name).success) return false;
    const provider = name.slice(0, slash);
    const model = name.slice(slash + 1);
    return catalog.forProvider(provider).length === 0 || !!catalog.find(provider, model);
  };
}

/** Tools a definition may use: the tenant's live tools, by name, with their versions. */
interface ToolIndex {
  exists(name: string, version?: number): boolean;
}

/**
 * Checks the tools and models a parsed definition names against the tenant's tool registry,
 * its model routing and the model catalog. Paths are the request's
 * (`body.definition.steps[1].tools[0]`), as in every other validation error.
 */
@Injectable()
export class TaskReferenceChecker {
  constructor(
    private readonly tools: ToolRepository,
    private readonly routes: LlmRoutesRepository,
    private readonly catalog: ModelCatalog,
  ) {}

  async problems(t: TenantTx, definition: TaskDefinition): Promise<ReferenceProblem[]> {
    const tools = await this.toolIndex(t, definition);
    const stored = await this.routes.find(t);
    // Validated with LlmRouteConfig before it was stored.
    const routing = stored ? (stored.config as unknown as LlmRouteConfig) : null;
    const modelExists = modelExistsFor(this.catalog, routing);
    return checkTaskReferences(definition, {
      toolExists: (name, version) => tools.exists(name, version),
      modelExists,
    }).map((issue) => ({
      path: `body.definition.${issuePath(issue.path)}`,
      message: issue.message,
    }));
  }

  /** Looks up every tool the definition names, and every version a tool step pins. */
  private async toolIndex(t: TenantTx, definition: TaskDefinition): Promise<ToolIndex> {
    const live = new Map<string, string>(); // name → tool id
    for (const name of toolNamesOf(definition)) {
      const record = await this.tools.findByName(t, name);
      if (record) live.set(name, record.tool.id);
    }
    const versions = new Set<string>();
    for (const step of definition.steps) {
      if (step.type !== 'tool' || step.version === undefined) continue;
      const id = live.get(step.tool);
      if (id && (await this.tools.findVersion(t, id, step.version)))
        versions.add(`${step.tool}@${step.version}`);
    }
    return {
      exists: (name, version) =>
        live.has(name) && (version === undefined || versions.has(`${name}@${version}`)),
    };
  }
}

import { Injectable } from '@nestjs/common';
import type { LlmRouteConfig } from '@gnomon/contracts';
import type { Prisma, TenantTx } from '@gnomon/db';

/** A tenant's stored routing document and its version. */
export interface StoredRouteConfig {
  config: Prisma.JsonValue;
  version: number;
  updatedAt: Date;
}

const SELECTED = { config: true, version: true, updatedAt: true } as const;

@Injectable()
export class LlmRoutesRepository {
  find(t: TenantTx): Promise<StoredRouteConfig | null> {
    return t.db.llmRouteConfig.findUnique({
      where: { tenantId: t.scope.tenantId },
      select: SELECTED,
    });
  }

  /** Replaces the document and bumps its version (the first save is version 1). */
  save(t: TenantTx, config: LlmRouteConfig, updatedBy: string): Promise<StoredRouteConfig> {
    const json = config as Prisma.InputJsonObject;
    return t.db.llmRouteConfig.upsert({
      where: { tenantId: t.scope.tenantId },
      create: { tenantId: t.scope.tenantId, config: json, version: 1, updatedBy },
      update: { config: json, version: { increment: 1 }, updatedBy },
      select: SELECTED,
    });
  }
}

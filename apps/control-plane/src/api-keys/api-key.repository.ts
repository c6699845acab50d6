import { Injectable } from '@nestjs/common';
import type { ApiKeyScope } from '@gnomon/contracts';
import type { ApiKeyRow, TenantTx } from '@gnomon/db';
import type { CursorPosition } from '@gnomon/http-api';
import { afterCursor } from '../platform/pagination';

export interface NewApiKey {
  name: string;
  prefix: string;
  lastFour: string;
  secretHash: string;
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
  memberId: string | null;
  rotatedFromId: string | null;
  createdByType: ApiKeyRow['createdByType'];
  createdById: string;
}

@Injectable()
export class ApiKeyRepository {
  create(t: TenantTx, key: NewApiKey): Promise<ApiKeyRow> {
    return t.db.apiKey.create({ data: { ...key, tenantId: t.scope.tenantId } });
  }

  find(t: TenantTx, id: string): Promise<ApiKeyRow | null> {
    return t.db.apiKey.findFirst({ where: { id, tenantId: t.scope.tenantId } });
  }

  list(t: TenantTx, limit: number, after: CursorPosition | null): Promise<ApiKeyRow[]> {
    return t.db.apiKey.findMany({
      where: { tenantId: t.scope.tenantId, ...afterCursor(after) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
  }

  revoke(t: TenantTx, id: string, at: Date): Promise<ApiKeyRow> {
    return t.db.apiKey.update({
      where: { id, tenantId: t.scope.tenantId },
      data: { revokedAt: at },
    });
  }

  setExpiry(t: TenantTx, id: string, expiresAt: Date): Promise<ApiKeyRow> {
    return t.db.apiKey.update({ where: { id, tenantId: t.scope.tenantId }, data: { expiresAt } });
  }

  forMember(t: TenantTx, memberId: string): Promise<ApiKeyRow[]> {
    return t.db.apiKey.findMany({ where: { tenantId: t.scope.tenantId, memberId } });
  }

  async revokeForMember(t: TenantTx, memberId: string): Promise<number> {
    const result = await t.db.apiKey.updateMany({
      where: { tenantId: t.scope.tenantId, memberId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return result.count;
  }
}

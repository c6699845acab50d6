import { Injectable } from '@nestjs/common';
import type { AuditLogQuery } from '@gnomon/contracts';
import type { AuditLogRow, Prisma, TenantTx } from '@gnomon/db';
import type { CursorPosition } from '@gnomon/http-api';
import { afterCursor } from '../platform/pagination';

export interface AuditEntry {
  actorType: AuditLogRow['actorType'];
  actorId: string;
  action: string;
  targetType: string;
  targetId: string | null;
  requestId: string;
  metadata?: Prisma.InputJsonObject;
}

@Injectable()
export class AuditRepository {
  async append(t: TenantTx, entry: AuditEntry): Promise<void> {
    await t.db.auditLog.create({
      data: { ...entry, tenantId: t.scope.tenantId, metadata: entry.metadata ?? {} },
    });
  }

  list(t: TenantTx, query: AuditLogQuery, after: CursorPosition | null): Promise<AuditLogRow[]> {
    return t.db.auditLog.findMany({
      where: {
        tenantId: t.scope.tenantId,
        ...(query.action ? { action: query.action } : {}),
        ...(query.targetId ? { targetId: query.targetId } : {}),
        ...(query.actorType ? { actorType: query.actorType } : {}),
        ...(query.from || query.to
          ? {
              createdAt: {
                ...(query.from ? { gte: new Date(query.from) } : {}),
                ...(query.to ? { lt: new Date(query.to) } : {}),
              },
            }
          : {}),
        ...afterCursor(after),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
  }
}

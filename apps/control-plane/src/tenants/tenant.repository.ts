import { Injectable } from '@nestjs/common';
import type { CreateTenantBody, TenantStatus, UpdateTenantBody } from '@gnomon/contracts';
import type { PlatformTx, TenantRow } from '@gnomon/db';
import type { CursorPosition } from '@gnomon/http-api';
import { afterCursor } from '../platform/pagination';

/** The tenant registry; platform-operator transactions only. Deleted tenants are invisible. */
@Injectable()
export class TenantRepository {
  create(p: PlatformTx, body: Pick<CreateTenantBody, 'name' | 'plan'>): Promise<TenantRow> {
    return p.db.tenant.create({ data: { name: body.name, plan: body.plan } });
  }

  find(p: PlatformTx, id: string): Promise<TenantRow | null> {
    return p.db.tenant.findFirst({ where: { id, deletedAt: null } });
  }

  list(
    p: PlatformTx,
    limit: number,
    after: CursorPosition | null,
    status?: TenantStatus,
  ): Promise<TenantRow[]> {
    return p.db.tenant.findMany({
      where: { deletedAt: null, ...(status ? { status } : {}), ...afterCursor(after) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
  }

  update(p: PlatformTx, id: string, body: UpdateTenantBody): Promise<TenantRow> {
    return p.db.tenant.update({ where: { id }, data: body });
  }

  softDelete(p: PlatformTx, id: string): Promise<TenantRow> {
    return p.db.tenant.update({ where: { id }, data: { deletedAt: new Date() } });
  }

  /** Secret hashes of all the tenant's keys, to drop them from every credential cache. */
  async keyHashes(p: PlatformTx, id: string): Promise<string[]> {
    const t = await p.actAs(id);
    const keys = await t.db.apiKey.findMany({
      where: { tenantId: id },
      select: { secretHash: true },
    });
    return keys.map((key) => key.secretHash);
  }
}

import { Injectable } from '@nestjs/common';
import type { CreateTenantBody, TenantStatus, UpdateTenantBody } from '@gnomon/contracts';
import type { PlatformTx, Prisma, TenantRow } from '@gnomon/db';
import type { CursorPosition } from '@gnomon/http-api';
import { afterCursor } from '../platform/pagination';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface TenantFilter {
  status?: TenantStatus;
  /** Part of the name (any case), or the tenant's exact id. */
  search?: string;
}

/** The name filter of a search: a substring match, or the id when the search is a UUID. */
function searchWhere(search: string | undefined): Prisma.TenantWhereInput {
  if (!search) return {};
  // Prisma passes `contains` into ILIKE as is: escape its wildcards so they match literally.
  const literal = search.replace(/[\\%_]/g, (char) => `\\${char}`);
  const byName = { name: { contains: literal, mode: 'insensitive' as const } };
  return UUID.test(search) ? { OR: [byName, { id: search.toLowerCase() }] } : byName;
}

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
    filter: TenantFilter = {},
  ): Promise<TenantRow[]> {
    return p.db.tenant.findMany({
      where: {
        AND: [
          { deletedAt: null, ...(filter.status ? { status: filter.status } : {}) },
          searchWhere(filter.search),
          afterCursor(after),
        ],
      },
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

import { Injectable } from '@nestjs/common';
import { TenantDatabase } from '@gnomon/db';

/** Answers whether a tenant exists (and is not deleted), for platform admins' X-Gnomon-Tenant. */
@Injectable()
export class TenantDirectory {
  constructor(private readonly db: TenantDatabase) {}

  async exists(tenantId: string): Promise<boolean> {
    const tenant = await this.db.asPlatform((t) =>
      t.db.tenant.findFirst({ where: { id: tenantId, deletedAt: null }, select: { id: true } }),
    );
    return tenant !== null;
  }
}

import { Injectable } from '@nestjs/common';
import type {
  CreateTenantBody,
  TenantListQuery,
  TenantView,
  UpdateTenantBody,
} from '@gnomon/contracts';
import { CredentialAuthenticator } from '@gnomon/auth';
import { TenantDatabase, type TenantRow } from '@gnomon/db';
import { CursorCodec, notFound, toPage, type RequestContext } from '@gnomon/http-api';
import { AuditTrail } from '../audit/audit-trail';
import { TenantRepository } from './tenant.repository';

export function tenantView(row: TenantRow): TenantView {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    plan: row.plan,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

type Caller = Pick<RequestContext, 'principal' | 'requestId'>;

@Injectable()
export class TenantService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly tenants: TenantRepository,
    private readonly audit: AuditTrail,
    private readonly authenticator: CredentialAuthenticator,
    private readonly cursors: CursorCodec,
  ) {}

  /** Creates the tenant with its first owner, atomically. */
  create(caller: Caller, body: CreateTenantBody): Promise<TenantView> {
    return this.db.asPlatform(async (p) => {
      const tenant = await this.tenants.create(p, body);
      const t = await p.actAs(tenant.id);
      const owner = await t.db.member.create({
        data: {
          tenantId: tenant.id,
          email: body.owner.email,
          name: body.owner.name,
          role: 'OWNER',
        },
      });
      await this.audit.record(t, caller, {
        action: 'tenant.created',
        targetType: 'tenant',
        targetId: tenant.id,
        metadata: { name: tenant.name, plan: tenant.plan, ownerMemberId: owner.id },
      });
      return tenantView(tenant);
    });
  }

  async get(id: string): Promise<TenantView> {
    const tenant = await this.db.asPlatform((p) => this.tenants.find(p, id));
    if (!tenant) throw notFound('tenant');
    return tenantView(tenant);
  }

  list(query: TenantListQuery) {
    const { limit, cursor, status, q } = query;
    // The filters are part of the list's name, so a cursor only continues the same listing.
    const listName = `tenants:${status ?? ''}:${q ?? ''}`;
    const after = cursor ? this.cursors.decode(cursor, listName, null) : null;
    return this.db.asPlatform(async (p) =>
      toPage(
        await this.tenants.list(p, limit, after, { status, search: q }),
        limit,
        tenantView,
        (last) => this.cursors.encode(listName, null, last),
      ),
    );
  }

  async update(caller: Caller, id: string, body: UpdateTenantBody): Promise<TenantView> {
    const { tenant, hashes } = await this.db.asPlatform(async (p) => {
      const before = await this.tenants.find(p, id);
      if (!before) throw notFound('tenant');
      const after = await this.tenants.update(p, id, body);
      const t = await p.actAs(id);
      await this.audit.record(t, caller, {
        action: 'tenant.updated',
        targetType: 'tenant',
        targetId: id,
        metadata: { changes: changedFields(before, body) },
      });
      const statusChanged = body.status !== undefined && body.status !== before.status;
      return { tenant: after, hashes: statusChanged ? await this.tenants.keyHashes(p, id) : [] };
    });
    // Suspension (or reactivation) must reach every instance's credential cache.
    await this.authenticator.invalidate(hashes);
    return tenantView(tenant);
  }

  async remove(caller: Caller, id: string): Promise<void> {
    const hashes = await this.db.asPlatform(async (p) => {
      if (!(await this.tenants.find(p, id))) throw notFound('tenant');
      await this.tenants.softDelete(p, id);
      const t = await p.actAs(id);
      await this.audit.record(t, caller, {
        action: 'tenant.deleted',
        targetType: 'tenant',
        targetId: id,
      });
      return this.tenants.keyHashes(p, id);
    });
    await this.authenticator.invalidate(hashes);
  }
}

function changedFields(before: TenantRow, body: UpdateTenantBody) {
  const changes: Record<string, { from: string; to: string }> = {};
  for (const field of ['name', 'status', 'plan'] as const) {
    const to = body[field];
    if (to !== undefined && to !== before[field]) changes[field] = { from: before[field], to };
  }
  return changes;
}

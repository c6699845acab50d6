import { Injectable } from '@nestjs/common';
import type { AddMemberBody, UpdateMemberBody } from '@gnomon/contracts';
import type { MemberRow, TenantTx } from '@gnomon/db';
import type { CursorPosition } from '@gnomon/http-api';
import { afterCursor } from '../platform/pagination';

@Injectable()
export class MemberRepository {
  create(t: TenantTx, body: AddMemberBody): Promise<MemberRow> {
    return t.db.member.create({ data: { ...body, tenantId: t.scope.tenantId } });
  }

  find(t: TenantTx, id: string): Promise<MemberRow | null> {
    return t.db.member.findFirst({ where: { id, tenantId: t.scope.tenantId } });
  }

  findByEmail(t: TenantTx, email: string): Promise<MemberRow | null> {
    return t.db.member.findFirst({ where: { email, tenantId: t.scope.tenantId } });
  }

  list(t: TenantTx, limit: number, after: CursorPosition | null): Promise<MemberRow[]> {
    return t.db.member.findMany({
      where: { tenantId: t.scope.tenantId, ...afterCursor(after) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
  }

  update(t: TenantTx, id: string, body: UpdateMemberBody): Promise<MemberRow> {
    return t.db.member.update({ where: { id, tenantId: t.scope.tenantId }, data: body });
  }

  async delete(t: TenantTx, id: string): Promise<void> {
    await t.db.member.delete({ where: { id, tenantId: t.scope.tenantId } });
  }

  /**
   * Locks the tenant's owner rows and counts them, so two concurrent demotions cannot both
   * see "another owner is left" and leave the tenant with none.
   */
  async lockOwners(t: TenantTx): Promise<string[]> {
    const rows = await t.db.$queryRaw<{ id: string }[]>`
      select id from members where tenant_id = ${t.scope.tenantId}::uuid and role = 'OWNER' for update`;
    return rows.map((row) => row.id);
  }
}

import { API_V1 } from '../platform/routes';
import { Controller, Get, Query } from '@nestjs/common';
import { AuditLogQuery, AuditLogView, pageOf } from '@gnomon/contracts';
import { Caller, CursorCodec, Endpoint, toPage, type TenantCaller } from '@gnomon/http-api';
import { TenantDatabase } from '@gnomon/db';
import { AuditRepository } from './audit.repository';

@Controller(`${API_V1}/audit-log`)
export class AuditController {
  constructor(
    private readonly db: TenantDatabase,
    private readonly repository: AuditRepository,
    private readonly cursors: CursorCodec,
  ) {}

  @Get()
  @Endpoint({
    access: 'members:manage',
    tenantScoped: true,
    tag: 'Audit log',
    summary: 'List audit log entries, newest first (filter by action, target, actor type and time)',
    query: AuditLogQuery,
    response: pageOf(AuditLogView),
  })
  list(@Caller() caller: TenantCaller, @Query() query: AuditLogQuery) {
    // The filters are part of the list's name, so a cursor only continues the same listing.
    const list = [
      'audit',
      query.action ?? '',
      query.targetId ?? '',
      query.actorType ?? '',
      query.from ?? '',
      query.to ?? '',
    ].join('|');
    const after = query.cursor
      ? this.cursors.decode(query.cursor, list, caller.tenant.tenantId)
      : null;
    return this.db.inTenant(caller.tenant, async (t) => {
      const rows = await this.repository.list(t, query, after);
      return toPage(
        rows,
        query.limit,
        (row): AuditLogView => ({
          id: row.id,
          actor: { type: row.actorType, id: row.actorId },
          action: row.action,
          target: { type: row.targetType, id: row.targetId },
          requestId: row.requestId,
          metadata: row.metadata as Record<string, unknown>,
          createdAt: row.createdAt.toISOString(),
        }),
        (last) => this.cursors.encode(list, caller.tenant.tenantId, last),
      );
    });
  }
}

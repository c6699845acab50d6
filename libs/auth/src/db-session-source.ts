import type { MemberRole } from '@gnomon/contracts';
import { tenantScope, type TenantDatabase } from '@gnomon/db';
import type { SessionRecord, SessionSource } from './session-authenticator';
import type { SessionTimes } from './session-expiry';

interface SessionLookupRow {
  id: string;
  tenant_id: string | null;
  principal_type: 'MEMBER' | 'PLATFORM_ADMIN';
  member_id: string | null;
  platform_key_id: string | null;
  last_seen_at: Date;
  idle_expires_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  member_email: string | null;
  member_name: string | null;
  member_role: MemberRole | null;
  tenant_name: string | null;
  tenant_status: string | null;
  tenant_deleted_at: Date | null;
  platform_key_revoked_at: Date | null;
}

/**
 * Sessions in Postgres. The lookup runs before the tenant is known, through the definer function
 * `gnomon_find_session` (one secret hash in, one row out); activity is written inside the
 * session's own tenant (member) or as the platform (platform admin), so RLS applies.
 */
export class DbSessionSource implements SessionSource {
  constructor(private readonly db: TenantDatabase) {}

  async findByHash(hash: string): Promise<SessionRecord | null> {
    const rows = await this.db.anonymous(
      (tx) => tx.$queryRaw<SessionLookupRow[]>`select * from gnomon_find_session(${hash})`,
    );
    const row = rows[0];
    if (!row) return null;
    const common = {
      sessionId: row.id,
      lastSeenAt: row.last_seen_at.getTime(),
      idleExpiresAt: row.idle_expires_at.getTime(),
      expiresAt: row.expires_at.getTime(),
      email: row.member_email,
      name: row.member_name,
      tenantName: row.tenant_name,
    };
    if (row.principal_type === 'PLATFORM_ADMIN' && row.platform_key_id) {
      return {
        ...common,
        principalType: 'PLATFORM_ADMIN',
        platformKeyId: row.platform_key_id,
        revoked: row.revoked_at !== null || row.platform_key_revoked_at !== null,
        tenantActive: true,
      };
    }
    // The table's check constraint makes a member session carry its tenant and member.
    if (!row.tenant_id || !row.member_id || !row.member_role) return null;
    return {
      ...common,
      principalType: 'MEMBER',
      tenantId: row.tenant_id,
      memberId: row.member_id,
      memberRole: row.member_role,
      revoked: row.revoked_at !== null,
      tenantActive: row.tenant_status === 'ACTIVE' && row.tenant_deleted_at === null,
    };
  }

  async touch(record: SessionRecord, times: SessionTimes): Promise<void> {
    const lastSeen = new Date(times.lastSeenAt);
    const idle = new Date(times.idleExpiresAt);
    if (record.principalType === 'MEMBER') {
      await this.db.inTenant(
        tenantScope(record.tenantId),
        (t) =>
          t.db.$executeRaw`update sessions
          set last_seen_at = greatest(last_seen_at, ${lastSeen}),
              idle_expires_at = greatest(idle_expires_at, ${idle})
          where id = ${record.sessionId}::uuid and tenant_id = ${t.scope.tenantId}::uuid
            and revoked_at is null`,
      );
      return;
    }
    await this.db.asPlatform(
      (p) => p.db.$executeRaw`update sessions
        set last_seen_at = greatest(last_seen_at, ${lastSeen}),
            idle_expires_at = greatest(idle_expires_at, ${idle})
        where id = ${record.sessionId}::uuid and tenant_id is null and revoked_at is null`,
    );
  }
}

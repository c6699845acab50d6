import { scopesAllowedForRole, type ApiKeyScope, type MemberRole } from '@gnomon/contracts';
import type { KeyKind } from './api-key-format';
import type { CredentialSource } from './credential-authenticator';
import type { CredentialRecord } from './principal';
import type { TenantDatabase } from '@gnomon/db';

interface KeyLookupRow {
  id: string;
  tenant_id: string;
  member_id: string | null;
  scopes: string[] | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  tenant_status: string;
  tenant_deleted_at: Date | null;
  member_role: MemberRole | null;
}

/** Looks credentials up in Postgres; tenant keys through the one RLS-exempt definer function. */
export class DbCredentialSource implements CredentialSource {
  constructor(private readonly db: TenantDatabase) {}

  async findByHash(hash: string, kind: KeyKind | 'opaque'): Promise<CredentialRecord> {
    if (kind === 'tenant') {
      const rows = await this.db.anonymous(
        (tx) => tx.$queryRaw<KeyLookupRow[]>`select * from gnomon_find_api_key(${hash})`,
      );
      const row = rows[0];
      if (!row) return { kind: 'unknown' };
      const scopes = (row.scopes ?? []) as ApiKeyScope[];
      return {
        kind: 'tenant-key',
        keyId: row.id,
        tenantId: row.tenant_id,
        memberId: row.member_id,
        memberRole: row.member_role,
        scopes: row.member_role ? scopesAllowedForRole(row.member_role, scopes) : scopes,
        expiresAt: row.expires_at ? row.expires_at.getTime() : null,
        revoked: row.revoked_at !== null,
        tenantActive: row.tenant_status === 'ACTIVE' && row.tenant_deleted_at === null,
      };
    }
    const key = await this.db.anonymous((tx) =>
      tx.platformKey.findUnique({ where: { secretHash: hash } }),
    );
    if (!key) return { kind: 'unknown' };
    return { kind: 'platform-key', keyId: key.id, revoked: key.revokedAt !== null };
  }
}

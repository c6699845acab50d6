import type { ActorType, ApiKeyScope, MemberRole } from '@gnomon/contracts';

/** Who is calling, as established by authentication. */
export interface Principal {
  type: Extract<ActorType, 'PLATFORM_ADMIN' | 'API_KEY'>;
  /** API key id or platform key id. */
  id: string;
  /** Home tenant of a tenant key; null for platform admins. */
  tenantId: string | null;
  memberId: string | null;
  memberRole: MemberRole | null;
  scopes: ReadonlySet<ApiKeyScope>;
}

/** What the credential cache keeps for one secret hash; "unknown" caches misses too. */
export type CredentialRecord =
  | {
      kind: 'tenant-key';
      keyId: string;
      tenantId: string;
      memberId: string | null;
      memberRole: MemberRole | null;
      scopes: ApiKeyScope[];
      expiresAt: number | null;
      revoked: boolean;
      tenantActive: boolean;
    }
  | { kind: 'platform-key'; keyId: string; revoked: boolean }
  | { kind: 'unknown' };

export type AuthFailure =
  'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired' | 'tenant_inactive';

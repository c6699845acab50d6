import type { ActorType, ApiKeyScope, MemberRole } from '@gnomon/contracts';

/** Who is calling, as established by authentication. */
export interface Principal {
  /** MEMBER: a person signed in to the dashboard with a session cookie. */
  type: Extract<ActorType, 'PLATFORM_ADMIN' | 'API_KEY' | 'MEMBER'>;
  /** API key id, platform key id, or (MEMBER) the member id. */
  id: string;
  /** Home tenant of a tenant key or member session; null for platform admins. */
  tenantId: string | null;
  memberId: string | null;
  memberRole: MemberRole | null;
  scopes: ReadonlySet<ApiKeyScope>;
  /** Present when the request was authenticated by a session cookie rather than a key. */
  session?: SessionDetails;
}

/** What a session-authenticated request knows about its session. */
export interface SessionDetails {
  id: string;
  /** HMAC of the cookie's secret (the stored form), for ending this session. */
  secretHash: string;
  /** The value mutations must echo in X-CSRF-Token. */
  csrfToken: string;
  expiresAt: number;
  idleExpiresAt: number;
  email: string | null;
  name: string | null;
  tenantName: string | null;
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

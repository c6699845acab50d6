import { Injectable } from '@nestjs/common';
import {
  ROLE_SCOPES,
  type ApiKeyScope,
  type ApiKeyView,
  type ApiKeyWithSecret,
  type CreateApiKeyBody,
  type RotateApiKeyBody,
} from '@gnomon/contracts';
import { CredentialAuthenticator, displayParts, generateSecret } from '@gnomon/auth';
import { TenantDatabase, type ApiKeyRow, type TenantScope, type TenantTx } from '@gnomon/db';
import { ApiError, CursorCodec, notFound, toPage, type TenantCaller } from '@gnomon/http-api';
import { AuditTrail } from '../audit/audit-trail';
import { ApiKeyRepository } from './api-key.repository';

export function apiKeyView(row: ApiKeyRow, now = Date.now()): ApiKeyView {
  const status = row.revokedAt
    ? 'revoked'
    : row.expiresAt && row.expiresAt.getTime() <= now
      ? 'expired'
      : 'active';
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    lastFour: row.lastFour,
    scopes: (row.scopes ?? []) as ApiKeyScope[],
    status,
    memberId: row.memberId,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    rotatedFromId: row.rotatedFromId,
    createdBy: { type: row.createdByType, id: row.createdById },
    createdAt: row.createdAt.toISOString(),
  };
}

@Injectable()
export class ApiKeyService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly keys: ApiKeyRepository,
    private readonly audit: AuditTrail,
    private readonly authenticator: CredentialAuthenticator,
    private readonly cursors: CursorCodec,
  ) {}

  create(caller: TenantCaller, body: CreateApiKeyBody): Promise<ApiKeyWithSecret> {
    assertCallerHolds(caller, body.scopes);
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new ApiError('validation_failed', 'expiresAt must be in the future', {
        errors: [{ path: 'body.expiresAt', message: 'must be in the future' }],
      });
    }
    return this.db.inTenant(caller.tenant, async (t) => {
      if (body.memberId) {
        const member = await t.db.member.findFirst({
          where: { id: body.memberId, tenantId: t.scope.tenantId },
        });
        if (!member) throw notFound('member');
        const allowed = new Set(ROLE_SCOPES[member.role]);
        const excess = body.scopes.filter((scope) => !allowed.has(scope));
        if (excess.length > 0) {
          throw new ApiError(
            'validation_failed',
            `a ${member.role} member cannot hold: ${excess.join(', ')}`,
            {
              errors: [
                {
                  path: 'body.scopes',
                  message: `not allowed for role ${member.role}: ${excess.join(', ')}`,
                },
              ],
            },
          );
        }
      }
      const issued = await this.issue(t, caller, {
        name: body.name,
        scopes: body.scopes,
        expiresAt,
        memberId: body.memberId ?? null,
        rotatedFromId: null,
      });
      await this.audit.record(t, caller, {
        action: 'api_key.created',
        targetType: 'api_key',
        targetId: issued.id,
        metadata: { name: issued.name, scopes: issued.scopes, prefix: issued.prefix },
      });
      return issued;
    });
  }

  list(caller: TenantCaller, limit: number, cursor?: string) {
    const after = cursor ? this.cursors.decode(cursor, 'api-keys', caller.tenant.tenantId) : null;
    return this.db.inTenant(caller.tenant, async (t) => {
      const now = Date.now();
      return toPage(
        await this.keys.list(t, limit, after),
        limit,
        (row) => apiKeyView(row, now),
        (last) => this.cursors.encode('api-keys', caller.tenant.tenantId, last),
      );
    });
  }

  async get(scope: TenantScope, id: string): Promise<ApiKeyView> {
    const key = await this.db.inTenant(scope, (t) => this.keys.find(t, id));
    if (!key) throw notFound('API key');
    return apiKeyView(key);
  }

  /** Revokes a key everywhere within a second. Revoking a revoked key changes nothing. */
  async revoke(caller: TenantCaller, id: string): Promise<ApiKeyView> {
    const key = await this.db.inTenant(caller.tenant, async (t) => {
      const existing = await this.keys.find(t, id);
      if (!existing) throw notFound('API key');
      if (existing.revokedAt) return existing;
      const revoked = await this.keys.revoke(t, id, new Date());
      await this.audit.record(t, caller, {
        action: 'api_key.revoked',
        targetType: 'api_key',
        targetId: id,
      });
      return revoked;
    });
    await this.authenticator.invalidate([key.secretHash]);
    return apiKeyView(key);
  }

  /**
   * Issues a successor with the same name, scopes, member and expiry; the old secret keeps
   * working for the grace period (or stops at once with a grace of 0).
   */
  async rotate(
    caller: TenantCaller,
    id: string,
    body: RotateApiKeyBody,
  ): Promise<ApiKeyWithSecret> {
    const { issued, oldHash } = await this.db.inTenant(caller.tenant, async (t) => {
      const old = await this.keys.find(t, id);
      if (!old) throw notFound('API key');
      const now = Date.now();
      if (old.revokedAt || (old.expiresAt && old.expiresAt.getTime() <= now)) {
        throw new ApiError('conflict', 'only an active key can be rotated');
      }
      const scopes = (old.scopes ?? []) as ApiKeyScope[];
      assertCallerHolds(caller, scopes);
      const issued = await this.issue(t, caller, {
        name: old.name,
        scopes,
        expiresAt: old.expiresAt,
        memberId: old.memberId,
        rotatedFromId: old.id,
      });
      const graceEnd = new Date(now + body.gracePeriodSeconds * 1000);
      if (body.gracePeriodSeconds === 0) await this.keys.revoke(t, old.id, graceEnd);
      else if (!old.expiresAt || old.expiresAt > graceEnd)
        await this.keys.setExpiry(t, old.id, graceEnd);
      await this.audit.record(t, caller, {
        action: 'api_key.rotated',
        targetType: 'api_key',
        targetId: old.id,
        metadata: { successorId: issued.id, oldValidUntil: graceEnd.toISOString() },
      });
      return { issued, oldHash: old.secretHash };
    });
    await this.authenticator.invalidate([oldHash]);
    return issued;
  }

  private async issue(
    t: TenantTx,
    caller: TenantCaller,
    key: {
      name: string;
      scopes: ApiKeyScope[];
      expiresAt: Date | null;
      memberId: string | null;
      rotatedFromId: string | null;
    },
  ): Promise<ApiKeyWithSecret> {
    const secret = generateSecret('tenant');
    const secretHash = this.authenticator.hash(secret);
    const row = await this.keys.create(t, {
      ...key,
      ...displayParts(secret),
      secretHash,
      createdByType: caller.principal.type,
      createdById: caller.principal.id,
    });
    return { ...apiKeyView(row), secret };
  }
}

/** A key can only hand out powers its caller holds (platform admins hold all). */
function assertCallerHolds(caller: TenantCaller, scopes: readonly ApiKeyScope[]): void {
  const missing = scopes.filter((scope) => !caller.principal.scopes.has(scope));
  if (missing.length > 0) {
    throw new ApiError(
      'forbidden',
      `you cannot grant scopes you do not hold: ${missing.join(', ')}`,
    );
  }
}

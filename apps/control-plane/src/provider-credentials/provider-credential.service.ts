import { Inject, Injectable } from '@nestjs/common';
import type { CreateProviderCredentialBody, ProviderCredentialView } from '@gnomon/contracts';
import { CredentialCipher } from '@gnomon/auth';
import { TenantDatabase, type TenantScope } from '@gnomon/db';
import { ApiError, CursorCodec, notFound, toPage, type TenantCaller } from '@gnomon/http-api';
import { AuditTrail } from '../audit/audit-trail';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { isUniqueViolation } from '../platform/prisma-errors';
import { CONFIG } from '../platform/tokens';
import {
  ProviderCredentialRepository,
  type ProviderCredentialRow,
} from './provider-credential.repository';

function view(row: ProviderCredentialRow): ProviderCredentialView {
  return {
    id: row.id,
    provider: row.provider,
    label: row.label,
    baseUrl: row.baseUrl,
    lastFour: row.lastFour,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Tenants' own provider keys: sealed with AES-256-GCM before they reach the database, never
 * returned by any API (only provider, label and the last four characters are shown).
 */
@Injectable()
export class ProviderCredentialService {
  private readonly cipher: CredentialCipher;

  constructor(
    private readonly db: TenantDatabase,
    private readonly credentials: ProviderCredentialRepository,
    private readonly audit: AuditTrail,
    private readonly cursors: CursorCodec,
    @Inject(CONFIG) config: ControlPlaneConfig,
  ) {
    this.cipher = new CredentialCipher(config.secrets.encryptionKey);
  }

  async create(
    caller: TenantCaller,
    body: CreateProviderCredentialBody,
  ): Promise<ProviderCredentialView> {
    const sealed = this.cipher.seal(body.apiKey, caller.tenant.tenantId);
    try {
      return await this.db.inTenant(caller.tenant, async (t) => {
        const row = await this.credentials.create(t, {
          provider: body.provider,
          label: body.label,
          baseUrl: body.baseUrl ?? null,
          lastFour: body.apiKey.slice(-4),
          ...sealed,
        });
        await this.audit.record(t, caller, {
          action: 'provider_credential.created',
          targetType: 'provider_credential',
          targetId: row.id,
          metadata: { provider: row.provider, label: row.label },
        });
        return view(row);
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ApiError(
          'conflict',
          `a ${body.provider} credential labelled "${body.label}" exists; delete it first`,
        );
      }
      throw error;
    }
  }

  list(caller: TenantCaller, limit: number, cursor?: string) {
    const after = cursor
      ? this.cursors.decode(cursor, 'provider-credentials', caller.tenant.tenantId)
      : null;
    return this.db.inTenant(caller.tenant, async (t) =>
      toPage(await this.credentials.list(t, limit, after), limit, view, (last) =>
        this.cursors.encode('provider-credentials', caller.tenant.tenantId, last),
      ),
    );
  }

  async get(scope: TenantScope, id: string): Promise<ProviderCredentialView> {
    const row = await this.db.inTenant(scope, (t) => this.credentials.find(t, id));
    if (!row) throw notFound('provider credential');
    return view(row);
  }

  async remove(caller: TenantCaller, id: string): Promise<void> {
    await this.db.inTenant(caller.tenant, async (t) => {
      const row = await this.credentials.find(t, id);
      if (!row) throw notFound('provider credential');
      await this.credentials.delete(t, id);
      await this.audit.record(t, caller, {
        action: 'provider_credential.deleted',
        targetType: 'provider_credential',
        targetId: id,
        metadata: { provider: row.provider, label: row.label },
      });
    });
  }
}

import { Injectable } from '@nestjs/common';
import type { SealedSecret } from '@gnomon/auth';
import type { TenantTx } from '@gnomon/db';
import type { CursorPosition } from '@gnomon/http-api';
import { afterCursor } from '../platform/pagination';

const VIEW = {
  id: true,
  provider: true,
  label: true,
  baseUrl: true,
  lastFour: true,
  createdAt: true,
} as const;

export interface ProviderCredentialRow {
  id: string;
  provider: string;
  label: string;
  baseUrl: string | null;
  lastFour: string;
  createdAt: Date;
}

/** Tenants' own provider keys. Reads never select the ciphertext. */
@Injectable()
export class ProviderCredentialRepository {
  create(
    t: TenantTx,
    data: {
      provider: string;
      label: string;
      baseUrl: string | null;
      lastFour: string;
    } & SealedSecret,
  ): Promise<ProviderCredentialRow> {
    const bytes = (buffer: Buffer) => new Uint8Array(buffer);
    return t.db.providerCredential.create({
      data: {
        ...data,
        ciphertext: bytes(data.ciphertext),
        iv: bytes(data.iv),
        authTag: bytes(data.authTag),
        tenantId: t.scope.tenantId,
      },
      select: VIEW,
    });
  }

  find(t: TenantTx, id: string): Promise<ProviderCredentialRow | null> {
    return t.db.providerCredential.findFirst({
      where: { id, tenantId: t.scope.tenantId },
      select: VIEW,
    });
  }

  list(t: TenantTx, limit: number, after: CursorPosition | null): Promise<ProviderCredentialRow[]> {
    return t.db.providerCredential.findMany({
      where: { tenantId: t.scope.tenantId, ...afterCursor(after) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
      select: VIEW,
    });
  }

  /** Destroys the stored key (the audit log keeps the record that it existed). */
  async delete(t: TenantTx, id: string): Promise<void> {
    await t.db.providerCredential.delete({ where: { id, tenantId: t.scope.tenantId } });
  }
}

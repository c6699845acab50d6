import { Injectable } from '@nestjs/common';
import type { Prisma, TenantTx } from '@gnomon/db';
import type { RequestContext } from '@gnomon/http-api';
import { AuditRepository } from './audit.repository';

export interface AuditEvent {
  action: string;
  targetType: string;
  targetId: string | null;
  metadata?: Prisma.InputJsonObject;
}

/** Records who changed what, in the same transaction as the change itself. */
@Injectable()
export class AuditTrail {
  constructor(private readonly repository: AuditRepository) {}

  record(
    t: TenantTx,
    caller: Pick<RequestContext, 'principal' | 'requestId'>,
    event: AuditEvent,
  ): Promise<void> {
    return this.repository.append(t, {
      actorType: caller.principal?.type ?? 'SYSTEM',
      actorId: caller.principal?.id ?? 'system',
      requestId: caller.requestId,
      ...event,
      targetId: event.targetId,
    });
  }
}

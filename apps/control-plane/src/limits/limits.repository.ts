import { Injectable } from '@nestjs/common';
import type { TenantTx } from '@gnomon/db';

export type LimitSubject = 'TENANT' | 'USER';

/** One subject's limits per minute; null = unlimited. */
export interface SubjectLimits {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

@Injectable()
export class LimitsRepository {
  async all(t: TenantTx): Promise<Map<LimitSubject, SubjectLimits>> {
    const rows = await t.db.rateLimitPolicy.findMany({
      where: { tenantId: t.scope.tenantId },
      select: { subject: true, requestsPerMinute: true, tokensPerMinute: true },
    });
    return new Map(rows.map(({ subject, ...limits }) => [subject, limits]));
  }

  /** Stores one subject's limits; a subject with no limit at all has no row. */
  async set(t: TenantTx, subject: LimitSubject, limits: SubjectLimits): Promise<void> {
    const where = { tenantId_subject: { tenantId: t.scope.tenantId, subject } };
    if (limits.requestsPerMinute === null && limits.tokensPerMinute === null) {
      await t.db.rateLimitPolicy.deleteMany({ where: { tenantId: t.scope.tenantId, subject } });
      return;
    }
    await t.db.rateLimitPolicy.upsert({
      where,
      create: { tenantId: t.scope.tenantId, subject, ...limits },
      update: limits,
    });
  }
}

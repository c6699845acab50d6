import { TenantDatabase, tenantScope } from '@gnomon/db';

/**
 * Rebuilds lost budget counters from Postgres: what the tenant (or one key) was billed in a
 * period, according to the persisted usage events.
 */
export class EventSpendSource {
  constructor(private readonly db: TenantDatabase) {}

  async spentMicros(
    tenantId: string,
    scope: 'tenant' | 'apiKey',
    scopeId: string,
    periodStart: Date,
    periodEnd: Date,
  ): Promise<number> {
    const rows = await this.db.inTenant(tenantScope(tenantId), (t) =>
      scope === 'tenant'
        ? t.db.$queryRaw<{ spent: bigint | null }[]>`
            select sum(cost_micros) as spent from llm_events
            where tenant_id = ${tenantId}::uuid and created_at >= ${periodStart} and created_at < ${periodEnd}`
        : t.db.$queryRaw<{ spent: bigint | null }[]>`
            select sum(cost_micros) as spent from llm_events
            where tenant_id = ${tenantId}::uuid and api_key_id = ${scopeId}::uuid
              and created_at >= ${periodStart} and created_at < ${periodEnd}`,
    );
    return Number(rows[0]?.spent ?? 0);
  }
}

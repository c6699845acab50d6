import { TenantDatabase, tenantScope } from '@gnomon/db';
import type { UsageEvent } from './usage-event';

/**
 * Writes usage events to `llm_events`, one transaction per tenant (Row-Level Security), keyed
 * by the gateway-assigned event id with `skipDuplicates`: writing the same events again (a
 * retry after a partial failure, a redelivered stream entry) changes nothing.
 */
export async function persistUsageEvents(
  db: TenantDatabase,
  events: readonly UsageEvent[],
): Promise<void> {
  const byTenant = new Map<string, UsageEvent[]>();
  for (const event of events) {
    if (!event.id || !event.tenantId) continue;
    const list = byTenant.get(event.tenantId);
    if (list) list.push(event);
    else byTenant.set(event.tenantId, [event]);
  }
  for (const [tenantId, list] of byTenant) {
    await db.inTenant(tenantScope(tenantId), (t) =>
      t.db.llmEvent.createMany({
        data: list.map((event) => ({
          ...event,
          costMicros: BigInt(event.costMicros),
          createdAt: new Date(event.createdAt),
        })),
        skipDuplicates: true,
      }),
    );
  }
}

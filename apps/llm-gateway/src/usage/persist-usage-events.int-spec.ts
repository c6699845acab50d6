import { randomUUID } from 'node:crypto';
import { TenantDatabase, tenantScope } from '@gnomon/db';
import { GatewayHarness } from '../testing/gateway-harness';
import { persistUsageEvents } from './persist-usage-events';
import { newUsageEvent } from './usage-event';

/** The usage insert runs on a plain pg connection: the same RLS context as `inTenant`. */
describe('persistUsageEvents', () => {
  let h: GatewayHarness;
  let db: TenantDatabase;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    db = h.instances[0].app.get(TenantDatabase);
  });
  afterAll(async () => h?.close());

  const event = (tenantId: string) =>
    newUsageEvent({
      tenantId,
      requestId: randomUUID(),
      model: 'simulated/sim-small',
      stream: false,
    });

  it('writes each tenant its own rows, once, however often the same events come', async () => {
    const [a, b] = [await h.createTenant(), await h.createTenant()];
    const events = [event(a.tenantId), event(b.tenantId), event(a.tenantId)];
    await persistUsageEvents(db, events);
    await persistUsageEvents(db, events); // a redelivered batch
    const rows = await h.sql<{ tenant_id: string; n: string }>(
      `select tenant_id, count(*) as n from llm_events where tenant_id = any($1) group by tenant_id`,
      [[a.tenantId, b.tenantId]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.tenant_id, Number(r.n)]))).toEqual({
      [a.tenantId]: 2,
      [b.tenantId]: 1,
    });
  });

  it('cannot write or read another tenant’s rows through executeInTenant', async () => {
    const [a, b] = [await h.createTenant(), await h.createTenant()];
    await persistUsageEvents(db, [event(b.tenantId)]);
    await expect(
      db.executeInTenant(
        tenantScope(a.tenantId),
        `insert into llm_events (id, tenant_id, request_id, model, stream, status, created_at)
         values ($1, $2, 'x', 'm', false, 'SUCCEEDED', now())`,
        [randomUUID(), b.tenantId],
      ),
    ).rejects.toMatchObject({ code: '42501' });
    const seen = (tenantId: string) =>
      db.executeInTenant(tenantScope(tenantId), `select id from llm_events where tenant_id = $1`, [
        b.tenantId,
      ]);
    expect(await seen(a.tenantId)).toBe(0);
    expect(await seen(b.tenantId)).toBe(1);
  });
});
